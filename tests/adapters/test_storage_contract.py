"""The storage ports' contract: the same scenarios against the in-memory twin, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest

from solver.adapters.storage import Storage
from solver.domain.fills import Attribution
from solver.domain.intent import IntentKind
from solver.domain.lifecycle import IntentStatus, InvalidTransition
from solver.domain.primitives import UINT256_MAX
from solver.domain.quoting import IssuedQuote
from solver.domain.records import (
    BidStatus,
    FillFilter,
    FillRecord,
    FillSummary,
    Overfill,
    SettlementOutcome,
    SettlementRecord,
    StoredIntent,
)
from solver.ports import Conflict, StaleVersion, UnknownRecord
from tests.adapters.conftest import Backend
from tests.adapters.storage_builders import KEEPER, POOL, SOLVER, T0, a_bid, a_fill, a_record, an_auction
from tests.unit.builders import ALICE, BOB, USDC, WETH

OTHER_SOLVER = "0x00000000000000000000000000000000005017e3"


# Intents: idempotent add, nonces, lifecycle, optimistic concurrency, queries


async def test_an_added_intent_is_read_back_at_version_one(storage: Storage) -> None:
    record = a_record()
    assert await storage.intents.add(record) == StoredIntent(record, 1)
    assert await storage.intents.get(record.intent_id) == StoredIntent(record, 1)
    assert await storage.intents.get(bytes(32)) is None


async def test_adding_the_same_intent_again_returns_the_stored_one(storage: Storage) -> None:
    first = await storage.intents.add(a_record())
    moved = await storage.intents.set_status(first.record.intent_id, IntentStatus.IN_AUCTION, 1)
    assert await storage.intents.add(a_record(accepted_at=T0 + 60)) == moved


async def test_another_intent_with_the_same_owner_and_nonce_is_a_conflict(storage: Storage) -> None:
    await storage.intents.add(a_record(nonce=5))
    with pytest.raises(Conflict):
        await storage.intents.add(a_record(nonce=5, buy_amount=1))
    assert await storage.intents.get(a_record(nonce=5, buy_amount=1).intent_id) is None
    await storage.intents.add(a_record(nonce=5, owner=BOB))  # another owner's nonce 5 is free


async def test_a_status_change_follows_the_lifecycle_and_bumps_the_version(storage: Storage) -> None:
    intent_id = (await storage.intents.add(a_record())).record.intent_id
    in_auction = await storage.intents.set_status(intent_id, IntentStatus.IN_AUCTION, 1)
    won = await storage.intents.set_status(intent_id, IntentStatus.WON, 2)
    assert (in_auction.version, won.version, won.record.status) == (2, 3, IntentStatus.WON)
    assert await storage.intents.get(intent_id) == won


async def test_a_transition_the_lifecycle_forbids_raises_and_changes_nothing(storage: Storage) -> None:
    stored = await storage.intents.add(a_record())
    with pytest.raises(InvalidTransition):
        await storage.intents.set_status(stored.record.intent_id, IntentStatus.SETTLED, 1)
    cancelled = await storage.intents.set_status(stored.record.intent_id, IntentStatus.CANCELLED, 1)
    with pytest.raises(InvalidTransition):
        await storage.intents.set_status(stored.record.intent_id, IntentStatus.OPEN, cancelled.version)
    assert await storage.intents.get(stored.record.intent_id) == cancelled


async def test_a_write_based_on_an_old_version_is_refused(storage: Storage) -> None:
    intent_id = (await storage.intents.add(a_record())).record.intent_id
    await storage.intents.set_status(intent_id, IntentStatus.IN_AUCTION, 1)
    with pytest.raises(StaleVersion):
        await storage.intents.set_status(intent_id, IntentStatus.CANCELLED, 1)
    with pytest.raises(StaleVersion):
        await storage.intents.record_fill(intent_id, 1, 1)


async def test_writes_to_an_unknown_intent_are_refused(storage: Storage) -> None:
    with pytest.raises(UnknownRecord):
        await storage.intents.set_status(bytes(32), IntentStatus.IN_AUCTION, 1)
    with pytest.raises(UnknownRecord):
        await storage.intents.record_fill(bytes(32), 1, 1)


async def test_intents_are_listed_by_owner_and_by_status_oldest_first(storage: Storage) -> None:
    late, early = a_record(nonce=1, accepted_at=T0 + 5), a_record(nonce=2)
    bobs = a_record(owner=BOB, accepted_at=T0 + 1)
    for record in (late, early, bobs):
        await storage.intents.add(record)
    await storage.intents.set_status(late.intent_id, IntentStatus.IN_AUCTION, 1)
    alices = [s.record.intent_id for s in await storage.intents.by_owner(ALICE.lower())]
    assert alices == [early.intent_id, late.intent_id]
    open_ids = [s.record.intent_id for s in await storage.intents.by_status(IntentStatus.OPEN)]
    assert open_ids == [early.intent_id, bobs.intent_id]
    assert await storage.intents.by_status(IntentStatus.SETTLED) == []


async def test_fill_progress_accumulates_and_never_exceeds_the_signed_amount(storage: Storage) -> None:
    intent_id = (await storage.intents.add(a_record(partially_fillable=True, sell_amount=100))).record.intent_id
    first = await storage.intents.record_fill(intent_id, 60, 1)
    with pytest.raises(Overfill):
        await storage.intents.record_fill(intent_id, 41, 2)
    second = await storage.intents.record_fill(intent_id, 40, 2)
    assert (first.record.filled, second.record.filled, second.record.remaining, second.version) == (60, 100, 0, 3)


async def test_of_two_concurrent_writes_from_the_same_version_exactly_one_wins(storage: Storage) -> None:
    intent_id = (await storage.intents.add(a_record())).record.intent_id
    results = await asyncio.gather(
        storage.intents.set_status(intent_id, IntentStatus.IN_AUCTION, 1),
        storage.intents.set_status(intent_id, IntentStatus.CANCELLED, 1),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, StoredIntent)]
    assert len(winners) == 1 and [type(r) for r in results if not isinstance(r, StoredIntent)] == [StaleVersion]
    assert await storage.intents.get(intent_id) == winners[0]


async def test_concurrent_fills_that_retry_on_stale_versions_lose_no_update(storage: Storage) -> None:
    intent_id = (await storage.intents.add(a_record(partially_fillable=True, sell_amount=1_000))).record.intent_id

    async def fill_one() -> None:
        while True:
            current = await storage.intents.get(intent_id)
            assert current is not None
            try:
                await storage.intents.record_fill(intent_id, 1, current.version)
                return
            except StaleVersion:
                await asyncio.sleep(0)

    await asyncio.gather(*(fill_one() for _ in range(8)))
    final = await storage.intents.get(intent_id)
    assert final is not None and (final.record.filled, final.version) == (8, 9)


# Exactness


async def test_uint256_max_amounts_and_huge_ratios_round_trip_exactly(storage: Storage) -> None:
    top = UINT256_MAX
    record = a_record(sell_amount=top, buy_amount=top, valid_to=top, nonce=top, partially_fillable=True)
    await storage.intents.add(record)
    filled = await storage.intents.record_fill(record.intent_id, top - 1, 1)
    fill = a_fill(
        executed_sell=top,
        executed_buy=top,
        clearing_price=Fraction(top, top - 1),
        limit_price=Fraction(1, top),
        surplus=top,
        surplus_value=top,
        slippage_bps=Fraction(-(top**2), top - 2),  # wider than 256 bits
        attribution=Attribution(cow=top - 1, inventory=0, amm={POOL: 1}),
        gas_cost=top,
    )
    await storage.fills.add(fill)
    assert await storage.intents.get(record.intent_id) == filled
    assert filled.record.filled == top - 1 and filled.record.intent.nonce == top
    assert await storage.fills.fills(FillFilter(intent_id=fill.intent_id)) == [fill]


# Fills


def _three_fills() -> tuple[FillRecord, FillRecord, FillRecord]:
    a = a_fill(intent_id=bytes([1]) * 32, settled_at=T0 + 100, auction_id=1)
    b = a_fill(intent_id=bytes([2]) * 32, settled_at=T0 + 200, auction_id=2, owner=BOB, tx_hash=bytes([0xBB]) * 32)
    c = a_fill(intent_id=bytes([1]) * 32, settled_at=T0 + 300, auction_id=2, tx_hash=bytes([0xCC]) * 32,
               submitter=None)  # recorded before the venue kept the submitter  # fmt: skip
    return a, b, c


async def test_fills_are_queried_by_intent_owner_auction_and_time_range(storage: Storage) -> None:
    a, b, c = _three_fills()
    for fill in (c, a, b):
        await storage.fills.add(fill)
    assert await storage.fills.fills(FillFilter()) == [a, b, c]
    assert await storage.fills.fills(FillFilter(intent_id=bytes([1]) * 32)) == [a, c]
    assert await storage.fills.fills(FillFilter(owner=BOB.lower())) == [b]
    assert await storage.fills.fills(FillFilter(auction_id=2)) == [b, c]
    assert await storage.fills.fills(FillFilter(since=T0 + 100, until=T0 + 300)) == [a, b]
    assert await storage.fills.fills(FillFilter(owner=ALICE, since=T0 + 150)) == [c]


async def test_adding_the_same_fill_again_is_a_no_op_and_a_different_one_a_conflict(storage: Storage) -> None:
    fill = a_fill()
    await storage.fills.add(fill)
    await storage.fills.add(fill)
    with pytest.raises(Conflict):
        await storage.fills.add(a_fill(surplus=1))
    assert await storage.fills.fills(FillFilter()) == [fill]


async def test_the_summary_matches_a_hand_computed_example(storage: Storage) -> None:
    # half internalized, worth 3000; fully internalized, worth 1000; all routed, worth 2000
    usdc = a_fill(
        executed_buy=3_000,
        attribution=Attribution(cow=1_000, inventory=500, amm={POOL: 1_500}),
        volume_value=3_000,
        surplus_value=30,
        slippage_bps=Fraction(10),
    )
    weth = a_fill(
        tx_hash=bytes([2]) * 32,
        sell_token=USDC,
        buy_token=WETH,
        executed_buy=50,
        attribution=Attribution(cow=50, inventory=0, amm={}),
        volume_value=1_000,
        surplus_value=10,
        slippage_bps=None,
    )
    routed = a_fill(
        tx_hash=bytes([3]) * 32,
        executed_buy=200,
        attribution=Attribution(cow=0, inventory=0, amm={POOL: 200}),
        volume_value=2_000,
        surplus_value=20,
        slippage_bps=Fraction(-4),
        settled_at=T0 + 500,
    )
    for fill in (usdc, weth, routed):
        await storage.fills.add(fill)
    expected = FillSummary(3, 6_000, Fraction(5, 12), 60, Fraction(20), Fraction(3))  # (1500 + 1000 + 0) / 6000
    assert await storage.fills.summary(FillFilter()) == expected
    assert await storage.fills.summary(FillFilter(since=T0 + 500)) == FillSummary(
        1, 2_000, Fraction(0), 20, Fraction(20), Fraction(-4)
    )
    assert await storage.fills.summary(FillFilter(owner=BOB)) == FillSummary(0, 0, Fraction(0), 0, Fraction(0), None)


# Auctions, bids, settlements


async def test_the_auction_log_keeps_auctions_ranked_bids_and_settlements(storage: Storage) -> None:
    auction = an_auction()
    winner, loser = a_bid(score=5 * 10**30), a_bid(OTHER_SOLVER, score=2 * 10**30, status=BidStatus.LOST)
    discarded = a_bid(
        "0x00000000000000000000000000000000005017e4", score=None, status=BidStatus.DISCARDED,
        reason_code="late", reason="arrived 40 ms after the deadline",
    )  # fmt: skip
    settlement = SettlementRecord(
        bytes([9]) * 32, 7, SOLVER, 101, 180_000, 2 * 10**9, SettlementOutcome.SUCCESS, submitter=KEEPER
    )
    legacy = SettlementRecord(bytes([8]) * 32, 7, SOLVER, 102, 1, 1, SettlementOutcome.REVERTED)  # before 0004
    await storage.auctions.record_auction(auction)
    for record in (discarded, loser, winner):
        await storage.auctions.record_bid(record)
    await storage.auctions.record_settlement(settlement)
    await storage.auctions.record_settlement(legacy)
    assert await storage.auctions.auction(7) == auction
    assert await storage.auctions.bids(7) == [winner, loser, discarded]
    assert await storage.auctions.settlements(7) == [settlement, legacy]
    assert (await storage.auctions.auction(8), await storage.auctions.bids(8)) == (None, [])


async def test_auction_records_are_written_once(storage: Storage) -> None:
    await storage.auctions.record_auction(an_auction())
    await storage.auctions.record_auction(an_auction())
    await storage.auctions.record_bid(a_bid())
    await storage.auctions.record_bid(a_bid())
    with pytest.raises(Conflict):
        await storage.auctions.record_auction(an_auction(deadline=T0 + 3))
    with pytest.raises(Conflict):
        await storage.auctions.record_bid(a_bid(status=BidStatus.LOST))
    assert await storage.auctions.bids(7) == [a_bid()]


async def test_bids_and_settlements_of_an_unknown_auction_are_refused(storage: Storage) -> None:
    settlement = SettlementRecord(bytes([9]) * 32, 8, SOLVER, 101, 1, 1, SettlementOutcome.REVERTED)
    with pytest.raises(UnknownRecord):
        await storage.auctions.record_bid(a_bid(auction_id=8))
    with pytest.raises(UnknownRecord):
        await storage.auctions.record_settlement(settlement)


# Quotes: written once, read back exactly; the quote book keeps the latest price per intent


def a_quote(**kw: Any) -> IssuedQuote:
    base = IssuedQuote(bytes(range(16)), WETH, USDC, IntentKind.SELL, 10**18, 2_990 * 10**6, 101, T0, T0 + 600)
    return replace(base, **kw)


async def test_an_issued_quote_is_read_back_exactly_and_unknown_ids_are_none(storage: Storage) -> None:
    huge = a_quote(quote_id=b"\x01" * 16, kind=IntentKind.BUY, sell_amount=UINT256_MAX, buy_amount=UINT256_MAX - 1)
    for quote in (a_quote(), huge):
        await storage.quotes.add(quote)
        assert await storage.quotes.get(quote.quote_id) == quote
    assert await storage.quotes.get(b"\x02" * 16) is None


async def test_adding_the_same_quote_again_is_a_no_op_and_a_different_one_a_conflict(storage: Storage) -> None:
    await storage.quotes.add(a_quote())
    await storage.quotes.add(a_quote())
    with pytest.raises(Conflict):
        await storage.quotes.add(a_quote(buy_amount=1))
    assert await storage.quotes.get(a_quote().quote_id) == a_quote()


async def test_the_quote_book_keeps_each_intents_latest_exact_price(storage: Storage) -> None:
    first, second = bytes([1]) * 32, bytes([2]) * 32
    assert await storage.quote_book.quoted_price(first) is None
    await storage.quote_book.record(first, Fraction(2_990 * 10**6, 10**18))
    await storage.quote_book.record(second, Fraction(UINT256_MAX, UINT256_MAX - 2))
    await storage.quote_book.record(first, Fraction(3_001 * 10**6, 10**18))
    assert await storage.quote_book.quoted_price(first) == Fraction(3_001, 10**12)
    assert await storage.quote_book.quoted_price(second) == Fraction(UINT256_MAX, UINT256_MAX - 2)


# Durability


async def test_records_written_before_a_restart_are_read_by_a_new_engine(backend: Backend) -> None:
    if not backend.durable:
        pytest.skip("the in-memory twin keeps nothing across a restart, by design")
    before = await backend.open()
    stored = await before.intents.add(a_record())
    moved = await before.intents.set_status(stored.record.intent_id, IntentStatus.IN_AUCTION, 1)
    await before.auctions.record_auction(an_auction())
    await before.auctions.record_bid(a_bid())
    await before.fills.add(a_fill())
    await before.quotes.add(a_quote())
    await before.quote_book.record(stored.record.intent_id, Fraction(3, 7))
    await before.close()

    after = await backend.open()
    assert await after.intents.get(stored.record.intent_id) == moved
    assert await after.auctions.auction(7) == an_auction()
    assert await after.auctions.bids(7) == [a_bid()]
    assert await after.fills.fills(FillFilter()) == [a_fill()]
    assert await after.quotes.get(a_quote().quote_id) == a_quote()
    assert await after.quote_book.quoted_price(stored.record.intent_id) == Fraction(3, 7)
