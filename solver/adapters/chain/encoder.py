"""The baseline solver's `InteractionEncoder` for Uniswap pools: V2 pairs and V3 pools, each swapped directly.

V2 (`ConstantProductPool`): a pair swaps whatever was transferred to it beforehand, so it accepts prefunded
input (a trade's `sell_to`, or the previous hop's output). Prefunded: just `swap`; otherwise the
settlement first transfers the input to the pair. The output asked for is the snapshot's exact quote.
V3 (`ConcentratedLiquidityPool`): the settlement calls the pool's `swap` for exactly the input and pays it
in the pool's callback (no router, no approval); the input token must be one of the batch's tokens, so
the solver prices it (`baseline.solve` does). There is no minimum output in the call: if the pool pays
less than the snapshot's quote, the settlement's balance check (or the next V2 hop's) reverts the batch
rather than pay less than the solution promised.
"""

from __future__ import annotations

from collections.abc import Sequence

from solver.domain.batch import Interaction
from solver.domain.liquidity import Pool
from solver.domain.liquidity.concentrated import ConcentratedLiquidityPool
from solver.domain.liquidity.constant_product import ConstantProductPool
from solver.domain.primitives import address

from .amm import v2_swap, v2_swap_received, v3_swap


class UniswapEncoder:
    """Encodes the baseline's swaps for the settlement at `settlement`."""

    def __init__(self, settlement: str) -> None:
        self.settlement = address(settlement)  # the contract that makes the calls (and holds non-prefunded input)

    def accepts_prefunded(self, pool: Pool) -> bool:
        return isinstance(pool, ConstantProductPool)

    def swap(
        self, pool: Pool, token_in: str, amount_in: int, amount_out: int, recipient: str, *, prefunded: bool
    ) -> Sequence[Interaction]:
        if amount_in <= 0 or amount_out <= 0:
            raise ValueError(f"swap through {pool.address}: amounts must be positive ({amount_in} -> {amount_out})")
        if isinstance(pool, ConstantProductPool):
            quote = pool.amount_out(token_in, amount_in)
            if quote != amount_out:
                raise ValueError(f"pair {pool.address} pays {quote} for {amount_in}, not {amount_out}")
            if prefunded:
                return [v2_swap_received(pool, token_in, amount_in, recipient)]
            return v2_swap(pool, token_in, amount_in, recipient)
        if isinstance(pool, ConcentratedLiquidityPool):
            if prefunded:
                raise ValueError(f"V3 pool {pool.address} cannot swap prefunded input (it is paid in its callback)")
            return [v3_swap(pool.address, pool.zero_for_one(token_in), amount_in, recipient)]
        raise TypeError(f"no encoding for {type(pool).__name__}")
