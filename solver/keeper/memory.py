"""In-memory twin of the keeper's job queue (tests, and the embedded single-process venue); the SQL one,
shared by keeper processes, is solver.adapters.storage.jobs. Both pass tests/adapters/test_job_queue_contract.py.
`MemoryStorage.jobs` is one of these."""

from __future__ import annotations

import asyncio

from solver.domain.settlement_job import JobStatus, SettlementJob
from solver.ports import Conflict, StaleVersion


class MemoryJobQueue:
    def __init__(self) -> None:
        self._jobs: dict[int, SettlementJob] = {}
        self._lock = asyncio.Lock()

    async def add(self, job: SettlementJob) -> None:
        async with self._lock:
            self._jobs.setdefault(job.auction_id, job)

    async def claim(self, keeper: str) -> SettlementJob | None:
        async with self._lock:
            pending = sorted(
                (j for j in self._jobs.values() if j.status is JobStatus.PENDING), key=lambda j: j.auction_id
            )
            if not pending:
                return None
            job = pending[0].claimed(keeper)
            self._jobs[job.auction_id] = job
            return job

    async def save(self, job: SettlementJob) -> SettlementJob:
        async with self._lock:
            current = self._jobs.get(job.auction_id)
            if current is None or current.version != job.version - 1:
                raise StaleVersion(f"job {job.auction_id} changed since version {job.version - 1}")
            if job.sent[: len(current.sent)] != current.sent:
                raise Conflict(f"job {job.auction_id}: a save may add sent transactions, never drop or change one")
            self._jobs[job.auction_id] = job
            return job

    async def in_flight(self, keeper: str) -> list[SettlementJob]:
        async with self._lock:
            return [j for j in self._jobs.values() if j.status is JobStatus.SENDING and j.keeper == keeper]

    async def unfinished(self) -> list[SettlementJob]:
        async with self._lock:
            waiting = (j for j in self._jobs.values() if j.status in (JobStatus.PENDING, JobStatus.SENDING))
            return sorted(waiting, key=lambda j: j.auction_id)

    async def get(self, auction_id: int) -> SettlementJob | None:
        return self._jobs.get(auction_id)
