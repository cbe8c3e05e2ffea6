"""Quotes: price a prospective intent over the current liquidity snapshot (one per block, cached by the
composition root), for the tokens the venue trades."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from solver.domain.intake import RejectCode, Rejected
from solver.domain.primitives import address
from solver.domain.quoting import PoolSnapshot, Quote, QuoteRequest, quote

Liquidity = Callable[[], Awaitable[PoolSnapshot]]


class QuoteService:
    def __init__(
        self, liquidity: Liquidity, supported_tokens: Collection[str], intermediates: Collection[str] | None = None
    ) -> None:
        self._liquidity, self._intermediates = liquidity, intermediates
        self._supported = frozenset(address(t) for t in supported_tokens)

    async def quote(self, request: QuoteRequest) -> Quote:
        """The best route's quote; Rejected with UNSUPPORTED_TOKEN, NO_ROUTE or INVALID_AMOUNT."""
        for token in (request.sell_token, request.buy_token):
            if address(token) not in self._supported:
                raise Rejected(RejectCode.UNSUPPORTED_TOKEN, f"token {token} is not traded here")
        return quote(await self._liquidity(), request, intermediates=self._intermediates)
