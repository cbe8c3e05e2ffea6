"""Quotes: price a prospective intent over the current liquidity snapshot (one per block, cached by the
composition root), for the tokens the venue trades; keep every answer under an id for `ttl_s`, which the
intent the user then signs may cite (`quoteId`, as CoW's quote ids), and record the cited quote's price
for each accepted intent in the QuoteBook, which accounting measures its fills' slippage against."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Protocol

from solver.domain.intake import RejectCode, Rejected
from solver.domain.intent import Intent
from solver.domain.primitives import address
from solver.domain.quoting import IssuedQuote, PoolSnapshot, Quote, QuoteRequest, check_citation, quote
from solver.ports import QuoteBook

Liquidity = Callable[[], Awaitable[PoolSnapshot]]
QUOTE_TTL_S = 600.0  # how long an answered quote may be cited: ten minutes, as CoW's
QUOTE_ID_BYTES = 16


class IssuedQuotes(Protocol):
    """The quotes the venue answered, by id. Adding the same quote twice is a no-op; a different quote under a
    stored id raises Conflict."""

    async def add(self, quote: IssuedQuote) -> None: ...

    async def get(self, quote_id: bytes) -> IssuedQuote | None: ...


class QuoteService:
    def __init__(
        self, liquidity: Liquidity, supported_tokens: Collection[str], intermediates: Collection[str] | None = None,
        *, store: IssuedQuotes, book: QuoteBook, ttl_s: float = QUOTE_TTL_S, clock: Callable[[], float] = time.time,
        new_id: Callable[[], bytes] = lambda: secrets.token_bytes(QUOTE_ID_BYTES),
    ) -> None:  # fmt: skip
        self._liquidity, self._intermediates = liquidity, intermediates
        self._supported = frozenset(address(t) for t in supported_tokens)
        self._store, self._book, self._ttl_s, self._clock, self._new_id = store, book, ttl_s, clock, new_id

    async def quote(self, request: QuoteRequest) -> tuple[Quote, IssuedQuote]:
        """The best route's quote, stored under a new id before it is answered; Rejected with
        UNSUPPORTED_TOKEN, NO_ROUTE or INVALID_AMOUNT."""
        for token in (request.sell_token, request.buy_token):
            if address(token) not in self._supported:
                raise Rejected(RejectCode.UNSUPPORTED_TOKEN, f"token {token} is not traded here")
        priced = quote(await self._liquidity(), request, intermediates=self._intermediates)
        issued = IssuedQuote.of(priced, self._new_id(), self._clock(), self._ttl_s)
        await self._store.add(issued)
        return priced, issued

    def cite(self, quote_id: bytes) -> Citation:
        """What intake checks an intent citing `quote_id` against, and records once the intent is stored."""
        return Citation(self._store, self._book, quote_id)


class Citation:
    """One intent's `quoteId`: `check` before anything is stored, `record` after the intent is."""

    def __init__(self, store: IssuedQuotes | None, book: QuoteBook | None, quote_id: bytes) -> None:
        self._store, self._book, self._quote_id = store, book, quote_id
        self._quote: IssuedQuote | None = None

    async def check(self, intent: Intent, now: float) -> None:
        """Rejected (UNKNOWN_QUOTE, QUOTE_EXPIRED, QUOTE_MISMATCH) unless the intent may cite the quote."""
        found = None if self._store is None else await self._store.get(self._quote_id)
        self._quote = check_citation(found, self._quote_id, intent, now)

    async def record(self, intent_id: bytes) -> None:
        """The checked quote's price becomes the intent's quoted price."""
        if self._quote is None:
            raise RuntimeError("record() before a successful check()")
        if self._book is not None:
            await self._book.record(intent_id, self._quote.price)


def no_quotes(quote_id: bytes) -> Citation:
    """The citation of a venue that answers no quotes: every quote id is unknown."""
    return Citation(None, None, quote_id)
