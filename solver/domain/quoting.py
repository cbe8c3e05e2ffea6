"""Quotes for an intent a user is about to sign: the best single route over a pool snapshot, and a limit.

A sell quote is the most buy units the best route pays for exactly `amount` sell units; a buy quote is the
fewest sell units the best route needs for at least `amount` buy units (`routing`). The suggested limit
gives the expected amount `slippage_bps` of room, rounded against the user: a sell intent's buy amount
rounds down, a buy intent's sell amount rounds up. Refusals are `Rejected` with a machine-readable code.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from fractions import Fraction

from .clearing import mul_div_up
from .intake import RejectCode, Rejected
from .intent import IntentKind
from .liquidity import Pool
from .primitives import UINT256_MAX
from .routing import Route, best_buy_route, best_sell_route

BPS = 10_000


@dataclass(frozen=True, slots=True)
class PoolSnapshot:
    """The pools' state at one block."""

    block: int
    pools: tuple[Pool, ...]


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    sell_token: str
    buy_token: str
    kind: IntentKind  # which side `amount` is: SELL quotes the buy amount, BUY quotes the sell amount
    amount: int  # base units of the exact side
    slippage_bps: int = 50  # room left between the expected amount and the suggested limit

    def __post_init__(self) -> None:
        if self.sell_token.lower() == self.buy_token.lower():
            raise Rejected(RejectCode.SAME_TOKEN, "sell and buy token must differ")
        if not 0 < self.amount <= UINT256_MAX:
            raise Rejected(RejectCode.INVALID_AMOUNT, "amount must be positive and fit a uint256")
        if not 0 <= self.slippage_bps < BPS:
            raise Rejected(RejectCode.MALFORMED, f"slippageBps must be in [0, {BPS})")


@dataclass(frozen=True, slots=True)
class Quote:
    request: QuoteRequest
    block: int  # the snapshot the route was priced on
    route: Route
    sell_amount: int  # expected: what the route takes
    buy_amount: int  # expected: what the route pays (a buy quote: the requested amount)
    limit_sell: int  # suggested sell_amount to sign
    limit_buy: int  # suggested buy_amount to sign

    @property
    def price(self) -> Fraction:
        """Expected buy units per sell unit: what a fill's slippage is measured against."""
        return Fraction(self.buy_amount, self.sell_amount)


def quote(snapshot: PoolSnapshot, request: QuoteRequest, *, intermediates: Collection[str] | None = None) -> Quote:
    """The best route's quote for `request`; Rejected(NO_ROUTE) if no route can fill it."""
    r = request
    if r.kind is IntentKind.SELL:
        route = best_sell_route(snapshot.pools, r.sell_token, r.buy_token, r.amount, intermediates=intermediates)
    else:
        route = best_buy_route(snapshot.pools, r.sell_token, r.buy_token, r.amount, intermediates=intermediates)
    if route is None:
        raise Rejected(RejectCode.NO_ROUTE, f"no pool route from {r.sell_token} to {r.buy_token} for this amount")
    if r.kind is IntentKind.SELL:
        sell, buy = r.amount, route.amount_out
        limit_sell, limit_buy = sell, buy * (BPS - r.slippage_bps) // BPS
    else:
        sell, buy = route.amount_in, r.amount
        limit_sell, limit_buy = mul_div_up(sell, BPS + r.slippage_bps, BPS), buy
    if limit_buy == 0:
        raise Rejected(RejectCode.INVALID_AMOUNT, "amount too small: the suggested limit rounds to nothing")
    return Quote(r, snapshot.block, route, sell, buy, limit_sell, limit_buy)
