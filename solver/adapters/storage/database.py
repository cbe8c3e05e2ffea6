"""What every SQL adapter shares: an engine with one transaction per call, an insert-if-absent, row reads,
and the driver errors that mean the database (not the request) is the problem."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from solver.ports import Conflict, StorageUnavailable

# Connection refused or lost, lock or statement time-outs, no pooled connection free in time: the database,
# not the request, is the problem. (Any other DBAPIError is one too when the driver says the connection was
# lost mid-statement: see `unavailable`.)
UNAVAILABLE = (OperationalError, InterfaceError, OSError, TimeoutError, PoolTimeout)


def unavailable(exc: BaseException) -> bool:
    """True if `exc` means the database could not serve the call (not that the call was wrong)."""
    return isinstance(exc, UNAVAILABLE) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


class Database:
    """An engine plus the two things every adapter needs: a transaction and an insert-if-absent."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # SQLite runs one transaction at a time anyway (BEGIN IMMEDIATE); queueing them here instead of in
        # SQLite's busy handler, which polls with sleeps of up to 100 ms, keeps contended writes fast.
        self._turn = asyncio.Lock() if self.dialect == "sqlite" else contextlib.nullcontext()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        try:
            async with self._turn, self.engine.begin() as connection:
                yield connection
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc
        except (*UNAVAILABLE, DBAPIError) as exc:
            if not unavailable(exc):
                raise  # a bad statement is a bug: it stays visible
            raise StorageUnavailable(str(exc)) from exc

    async def insert_once(self, connection: AsyncConnection, table: sa.Table, row: Mapping[str, Any]) -> bool:
        """Insert `row` unless it violates a unique key; True if it was inserted."""
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        result = await connection.execute(insert(table).on_conflict_do_nothing(), dict(row))
        return result.rowcount == 1


async def first_row(connection: AsyncConnection, query: sa.Select[Any]) -> sa.RowMapping | None:
    row: sa.RowMapping | None = (await connection.execute(query)).mappings().first()
    return row


async def all_rows(connection: AsyncConnection, query: sa.Select[Any]) -> list[sa.RowMapping]:
    return list((await connection.execute(query)).mappings())
