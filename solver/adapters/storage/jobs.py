"""The keeper's job queue in SQL (solver.keeper.ports.JobQueue), shared by keeper processes on other hosts.

`claim` is one statement: UPDATE the oldest PENDING row to SENDING, chosen by a subquery. On PostgreSQL
the subquery locks its row FOR UPDATE SKIP LOCKED, so concurrent claimers each take a different job
without waiting on each other; on SQLite every transaction starts with BEGIN IMMEDIATE (see engine.py),
so claims from any number of processes run one after the other. `save` is compare-and-set on the version
and appends the job's newly signed transactions in the same transaction: when it returns, what the keeper
is about to broadcast is on disk. Sent transactions are a write-ahead log: a save that would drop or alter
one is refused (Conflict), since a forgotten signed transaction could be mined after a new one is signed.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from solver.domain.settlement_job import JobStatus, SettlementJob
from solver.ports import Conflict, StaleVersion

from . import rows, schema
from .database import Database, all_rows

_jobs, _txs = schema.settlement_jobs, schema.settlement_job_txs


class SqlJobQueue:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, job: SettlementJob) -> None:
        async with self._db.transaction() as connection:
            if await self._db.insert_once(connection, _jobs, rows.job_row(job)) and job.sent:
                await connection.execute(_txs.insert(), rows.sent_rows(job))

    async def claim(self, keeper: str) -> SettlementJob | None:
        pending = _jobs.alias("pending")
        oldest = (
            sa.select(pending.c.auction_id)
            .where(pending.c.status == JobStatus.PENDING.value)
            .order_by(pending.c.auction_id)
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite's BEGIN IMMEDIATE already serializes
            .scalar_subquery()
        )
        claim = (
            _jobs.update()
            .where(_jobs.c.auction_id == oldest, _jobs.c.status == JobStatus.PENDING.value)
            .values(status=JobStatus.SENDING.value, keeper=keeper, version=_jobs.c.version + 1)  # = job.claimed()
            .returning(*_jobs.c)
        )
        async with self._db.transaction() as connection:
            row = (await connection.execute(claim)).mappings().first()
            if row is None:
                return None
            return rows.settlement_job(row, await _sent(connection, row["auction_id"]))

    async def save(self, job: SettlementJob) -> SettlementJob:
        c = _jobs.c
        previous = job.version - 1
        values = {name: value for name, value in rows.job_row(job).items() if name in _MUTABLE}
        update = _jobs.update().where(c.auction_id == job.auction_id, c.version == previous).values(values)
        async with self._db.transaction() as connection:
            if (await connection.execute(update)).rowcount != 1:
                raise StaleVersion(f"job {job.auction_id} is not at version {previous}")
            stored = tuple(rows.sent_transaction(r) for r in await _sent(connection, job.auction_id))
            if job.sent[: len(stored)] != stored:
                raise Conflict(f"job {job.auction_id}: a save may add sent transactions, never drop or change one")
            if len(job.sent) > len(stored):
                await connection.execute(_txs.insert(), rows.sent_rows(job, len(stored)))
        return job

    async def in_flight(self, keeper: str) -> list[SettlementJob]:
        c = _jobs.c
        return await self._select(sa.and_(c.keeper == keeper, c.status == JobStatus.SENDING.value))

    async def unfinished(self) -> list[SettlementJob]:
        return await self._select(_jobs.c.status.in_([JobStatus.PENDING.value, JobStatus.SENDING.value]))

    async def get(self, auction_id: int) -> SettlementJob | None:
        found = await self._select(_jobs.c.auction_id == auction_id)
        return found[0] if found else None

    async def _select(self, where: sa.ColumnElement[bool]) -> list[SettlementJob]:
        async with self._db.transaction() as connection:
            job_rows = await all_rows(connection, sa.select(_jobs).where(where).order_by(_jobs.c.auction_id))
            if not job_rows:
                return []
            joined = sa.select(_txs).join(_jobs, _jobs.c.auction_id == _txs.c.auction_id).where(where)
            by_job: dict[int, list[sa.RowMapping]] = defaultdict(list)
            for tx in await all_rows(connection, joined.order_by(_txs.c.auction_id, _txs.c.position)):
                by_job[tx["auction_id"]].append(tx)
        return [rows.settlement_job(row, by_job[row["auction_id"]]) for row in job_rows]


# What a save may change; calldata, intent ids, deadline and the winning solver are fixed when the job is added.
_MUTABLE = frozenset({"status", "keeper", "nonce", "reason", "version"})


async def _sent(connection: AsyncConnection, auction_id: int) -> list[sa.RowMapping]:
    query = sa.select(_txs).where(_txs.c.auction_id == auction_id).order_by(_txs.c.position)
    return await all_rows(connection, query)
