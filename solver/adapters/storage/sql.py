"""SQL adapters of the storage ports (SQLAlchemy 2 Core, async): SQLite by default, PostgreSQL by URL.

Each call is one transaction, committed before it returns. Writes are idempotent through
INSERT ... ON CONFLICT DO NOTHING followed by a read of what won; intent updates are compare-and-set on
the row's version. Driver errors are translated by `database.Database`: lost connections and lock
time-outs become StorageUnavailable. The keeper's job queue is in `jobs`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from solver.domain.commitments import Budget
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.primitives import address
from solver.domain.records import (
    AuctionRecord,
    BidRecord,
    FillFilter,
    FillRecord,
    FillSummary,
    SettlementRecord,
    StatusChange,
    StoredIntent,
    summarize,
)
from solver.ports import Conflict, StaleVersion, StorageUnavailable, UnknownRecord

from . import rows, schema
from .database import UNAVAILABLE, Database, all_rows, first_row
from .engine import create_engine
from .group_commit import IntentGroupCommit
from .jobs import SqlJobQueue
from .migrations import upgrade
from .quotes import SqlQuoteBook, SqlQuoteStore

T = TypeVar("T")
BATCH_READ = 500  # ids per IN (...) list: SQLite allows at most 32,766 bound parameters per statement


def _same_or_conflict(existing: T | None, new: T) -> None:
    if existing != new:
        raise Conflict(f"a different record is already stored: {existing!r}")


class SqlIntentStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Concurrent adds and gets (intake's hot path) share one transaction per batch: see group_commit.
        self._batches = IntentGroupCommit(db, self._get_one)

    async def add(self, record: IntentRecord, budget: Budget | None = None) -> StoredIntent:
        return await self._batches.add(record, budget)

    async def get(self, intent_id: bytes) -> StoredIntent | None:
        return await self._batches.get(intent_id)

    async def _get_one(self, intent_id: bytes) -> StoredIntent | None:
        async with self._db.transaction() as connection:
            return await _intent(connection, intent_id)

    async def by_owner(self, owner: str) -> list[StoredIntent]:
        return await self._select(schema.intents.c.owner == address(owner))

    async def by_status(self, status: IntentStatus) -> list[StoredIntent]:
        return await self._select(schema.intents.c.status == status.value)

    async def set_status(self, intent_id: bytes, status: IntentStatus, version: int) -> StoredIntent:
        return await self._write(intent_id, version, lambda current: current.with_status(status))

    async def set_statuses(self, changes: Sequence[StatusChange]) -> list[StoredIntent | None]:
        """Read the rows (locked on PostgreSQL; SQLite's BEGIN IMMEDIATE holds the write lock), then one
        executemany UPDATE for the changes whose version is current."""
        c = schema.intents.c
        async with self._db.transaction() as connection:
            current: dict[bytes, StoredIntent] = {}
            ids = list({change.intent_id for change in changes})
            for start in range(0, len(ids), BATCH_READ):
                query = sa.select(schema.intents).where(c.intent_id.in_(ids[start : start + BATCH_READ]))
                if self._db.dialect == "postgresql":
                    query = query.with_for_update()
                for row in await all_rows(connection, query):
                    found = rows.stored_intent(row)
                    current[found.record.intent_id] = found
            new: list[StoredIntent | None] = []
            for change in changes:
                stored = current.get(change.intent_id)
                moved = None
                if stored is not None and stored.version == change.version:
                    moved = stored.with_status(change.status)
                if moved is not None:
                    current[change.intent_id] = moved  # a second change of the same intent needs the new version
                new.append(moved)
            updates = [
                {"key": n.record.intent_id, "old": n.version - 1, "status": n.record.status.value, "version": n.version}
                for n in new
                if n is not None
            ]
            if updates:
                statement = (
                    schema.intents.update()
                    .where(c.intent_id == sa.bindparam("key", type_=c.intent_id.type), c.version == sa.bindparam("old"))
                    .values(status=sa.bindparam("status"), version=sa.bindparam("version"))
                )
                await connection.execute(statement, updates)
            return new

    async def record_fill(self, intent_id: bytes, executed: int, version: int) -> StoredIntent:
        return await self._write(intent_id, version, lambda current: current.with_fill(executed))

    async def _select(self, where: sa.ColumnElement[bool]) -> list[StoredIntent]:
        c = schema.intents.c
        query = sa.select(schema.intents).where(where).order_by(c.accepted_at, c.intent_id)
        async with self._db.transaction() as connection:
            return [rows.stored_intent(row) for row in await all_rows(connection, query)]

    async def _write(
        self, intent_id: bytes, version: int, change: Callable[[StoredIntent], StoredIntent]
    ) -> StoredIntent:
        """Apply `change` to the current version if it is `version` (compare-and-set on the row)."""
        c = schema.intents.c
        async with self._db.transaction() as connection:
            current = await _intent(connection, intent_id)
            if current is None:
                raise UnknownRecord(f"no intent 0x{intent_id.hex()}")
            if current.version != version:
                raise StaleVersion(f"intent 0x{intent_id.hex()} is at version {current.version}, not {version}")
            new = change(current)
            values = {"status": new.record.status.value, "filled": new.record.filled, "version": new.version}
            update = schema.intents.update().where(c.intent_id == intent_id, c.version == version).values(values)
            if (await connection.execute(update)).rowcount != 1:
                raise StaleVersion(f"intent 0x{intent_id.hex()} changed while it was being updated")
            return new


async def _intent(connection: AsyncConnection, intent_id: bytes) -> StoredIntent | None:
    row = await first_row(connection, sa.select(schema.intents).where(schema.intents.c.intent_id == intent_id))
    return None if row is None else rows.stored_intent(row)


class SqlAuctionLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record_auction(self, auction: AuctionRecord) -> None:
        async with self._db.transaction() as connection:
            if await self._db.insert_once(connection, schema.auctions, rows.auction_row(auction)):
                await _insert_many(connection, schema.auction_orders, rows.order_rows(auction))
                await _insert_many(connection, schema.auction_prices, rows.price_rows(auction))
                return
            existing = await _auction(connection, auction.auction_id)
        _same_or_conflict(existing, auction)

    async def record_bid(self, bid: BidRecord) -> None:
        c = schema.bids.c
        key = sa.and_(c.auction_id == bid.auction_id, c.solver == bid.solver)
        await self._record_once(bid.auction_id, schema.bids, rows.bid_row(bid), key, rows.bid_record, bid)

    async def record_bids(self, bids: Sequence[BidRecord]) -> None:
        c = schema.bids.c
        async with self._db.transaction() as connection:
            for auction_id in {b.auction_id for b in bids}:
                known = sa.select(schema.auctions.c.auction_id).where(_auction_is(auction_id))
                if await first_row(connection, known) is None:
                    raise UnknownRecord(f"no auction {auction_id}")
            for bid in bids:
                if await self._db.insert_once(connection, schema.bids, rows.bid_row(bid)):
                    continue
                key = sa.and_(c.auction_id == bid.auction_id, c.solver == bid.solver)
                existing = await first_row(connection, sa.select(schema.bids).where(key))
                _same_or_conflict(None if existing is None else rows.bid_record(existing), bid)  # rolls back all

    async def record_settlement(self, settlement: SettlementRecord) -> None:
        table, row = schema.settlements, rows.settlement_row(settlement)
        key = table.c.tx_hash == settlement.tx_hash
        await self._record_once(settlement.auction_id, table, row, key, rows.settlement_record, settlement)

    async def auction(self, auction_id: int) -> AuctionRecord | None:
        async with self._db.transaction() as connection:
            return await _auction(connection, auction_id)

    async def bids(self, auction_id: int) -> list[BidRecord]:
        c = schema.bids.c
        order = (sa.nulls_last(c.score.desc()), sa.func.lower(c.solver))
        query = sa.select(schema.bids).where(c.auction_id == auction_id).order_by(*order)
        async with self._db.transaction() as connection:
            return [rows.bid_record(row) for row in await all_rows(connection, query)]

    async def settlements(self, auction_id: int) -> list[SettlementRecord]:
        c = schema.settlements.c
        query = sa.select(schema.settlements).where(c.auction_id == auction_id).order_by(c.block_number, c.tx_hash)
        async with self._db.transaction() as connection:
            return [rows.settlement_record(row) for row in await all_rows(connection, query)]

    async def _record_once(
        self,
        auction_id: int,
        table: sa.Table,
        row: dict[str, Any],
        key: sa.ColumnElement[bool],
        to_domain: Callable[[sa.RowMapping], T],
        record: T,
    ) -> None:
        async with self._db.transaction() as connection:
            known = sa.select(schema.auctions.c.auction_id).where(_auction_is(auction_id))
            if await first_row(connection, known) is None:
                raise UnknownRecord(f"no auction {auction_id}")
            if await self._db.insert_once(connection, table, row):
                return
            existing = await first_row(connection, sa.select(table).where(key))
        _same_or_conflict(None if existing is None else to_domain(existing), record)


def _auction_is(auction_id: int) -> sa.ColumnElement[bool]:
    return schema.auctions.c.auction_id == auction_id


async def _auction(connection: AsyncConnection, auction_id: int) -> AuctionRecord | None:
    row = await first_row(connection, sa.select(schema.auctions).where(_auction_is(auction_id)))
    if row is None:
        return None
    orders, prices = schema.auction_orders, schema.auction_prices
    order_rows = await all_rows(
        connection, sa.select(orders).where(orders.c.auction_id == auction_id).order_by(orders.c.position)
    )
    price_rows = await all_rows(connection, sa.select(prices).where(prices.c.auction_id == auction_id))
    return rows.auction_record(row, [r["intent_id"] for r in order_rows], {r["token"]: r["price"] for r in price_rows})


async def _insert_many(connection: AsyncConnection, table: sa.Table, values: list[dict[str, Any]]) -> None:
    if values:
        await connection.execute(table.insert(), values)


class SqlFillLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, fill: FillRecord) -> None:
        async with self._db.transaction() as connection:
            if await self._db.insert_once(connection, schema.fills, rows.fill_row(fill)):
                await _insert_many(connection, schema.fill_pool_volumes, rows.pool_rows(fill))
                return
            same_tx = schema.fills.c.tx_hash == fill.tx_hash
            found = await _fills(connection, FillFilter(intent_id=fill.intent_id), same_tx)
        _same_or_conflict(found[0] if found else None, fill)

    async def fills(self, query: FillFilter) -> list[FillRecord]:
        async with self._db.transaction() as connection:
            return await _fills(connection, query)

    async def summary(self, query: FillFilter) -> FillSummary:
        return summarize(await self.fills(query))


def _conditions(query: FillFilter) -> list[sa.ColumnElement[bool]]:
    c = schema.fills.c
    conditions = [
        c.intent_id == query.intent_id if query.intent_id is not None else None,
        c.owner == query.owner if query.owner is not None else None,
        c.auction_id == query.auction_id if query.auction_id is not None else None,
        c.settled_at >= query.since if query.since is not None else None,
        c.settled_at < query.until if query.until is not None else None,
    ]
    return [condition for condition in conditions if condition is not None]


async def _fills(connection: AsyncConnection, query: FillFilter, *extra: sa.ColumnElement[bool]) -> list[FillRecord]:
    fills, pools = schema.fills, schema.fill_pool_volumes
    where = [*_conditions(query), *extra]
    order = (fills.c.settled_at, fills.c.tx_hash, fills.c.intent_id)
    fill_rows = await all_rows(connection, sa.select(fills).where(*where).order_by(*order))
    joined = sa.and_(pools.c.tx_hash == fills.c.tx_hash, pools.c.intent_id == fills.c.intent_id)
    by_fill: dict[tuple[bytes, bytes], dict[str, int]] = defaultdict(dict)
    for row in await all_rows(connection, sa.select(pools).join(fills, joined).where(*where)):
        by_fill[(row["tx_hash"], row["intent_id"])][row["pool"]] = row["amount"]
    return [rows.fill_record(row, by_fill[(row["tx_hash"], row["intent_id"])]) for row in fill_rows]


@dataclass(frozen=True, slots=True)
class SqlStorage:
    """The SQL stores and the keeper's job queue over one engine."""

    engine: AsyncEngine
    intents: SqlIntentStore
    auctions: SqlAuctionLog
    fills: SqlFillLog
    jobs: SqlJobQueue
    quotes: SqlQuoteStore
    quote_book: SqlQuoteBook

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> SqlStorage:
        """Connect to `url` and (by default) migrate its schema to the newest revision."""
        engine = create_engine(url)
        if migrate:
            try:
                await upgrade(engine)
            except UNAVAILABLE as exc:
                await engine.dispose()
                raise StorageUnavailable(f"cannot migrate {engine.url!r}: {exc}") from exc
        db = Database(engine)
        stores = SqlIntentStore(db), SqlAuctionLog(db), SqlFillLog(db), SqlJobQueue(db)
        return cls(engine, *stores, SqlQuoteStore(db), SqlQuoteBook(db))

    async def close(self) -> None:
        await self.engine.dispose()
