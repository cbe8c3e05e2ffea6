"""Concurrent adds and lookups (intake's hot path) answer as if each ran alone, on every backend.

The SQL stores batch them into one transaction (solver.adapters.storage.group_commit); these scenarios
put many of them in flight at once so that they land in the same batch."""

from __future__ import annotations

import asyncio

from solver.adapters.storage import Storage
from solver.domain.records import StoredIntent
from solver.ports import Conflict
from tests.adapters.storage_builders import a_record
from tests.unit.builders import BOB


async def test_many_concurrent_adds_are_all_stored_and_read_back(storage: Storage) -> None:
    records = [a_record(nonce=n) for n in range(300)]  # more than one batch
    stored = await asyncio.gather(*(storage.intents.add(r) for r in records))
    assert stored == [StoredIntent(r, 1) for r in records]
    found = await asyncio.gather(*(storage.intents.get(r.intent_id) for r in records))
    assert found == stored


async def test_a_batch_with_repeats_conflicts_and_lookups_answers_each_caller(storage: Storage) -> None:
    earlier = await storage.intents.add(a_record(nonce=1))
    results = await asyncio.gather(
        storage.intents.add(a_record(nonce=2)),
        storage.intents.add(a_record(nonce=2)),  # the same intent twice in one batch
        storage.intents.add(a_record(nonce=1)),  # already stored: the stored one
        storage.intents.add(a_record(nonce=1, buy_amount=1)),  # same owner and nonce, another intent
        storage.intents.add(a_record(nonce=3)),
        storage.intents.add(a_record(nonce=3, buy_amount=1)),  # conflicts inside the batch
        storage.intents.add(a_record(nonce=1, owner=BOB)),
        storage.intents.get(earlier.record.intent_id),
        storage.intents.get(bytes(32)),
        return_exceptions=True,
    )
    assert results[0] == results[1] == StoredIntent(a_record(nonce=2), 1)
    assert results[2] == earlier
    assert isinstance(results[3], Conflict)
    winners = [r for r in results[4:6] if isinstance(r, StoredIntent)]
    assert len(winners) == 1 and sum(isinstance(r, Conflict) for r in results[4:6]) == 1
    assert results[6] == StoredIntent(a_record(nonce=1, owner=BOB), 1)
    assert results[7] == earlier and results[8] is None
    assert await storage.intents.get(a_record(nonce=1, buy_amount=1).intent_id) is None
    assert await storage.intents.get(winners[0].record.intent_id) == winners[0]


async def test_a_cancelled_caller_does_not_stop_the_others(storage: Storage) -> None:
    first = asyncio.ensure_future(storage.intents.add(a_record(nonce=10)))
    second = asyncio.ensure_future(storage.intents.add(a_record(nonce=11)))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == StoredIntent(a_record(nonce=11), 1)
    assert first.cancelled() or first.result() == StoredIntent(a_record(nonce=10), 1)  # the twin has no await
