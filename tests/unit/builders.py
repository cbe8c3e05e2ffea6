"""Builders for test data: intents and trades with sensible defaults, overridable by keyword."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from eth_utils.crypto import keccak

from solver.domain.auction import Auction, Fulfillment, Order, Solution, TokenInfo
from solver.domain.batch import Interaction, SigningScheme
from solver.domain.intent import Intent, IntentKind
from solver.domain.liquidity import Pool
from solver.domain.liquidity.concentrated import ConcentratedLiquidityPool
from solver.domain.liquidity.constant_product import ConstantProductPool

WETH = "0x00000000000000000000000000000000000000e1"
USDC = "0x00000000000000000000000000000000000000a1"
ALICE = "0x000000000000000000000000000000000000A11c"
BOB = "0x0000000000000000000000000000000000000B0b"


def an_intent(**overrides: Any) -> Intent:
    """A fill-or-kill sell of 1 WETH (18 decimals) for at least 3,000 USDC (6 decimals)."""
    base = Intent(
        owner=ALICE,
        sell_token=WETH,
        buy_token=USDC,
        sell_amount=10**18,
        buy_amount=3_000 * 10**6,
        valid_to=2_000_000_000,
        nonce=1,
        kind=IntentKind.SELL,
    )
    return replace(base, **overrides)


# --- auctions, pools and solutions (scoring, routing, baseline) ----------------------------------------

DAI = "0x00000000000000000000000000000000000000d1"
CAROL = "0x000000000000000000000000000000000000C4a0"
SETTLEMENT = "0x0000000000000000000000000000000000005e77"
SOLVER = "0x00000000000000000000000000000000000050b1"
INVENTORY = "0x0000000000000000000000000000000000001fe7"

# Reference prices: 1e-36 USD per base unit (WETH $3,000 with 18 decimals, USDC and DAI $1 with 6 / 18).
REFERENCE_PRICES = {WETH: 3_000 * 10**18, USDC: 10**30, DAI: 10**18}
_DECIMALS = {WETH: 18, USDC: 6, DAI: 18}


def a_pool(
    token_a: str, reserve_a: int, token_b: str, reserve_b: int, address: str | None = None
) -> ConstantProductPool:
    """A V2 pair holding reserve_a of token_a and reserve_b of token_b (tokens sorted as Uniswap sorts them)."""
    if address is None:
        address = "0x" + keccak(text=f"{token_a.lower()}{token_b.lower()}").hex()[-40:]
    if int(token_a, 16) < int(token_b, 16):
        return ConstantProductPool(address, token_a, token_b, reserve_a, reserve_b)
    return ConstantProductPool(address, token_b, token_a, reserve_b, reserve_a)


def a_v3_pool(
    token_a: str,
    amount_a: int,
    token_b: str,
    amount_b: int,
    *,
    fee: int = 3000,
    spacing: int = 60,
    address: str | None = None,
    extra_ticks: dict[int, int] | None = None,
) -> ConcentratedLiquidityPool:
    """A V3 pool whose one full-range position holds about amount_a of token_a and amount_b of token_b
    (price amount_b / amount_a), plus `extra_ticks` (tick -> liquidityNet) on top."""
    if address is None:
        address = "0x" + keccak(text=f"v3{token_a.lower()}{token_b.lower()}{fee}").hex()[-40:]
    (token0, amount0), (token1, amount1) = sorted(
        ((token_a, amount_a), (token_b, amount_b)), key=lambda t: int(t[0], 16)
    )
    edge = 887272 // spacing * spacing
    liquidity = math.isqrt(amount0 * amount1)  # full range: x = L / sqrtP, y = L * sqrtP
    ticks = {-edge: liquidity, edge: -liquidity}
    for tick, net in (extra_ticks or {}).items():
        ticks[tick] = ticks.get(tick, 0) + net
    sqrt_price_x96 = math.isqrt(amount1 * 2**192 // amount0)
    probe = ConcentratedLiquidityPool.from_ticks(address, token0, token1, fee, spacing, sqrt_price_x96, 0, {})
    in_range = sum(net for tick, net in ticks.items() if tick <= probe.tick)
    return ConcentratedLiquidityPool.from_ticks(address, token0, token1, fee, spacing, sqrt_price_x96, in_range, ticks)


def an_order(intent: Intent | None = None, *, remaining: int | None = None, **overrides: Any) -> Order:
    """An open order of `intent` (default: an_intent(**overrides)), id = its struct hash."""
    intent = intent if intent is not None else an_intent(**overrides)
    left = intent.full_amount if remaining is None else remaining
    return Order(intent.struct_hash(), intent, b"\x01" * 65, SigningScheme.EIP712, left)


def token_infos(prices: dict[str, int] | None = None) -> dict[str, TokenInfo]:
    prices = REFERENCE_PRICES if prices is None else prices
    return {t: TokenInfo(t, t[-2:], _DECIMALS.get(t, 18), p) for t, p in prices.items()}


# Most unit tests check surplus formulas by hand with tiny prices nowhere near the reference prices; their
# auctions accept any price. Tests of the price bound (and the baseline's) pass `max_price_deviation_bps`.
ANY_PRICE_BPS = 2**63 - 1  # the largest the wire carries (JSON int64): a rate off by a factor of ~10**15


def an_auction(*orders: Order, pools: tuple[Pool, ...] = (), auction_id: int = 1, **overrides: Any) -> Auction:
    base = Auction(auction_id, 100, 2_000_000_000.0, orders, token_infos(), pools, ANY_PRICE_BPS)
    return replace(base, **overrides)


def a_solution(*fulfillments: Fulfillment, prices: dict[str, int], **overrides: Any) -> Solution:
    base = Solution(auction_id=1, solver=SOLVER, prices=prices, fulfillments=fulfillments)
    return replace(base, **overrides)


@dataclass(frozen=True, slots=True)
class RecordedSwap:
    pool: ConstantProductPool
    token_in: str
    amount_in: int
    amount_out: int
    recipient: str
    prefunded: bool


@dataclass
class RecordingEncoder:
    """An InteractionEncoder that records the swaps it was asked for; V2 pairs accept prefunded input."""

    prefund: bool = True
    swaps: list[RecordedSwap] = field(default_factory=list)

    def accepts_prefunded(self, pool: Any) -> bool:
        return self.prefund and isinstance(pool, ConstantProductPool)

    def swap(
        self, pool: Any, token_in: str, amount_in: int, amount_out: int, recipient: str, *, prefunded: bool
    ) -> list[Interaction]:
        self.swaps.append(RecordedSwap(pool, token_in, amount_in, amount_out, recipient, prefunded))
        return [Interaction(pool.address, b"swap" + len(self.swaps).to_bytes(4, "big"))]
