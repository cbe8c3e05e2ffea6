"""Group commit for the intent store's hot path: concurrent `add`s and `get`s share one transaction.

Intake does a lookup (idempotency) and an insert per intent. One transaction each costs a BEGIN, the
statements and a COMMIT (an fsync on SQLite, where transactions also run one at a time) plus, through
aiosqlite, a thread hand-off per statement: that capped intake near 200 intents/s. Here the calls that
arrive while a batch is being written wait for the next one, and a batch is a single transaction: one
SELECT ... WHERE intent_id IN (...) for the lookups and the adds' ids (a repeat is answered what is
stored), the owners' commitments if the adds carry budgets (commitments.py: one grouped aggregate, with a
per-owner advisory lock on PostgreSQL), one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING for the
admitted inserts and one SELECT for the inserts that did not go in. Every caller's answer is the one a
transaction of its own would give (lookups in a batch see the state before its inserts, and the adds are
admitted in arrival order, each counting the ones admitted before it: a valid serial order), nothing is
acknowledged before the batch is committed, and if the batch transaction fails on a constraint, its
operations are retried one by one so a bad record fails alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from solver.domain.commitments import Budget, admit, needed
from solver.domain.lifecycle import IntentRecord
from solver.domain.records import StoredIntent
from solver.ports import Conflict

from . import commitments, rows, schema
from .database import Database, all_rows

MAX_BATCH = 200  # operations per transaction: ~3,800 bound parameters, far below SQLite's and PostgreSQL's caps


@dataclass(slots=True)
class _Op:
    future: asyncio.Future[Any]
    intent_id: bytes
    record: IntentRecord | None  # None: a lookup
    budget: Budget | None = None  # an add admitted only within it (IntentStore.add)


class IntentGroupCommit:
    """Batches `add` and `get` of one store; `get_one` is the single-transaction fallback of a lookup."""

    def __init__(self, db: Database, get_one: Callable[[bytes], Awaitable[StoredIntent | None]]) -> None:
        self._db, self._get_one = db, get_one
        self._pending: list[_Op] = []
        self._flushing: asyncio.Task[None] | None = None

    async def add(self, record: IntentRecord, budget: Budget | None = None) -> StoredIntent:
        result: StoredIntent = await self._submit(record.intent_id, record, budget)
        return result

    async def get(self, intent_id: bytes) -> StoredIntent | None:
        result: StoredIntent | None = await self._submit(intent_id, None)
        return result

    async def _submit(self, intent_id: bytes, record: IntentRecord | None, budget: Budget | None = None) -> Any:
        loop = asyncio.get_running_loop()
        if self._flushing is not None and self._flushing.get_loop() is not loop:
            # The store outlived an event loop (tests run each call in a loop of its own): drop its leftovers.
            self._pending = [op for op in self._pending if op.future.get_loop() is loop]
            self._flushing = None
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append(_Op(future, intent_id, record, budget))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            await asyncio.sleep(0)  # let calls made in the same tick join this batch
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                results = await self._write(batch)
            except Conflict:
                await self._one_by_one(batch)
                continue
            except Exception as exc:  # the database's error reaches every waiting caller
                for op in batch:
                    _settle(op.future, exc=exc)
                continue
            for op, result in zip(batch, results, strict=True):
                _settle(op.future, result)

    async def _write(self, batch: Sequence[_Op]) -> list[Any]:
        """Every op's answer: a StoredIntent (or None for a lookup that found nothing), or the exception it
        raises (a Conflict, or admit's Rejected)."""
        adds = [op for op in batch if op.record is not None]
        async with self._db.transaction() as connection:
            budgeted = {op.record.intent.owner for op in adds if op.record is not None and op.budget is not None}
            if budgeted and self._db.dialect == "postgresql":
                await commitments.lock_owners(connection, budgeted)
            found = await _by_id(connection, list({op.intent_id for op in batch}))
            refused = await self._admit(connection, [op for op in adds if op.intent_id not in found])
            values = [rows.intent_row(StoredIntent(r, 1)) for op in adds if (r := op.record) is not None
                      and op.intent_id not in found and op.intent_id not in refused]  # fmt: skip
            inserted = await _insert(connection, self._db.dialect, values)
            missing = {op.intent_id for op in adds} - inserted - found.keys() - refused.keys()
            existing = await _by_id(connection, list(missing))
        results: list[Any] = []
        for op in batch:
            if op.record is None or op.intent_id in found:
                results.append(found.get(op.intent_id))
            elif op.intent_id in refused:
                results.append(refused[op.intent_id])
            elif op.intent_id in inserted:
                results.append(StoredIntent(op.record, 1))
            elif op.intent_id in existing:
                results.append(existing[op.intent_id])
            else:
                intent = op.record.intent
                results.append(Conflict(f"nonce {intent.nonce} of {intent.owner} is used by another intent"))
        return results

    async def _admit(self, connection: AsyncConnection, adds: Sequence[_Op]) -> dict[bytes, Exception]:
        """The new intents `admit` refuses, by id, each counted against the owners' stored live intents and
        the ones admitted before it in this batch."""
        budgeted = [op for op in adds if op.budget is not None and op.record is not None]
        if not budgeted:
            return {}
        now = min(op.budget.now for op in budgeted if op.budget is not None)
        book = await commitments.read(connection, self._db.dialect, {op.record.intent.owner for op in budgeted
                                                                      if op.record is not None}, now)  # fmt: skip
        refused: dict[bytes, Exception] = {}
        admitted: set[bytes] = set()
        for op in budgeted:
            assert op.record is not None and op.budget is not None
            intent = op.record.intent
            if op.intent_id in admitted:  # the same new intent twice in the batch: it counts once
                continue
            try:
                admit(intent, book.of(intent), op.budget)
            except Exception as exc:
                refused[op.intent_id] = exc
                continue
            admitted.add(op.intent_id)
            book.add(intent, needed(intent, 0))
        return refused

    async def _one_by_one(self, batch: Sequence[_Op]) -> None:
        for op in batch:
            try:
                if op.record is None:
                    result: Any = await self._get_one(op.intent_id)
                else:
                    (result,) = await self._write([op])
            except Exception as exc:
                _settle(op.future, exc=exc)
            else:
                _settle(op.future, result)


def _insert_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING intent_id: the rows that did not violate a unique key.

    Executed with a list of rows, SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues") from one
    compiled, cached statement; `.values(rows)` would compile a new statement for every batch."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(schema.intents).on_conflict_do_nothing().returning(schema.intents.c.intent_id)


def _by_id_query(ids: Sequence[bytes]) -> sa.Select[Any]:
    return sa.select(schema.intents).where(schema.intents.c.intent_id.in_(ids))


async def _insert(connection: AsyncConnection, dialect: str, values: list[dict[str, Any]]) -> set[bytes]:
    if not values:
        return set()
    return {row[0] for row in await connection.execute(_insert_statement(dialect), values)}


async def _by_id(connection: AsyncConnection, ids: Sequence[bytes]) -> dict[bytes, StoredIntent]:
    if not ids:
        return {}
    return {row["intent_id"]: rows.stored_intent(row) for row in await all_rows(connection, _by_id_query(ids))}


def _settle(future: asyncio.Future[Any], result: Any = None, exc: BaseException | None = None) -> None:
    """Resolve a waiting caller (one that gave up meanwhile is skipped); an exception result is raised."""
    if future.done():
        return
    if exc is None and isinstance(result, Exception):
        exc = result
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
