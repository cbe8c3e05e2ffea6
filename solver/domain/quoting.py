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
from .errors import DomainError
from .intake import RejectCode, Rejected
from .intent import Intent, IntentKind
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


@dataclass(frozen=True, slots=True)
class IssuedQuote:
    """A quote the venue answered, kept under an id an intent can cite (as CoW's quote ids): the price the
    intent's owner saw before signing, which its fills' slippage is measured against."""

    quote_id: bytes  # 16 random bytes: unguessable, so nobody cites another user's quote by counting
    sell_token: str
    buy_token: str
    kind: IntentKind
    sell_amount: int  # expected, base units
    buy_amount: int  # expected, base units
    block: int  # the block whose pool state priced it
    issued_at: float  # unix seconds
    expires_at: float  # unix seconds; an intent may cite it up to and including this instant

    def __post_init__(self) -> None:
        if not (0 < self.sell_amount <= UINT256_MAX and 0 < self.buy_amount <= UINT256_MAX):
            raise DomainError("a quote's amounts must be positive uint256 values")
        if self.expires_at < self.issued_at:
            raise DomainError("a quote cannot expire before it is issued")

    @property
    def price(self) -> Fraction:
        """Quoted buy units per sell unit, exact."""
        return Fraction(self.buy_amount, self.sell_amount)

    @classmethod
    def of(cls, quote: Quote, quote_id: bytes, now: float, ttl_s: float) -> IssuedQuote:
        r = quote.request
        return cls(quote_id, r.sell_token, r.buy_token, r.kind, quote.sell_amount, quote.buy_amount, quote.block,
                   now, now + ttl_s)  # fmt: skip


def check_citation(quote: IssuedQuote | None, quote_id: bytes, intent: Intent, now: float) -> IssuedQuote:
    """The quote an intent cites, if it may cite it: it exists, has not expired at `now` (unix seconds) and is
    for the intent's tokens and kind. Raises Rejected (UNKNOWN_QUOTE, QUOTE_EXPIRED or QUOTE_MISMATCH)."""
    if quote is None:
        raise Rejected(RejectCode.UNKNOWN_QUOTE, f"no quote 0x{quote_id.hex()}")
    if now > quote.expires_at:
        raise Rejected(RejectCode.QUOTE_EXPIRED, f"quote 0x{quote_id.hex()} expired at {quote.expires_at:.0f}")
    same_pair = (quote.sell_token, quote.buy_token) == (intent.sell_token, intent.buy_token)
    if not same_pair or quote.kind is not intent.kind:
        raise Rejected(
            RejectCode.QUOTE_MISMATCH,
            f"quote 0x{quote_id.hex()} is a {quote.kind.name.lower()} quote of {quote.sell_token} for "
            f"{quote.buy_token}, not this intent's",
        )
    return quote
