"""An IntentStore that keeps the shared open intent pool in step with every write it makes.

The store (SQL) stays the record; the pool (Redis when several processes serve the venue) is the index
rounds are cut from: `by_status(OPEN)` reads the pool, every other read goes to the store. Each write goes
to the store first and then moves the intent into the pool (now OPEN) or out of it (anything else), so a
crash between the two leaves the pool behind the store, never ahead of it in a way that matters: a stale
entry's version fails the store's compare-and-set, which repairs the entry; `resync` (run by each new
round leader) brings the pool back to the store.
"""

from __future__ import annotations

from collections.abc import Sequence

from solver.domain.commitments import Budget
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.records import StatusChange, StoredIntent
from solver.ports import IntentStore, OpenIntentPool, StaleVersion


class PooledIntentStore:
    def __init__(self, store: IntentStore, pool: OpenIntentPool) -> None:
        self._store, self._pool = store, pool

    async def add(self, record: IntentRecord, budget: Budget | None = None) -> StoredIntent:
        stored = await self._store.add(record, budget)
        await self._follow([stored])
        return stored

    async def get(self, intent_id: bytes) -> StoredIntent | None:
        return await self._store.get(intent_id)

    async def by_owner(self, owner: str) -> list[StoredIntent]:
        return await self._store.by_owner(owner)

    async def by_status(self, status: IntentStatus) -> list[StoredIntent]:
        if status is IntentStatus.OPEN:
            return await self._pool.all()
        return await self._store.by_status(status)

    async def set_status(self, intent_id: bytes, status: IntentStatus, version: int) -> StoredIntent:
        try:
            stored = await self._store.set_status(intent_id, status, version)
        except StaleVersion:
            await self._repair([intent_id])
            raise
        await self._follow([stored])
        return stored

    async def set_statuses(self, changes: Sequence[StatusChange]) -> list[StoredIntent | None]:
        moved = await self._store.set_statuses(changes)
        await self._follow([m for m in moved if m is not None])
        await self._repair([c.intent_id for c, m in zip(changes, moved, strict=True) if m is None])
        return moved

    async def record_fill(self, intent_id: bytes, executed: int, version: int) -> StoredIntent:
        try:
            stored = await self._store.record_fill(intent_id, executed, version)
        except StaleVersion:
            await self._repair([intent_id])
            raise
        await self._follow([stored])
        return stored

    async def resync(self) -> int:
        """Bring the pool to the store's open intents; returns how many are open. Safe while intake runs:
        entries are only added or removed at versions the store holds, and the pool's version guard keeps
        a concurrent newer write."""
        before = await self._pool.all()
        open_now = await self._store.by_status(IntentStatus.OPEN)
        still_open = {s.record.intent_id for s in open_now}
        await self._pool.put(open_now)
        gone = [s for s in before if s.record.intent_id not in still_open]
        await self._repair([s.record.intent_id for s in gone])
        return len(open_now)

    async def _follow(self, written: Sequence[StoredIntent]) -> None:
        latest = {s.record.intent_id: s for s in written}.values()  # a batch may move one intent twice
        opened = [s for s in latest if s.record.status is IntentStatus.OPEN]
        closed = [s for s in latest if s.record.status is not IntentStatus.OPEN]
        if opened:
            await self._pool.put(opened)
        if closed:
            await self._pool.discard(closed)

    async def _repair(self, intent_ids: Sequence[bytes]) -> None:
        """Entries the store refused as stale: bring them to the store's current version."""
        current = [s for s in [await self._store.get(i) for i in intent_ids] if s is not None]
        await self._follow(current)
