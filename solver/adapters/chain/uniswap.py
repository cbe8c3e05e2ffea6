"""Uniswap address and price arithmetic: CREATE2 pair/pool addresses, sqrtPriceX96 and tick ranges.

Pure functions, no I/O. The init code hashes are the ones the official periphery contracts hard-code
(Router02's `UniswapV2Library.pairFor`, v3-periphery's `PoolAddress.POOL_INIT_CODE_HASH`); the devnet
checks that the npm core builds hash to them and that the factories create pools exactly there.
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt

from eth_abi.abi import encode
from eth_utils.address import to_canonical_address, to_checksum_address
from eth_utils.crypto import keccak

# keccak256(UniswapV2Pair creation code) as hard-coded in UniswapV2Library.pairFor (the mainnet value).
V2_PAIR_INIT_CODE_HASH = bytes.fromhex("96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f")
# keccak256(UniswapV3Pool creation code) as hard-coded in v3-periphery PoolAddress.POOL_INIT_CODE_HASH.
V3_POOL_INIT_CODE_HASH = bytes.fromhex("e34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54")

MIN_TICK = -887272  # TickMath.MIN_TICK
MAX_TICK = 887272  # TickMath.MAX_TICK
V2_FEE = 3000  # hundredths of a bip: V2's fixed 0.3 %
# fee (hundredths of a bip) -> tick spacing; 500/3000/10000 are enabled by the factory's constructor,
# 100 by `enableFeeAmount(100, 1)` as on mainnet.
V3_TICK_SPACING: dict[int, int] = {100: 1, 500: 10, 3000: 60, 10000: 200}


def sort_tokens(a: str, b: str) -> tuple[str, str]:
    """(token0, token1): Uniswap orders a pair by numeric address value."""
    if a.lower() == b.lower():
        raise ValueError(f"identical tokens {a}")
    return (a, b) if int(a, 16) < int(b, 16) else (b, a)


def create2_address(deployer: str, salt: bytes, init_code_hash: bytes) -> str:
    """The checksummed address CREATE2 gives `deployer` for `salt` and code hashing to `init_code_hash`."""
    preimage = b"\xff" + to_canonical_address(deployer) + salt + init_code_hash
    return to_checksum_address(keccak(preimage)[12:])


def v2_pair_address(factory: str, a: str, b: str, init_code_hash: bytes = V2_PAIR_INIT_CODE_HASH) -> str:
    """Where UniswapV2Factory.createPair puts the (a, b) pair (UniswapV2Library.pairFor)."""
    token0, token1 = sort_tokens(a, b)
    salt = keccak(to_canonical_address(token0) + to_canonical_address(token1))
    return create2_address(factory, salt, init_code_hash)


def v3_pool_address(factory: str, a: str, b: str, fee: int, init_code_hash: bytes = V3_POOL_INIT_CODE_HASH) -> str:
    """Where UniswapV3Factory.createPool puts the (a, b, fee) pool (PoolAddress.computeAddress)."""
    token0, token1 = sort_tokens(a, b)
    salt = keccak(encode(["address", "address", "uint24"], [token0, token1, fee]))
    return create2_address(factory, salt, init_code_hash)


def raw_price(usd0: Fraction | int, decimals0: int, usd1: Fraction | int, decimals1: int) -> Fraction:
    """token1 base units per token0 base unit, from USD prices of whole tokens (exact)."""
    return Fraction(usd0) / Fraction(usd1) * Fraction(10**decimals1, 10**decimals0)


def sqrt_price_x96(price: Fraction) -> int:
    """floor(sqrt(price) * 2**96) for a raw price in token1 base units per token0 base unit."""
    return isqrt(price.numerator * 2**192 // price.denominator)


def full_range(spacing: int) -> tuple[int, int]:
    """The widest (tickLower, tickUpper) aligned to `spacing`."""
    return -(MAX_TICK // spacing) * spacing, (MAX_TICK // spacing) * spacing


def range_around(tick: int, half_width: int, spacing: int) -> tuple[int, int]:
    """(tickLower, tickUpper) aligned to `spacing` enclosing [tick - half_width, tick + half_width].

    `half_width` is in ticks (one tick = 1 bp of price); the range always contains `tick`.
    """
    lower = ((tick - half_width) // spacing) * spacing
    upper = -((-(tick + half_width)) // spacing) * spacing
    if upper <= tick:
        upper += spacing
    low, high = full_range(spacing)
    return max(lower, low), min(upper, high)
