"""The baseline solver's `InteractionEncoder` for Uniswap pools: V2 pairs swapped directly, V3 through SwapRouter.

V2 (`ConstantProductPool`): a pair swaps whatever was transferred to it beforehand, so it accepts prefunded
input (a trade's `sell_to`, or the previous hop's output). Prefunded: just `swap`; otherwise the
settlement first transfers the input to the pair. The output asked for is the snapshot's exact quote.
V3 (`ConcentratedLiquidityPool`): the settlement approves the router for exactly the input, then calls
`exactInputSingle` with `amountOutMinimum` equal to the snapshot's exact output, so the swap reverts
(and with it the settlement) rather than pay less than the solution promised.
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
    """Encodes the baseline's swaps. `deadline_s`: the absolute unix time (seconds) V3 swaps must be mined by
    (SwapRouter's `deadline`); a fixed value per auction keeps the calldata deterministic."""

    def __init__(self, settlement: str, v3_router: str, deadline_s: int) -> None:
        if deadline_s < 0:
            raise ValueError("deadline_s must be a unix time")
        self.settlement = address(settlement)  # the contract that makes the calls (and holds non-prefunded input)
        self.v3_router = address(v3_router)
        self.deadline_s = int(deadline_s)

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
                raise ValueError(f"V3 pool {pool.address} cannot swap prefunded input (SwapRouter pulls it)")
            token_out = pool.token1 if pool.zero_for_one(token_in) else pool.token0
            return v3_swap(
                self.v3_router, token_in, token_out, pool.fee, amount_in, amount_out, recipient, self.deadline_s
            )
        raise TypeError(f"no encoding for {type(pool).__name__}")
