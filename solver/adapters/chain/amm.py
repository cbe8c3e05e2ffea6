"""Interactions that route a batch's volume through Uniswap pools from inside settle.

V2: the trades' sell amounts go straight to the pair (`Trade.sell_to`), or the settlement transfers the
input there; then the settlement calls `swap` (no router hop, no approval).
V3: the settlement calls the canonical pool's `swap` itself (exact input) and pays the input it owes in
`uniswapV3SwapCallback`; no router, no approval. The contract requires the input token to be one of the
batch's tokens. Quotes come from the pool's own state (V2 reserves) or QuoterV2 (V3);
`pools.snapshot_pools` reads V2 and V3 pool state in batches for local quotes (`ConcentratedLiquidityPool`
matches QuoterV2 to the wei without an RPC per quote).
"""

from __future__ import annotations

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak
from web3 import Web3

from solver.domain.batch import Interaction
from solver.domain.liquidity.constant_product import ConstantProductPool

from .manifest import PoolInfo


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


TRANSFER = _selector("transfer(address,uint256)")
APPROVE = _selector("approve(address,uint256)")
V2_SWAP = _selector("swap(uint256,uint256,address,bytes)")
V2_GET_RESERVES = _selector("getReserves()")
V3_SWAP = _selector("swap(address,bool,int256,uint160,bytes)")
V3_QUOTE_EXACT_INPUT_SINGLE = _selector("quoteExactInputSingle((address,address,uint256,uint24,uint160))")
# TickMath bounds: a swap's price limit strictly inside them lets an exact-input swap run to its amount.
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723582342


def v2_pool(w3: Web3, pool: PoolInfo) -> ConstantProductPool:
    """The pair's current reserves (`pools.snapshot_pools` reads many pools at one block in one batch)."""
    return v2_pool_from_reserves(pool, w3.eth.call({"to": pool.address, "data": V2_GET_RESERVES}))


def v2_pool_from_reserves(pool: PoolInfo, raw: bytes) -> ConstantProductPool:
    """The pair from the raw return value of its `getReserves()`."""
    reserve0, reserve1, _ = decode(["uint112", "uint112", "uint32"], raw)
    return ConstantProductPool(pool.address, pool.token0, pool.token1, reserve0, reserve1)


def v2_swap_received(pool: ConstantProductPool, token_in: str, amount_in: int, recipient: str) -> Interaction:
    """Swap `amount_in` that trades already sent to the pair (their `sell_to`) for its exact output."""
    out = pool.amount_out(token_in, amount_in)
    outs = (0, out) if token_in == pool.token0 else (out, 0)
    return Interaction(
        pool.address, V2_SWAP + encode(["uint256", "uint256", "address", "bytes"], [*outs, recipient, b""])
    )


def v2_swap(pool: ConstantProductPool, token_in: str, amount_in: int, recipient: str) -> list[Interaction]:
    """Send `amount_in` from the settlement's balance to the pair, then swap it for its exact output."""
    return [
        Interaction(token_in, TRANSFER + encode(["address", "uint256"], [pool.address, amount_in])),
        v2_swap_received(pool, token_in, amount_in, recipient),
    ]


def v3_quote(w3: Web3, quoter: str, token_in: str, token_out: str, fee: int, amount_in: int) -> tuple[int, int]:
    """(amount out, initialized ticks crossed) from QuoterV2 at the latest block.

    The quoter's tick count comes from PoolTicksCounter, a bitmap estimate for gas. It compresses
    negative ticks with truncating division, so it can count an initialized tick the swap never reached
    (1 for a 1-wei swap in the devnet's WETH/USDC 0.3 % pool); `SwapResult.crossed` is the real list.
    """
    data = V3_QUOTE_EXACT_INPUT_SINGLE + encode(
        ["(address,address,uint256,uint24,uint160)"], [(token_in, token_out, amount_in, fee, 0)]
    )
    amount_out, _, ticks_crossed, _ = decode(
        ["uint256", "uint160", "uint32", "uint256"], w3.eth.call({"to": quoter, "data": data})
    )
    return amount_out, ticks_crossed


def v3_swap(pool: str, zero_for_one: bool, amount_in: int, recipient: str) -> Interaction:
    """Swap exactly `amount_in` of the pool's token0 (`zero_for_one`) or token1 through the V3 `pool`, output to
    `recipient`; the settlement pays the input in the pool's callback.

    The price limit is the quoter's default (MIN_SQRT_RATIO + 1 or MAX_SQRT_RATIO - 1), so the swap takes the
    whole input and pays what the pool's curve gives, as `v3_quote` or `ConcentratedLiquidityPool.amount_out`
    computed. No minimum output is passed: the settlement's balance check reverts the batch if the output
    cannot pay what the trades were promised."""
    if amount_in <= 0:
        raise ValueError("amount_in must be positive (exact input)")
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    args = [recipient, zero_for_one, amount_in, limit, b""]
    return Interaction(pool, V3_SWAP + encode(["address", "bool", "int256", "uint160", "bytes"], args))
