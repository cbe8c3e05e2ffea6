"""Quotes in storage: the quotes the venue answered (`IssuedQuotes`) and each intent's quoted price
(`solver.ports.QuoteBook`), in SQL (SQLAlchemy Core, one transaction per call) and as in-memory twins.

A quote is written once: the same quote again is a no-op, a different one under the same id a Conflict.
An intent's quoted price is an upsert: a later quote replaces it, as the port says. Prices are stored
reduced, numerator and denominator as exact uint256 columns.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from solver.domain.intent import IntentKind
from solver.domain.quoting import IssuedQuote
from solver.ports import Conflict

from . import schema
from .database import Database, first_row

_quotes, _book = schema.quotes, schema.intent_quotes


def quote_row(quote: IssuedQuote) -> dict[str, Any]:
    return {
        "quote_id": quote.quote_id, "sell_token": quote.sell_token, "buy_token": quote.buy_token,
        "kind": int(quote.kind), "sell_amount": quote.sell_amount, "buy_amount": quote.buy_amount,
        "block_number": quote.block, "issued_at": quote.issued_at, "expires_at": quote.expires_at,
    }  # fmt: skip


def issued_quote(row: sa.RowMapping) -> IssuedQuote:
    return IssuedQuote(
        row["quote_id"], row["sell_token"], row["buy_token"], IntentKind(row["kind"]), row["sell_amount"],
        row["buy_amount"], row["block_number"], row["issued_at"], row["expires_at"],
    )  # fmt: skip


class SqlQuoteStore:
    """The quotes the venue answered, by id."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, quote: IssuedQuote) -> None:
        async with self._db.transaction() as connection:
            if await self._db.insert_once(connection, _quotes, quote_row(quote)):
                return
            row = await first_row(connection, sa.select(_quotes).where(_quotes.c.quote_id == quote.quote_id))
        if row is None or issued_quote(row) != quote:
            raise Conflict(f"a different quote is already stored under 0x{quote.quote_id.hex()}")

    async def get(self, quote_id: bytes) -> IssuedQuote | None:
        async with self._db.transaction() as connection:
            row = await first_row(connection, sa.select(_quotes).where(_quotes.c.quote_id == quote_id))
        return None if row is None else issued_quote(row)


class SqlQuoteBook:
    """solver.ports.QuoteBook: the price each intent's owner was quoted."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, intent_id: bytes, price: Fraction) -> None:
        insert = postgresql.insert if self._db.dialect == "postgresql" else sqlite.insert
        values = {"price_num": price.numerator, "price_den": price.denominator}
        statement = insert(_book).values(intent_id=intent_id, **values)
        upsert = statement.on_conflict_do_update(index_elements=[_book.c.intent_id], set_=values)
        async with self._db.transaction() as connection:
            await connection.execute(upsert)

    async def quoted_price(self, intent_id: bytes) -> Fraction | None:
        async with self._db.transaction() as connection:
            row = await first_row(connection, sa.select(_book).where(_book.c.intent_id == intent_id))
        return None if row is None else Fraction(row["price_num"], row["price_den"])


class MemoryQuoteStore:
    """In-memory twin of SqlQuoteStore."""

    def __init__(self) -> None:
        self._quotes: dict[bytes, IssuedQuote] = {}

    async def add(self, quote: IssuedQuote) -> None:
        if self._quotes.setdefault(quote.quote_id, quote) != quote:
            raise Conflict(f"a different quote is already stored under 0x{quote.quote_id.hex()}")

    async def get(self, quote_id: bytes) -> IssuedQuote | None:
        return self._quotes.get(quote_id)
