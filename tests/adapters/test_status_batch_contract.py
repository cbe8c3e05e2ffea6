"""IntentStore.set_statuses, the batched transition a round makes: same scenarios on memory, SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from solver.adapters.storage import Storage
from solver.domain.lifecycle import IntentStatus, InvalidTransition
from solver.domain.records import BidStatus, StatusChange
from solver.ports import Conflict, UnknownRecord
from tests.adapters.storage_builders import SOLVER, T0, a_bid, a_record, an_auction

OTHER = "0x00000000000000000000000000000000005017e3"
THIRD = "0x00000000000000000000000000000000005017e4"


async def test_a_batch_moves_every_current_intent_and_skips_stale_and_unknown_ones(storage: Storage) -> None:
    records = [a_record(nonce=n, accepted_at=T0 + n) for n in range(5)]
    for record in records:
        await storage.intents.add(record)
    stale = records[1].intent_id
    await storage.intents.set_status(stale, IntentStatus.CANCELLED, 1)  # its owner cancelled meanwhile
    changes = [StatusChange(r.intent_id, IntentStatus.IN_AUCTION, 1) for r in records]
    changes.append(StatusChange(bytes(32), IntentStatus.IN_AUCTION, 1))

    moved = await storage.intents.set_statuses(changes)

    assert [m is not None for m in moved] == [True, False, True, True, True, False]
    for record, result in zip(records, moved, strict=False):
        stored = await storage.intents.get(record.intent_id)
        assert stored is not None
        if record.intent_id == stale:
            assert (stored.record.status, stored.version) == (IntentStatus.CANCELLED, 2)
        else:
            assert result == stored and (stored.record.status, stored.version) == (IntentStatus.IN_AUCTION, 2)


async def test_a_batch_can_move_one_intent_twice_in_order(storage: Storage) -> None:
    intent_id = (await storage.intents.add(a_record())).record.intent_id
    moved = await storage.intents.set_statuses(
        [StatusChange(intent_id, IntentStatus.IN_AUCTION, 1), StatusChange(intent_id, IntentStatus.WON, 2)]
    )
    assert [m.version if m else None for m in moved] == [2, 3]
    stored = await storage.intents.get(intent_id)
    assert stored is not None and (stored.record.status, stored.version) == (IntentStatus.WON, 3)


async def test_a_forbidden_transition_in_a_batch_writes_nothing(storage: Storage) -> None:
    first, second = a_record(nonce=1), a_record(nonce=2)
    for record in (first, second):
        await storage.intents.add(record)
    with pytest.raises(InvalidTransition):
        await storage.intents.set_statuses(
            [
                StatusChange(first.intent_id, IntentStatus.IN_AUCTION, 1),
                StatusChange(second.intent_id, IntentStatus.SETTLED, 1),
            ]
        )
    for record in (first, second):
        stored = await storage.intents.get(record.intent_id)
        assert stored is not None and (stored.record.status, stored.version) == (IntentStatus.OPEN, 1)


async def test_a_batch_of_a_thousand_lands_in_one_call(storage: Storage) -> None:
    records = [a_record(nonce=n) for n in range(1_000)]
    for record in records:
        await storage.intents.add(record)
    moved = await storage.intents.set_statuses([StatusChange(r.intent_id, IntentStatus.IN_AUCTION, 1) for r in records])
    assert all(m is not None for m in moved)
    assert len(await storage.intents.by_status(IntentStatus.IN_AUCTION)) == 1_000
    assert await storage.intents.by_status(IntentStatus.OPEN) == []


async def test_a_rounds_bids_are_recorded_together_or_not_at_all(storage: Storage) -> None:
    await storage.auctions.record_auction(an_auction(7))
    first, second = a_bid(SOLVER), a_bid(OTHER, score=5, status=BidStatus.LOST)
    await storage.auctions.record_bids([first, second])
    await storage.auctions.record_bids([first])  # the same again: a no-op
    assert await storage.auctions.bids(7) == [first, second]

    third = a_bid(THIRD, score=1, status=BidStatus.LOST)
    with pytest.raises(Conflict):
        await storage.auctions.record_bids([third, replace(second, score=6)])  # contradicts a stored bid
    with pytest.raises(UnknownRecord):
        await storage.auctions.record_bids([third, replace(third, auction_id=8)])  # auction 8 was never recorded
    assert await storage.auctions.bids(7) == [first, second]  # neither batch wrote anything


async def test_add_tells_an_insert_from_a_repeat_by_handing_back_the_record_it_was_given(storage: Storage) -> None:
    record = a_record()
    inserted = await storage.intents.add(record)
    same_again = a_record()  # equal in every field, as a retried request with a frozen clock would be
    repeat = await storage.intents.add(same_again)
    assert inserted.record is record  # what intake reads as "created"
    assert repeat.record == same_again and repeat.record is not same_again
