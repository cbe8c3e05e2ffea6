"""Accounting on in-memory twins: a settlement outcome becomes fill records, intent moves and a solver notice."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import pytest

from solver.adapters.storage.memory import MemoryAuctionLog, MemoryFillLog, MemoryIntentStore, MemoryQuoteBook
from solver.api.protocol import SettlementMsg
from solver.domain.batch import SigningScheme
from solver.domain.fills import Attribution, Fill, PoolFlow
from solver.domain.intent import Intent, IntentKind
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.primitives import address
from solver.domain.records import (
    AuctionRecord,
    BidRecord,
    BidStatus,
    FillFilter,
    FillRecord,
    SettlementOutcome,
    StoredIntent,
)
from solver.domain.settlement_job import JobStatus, SettlementJob
from solver.keeper.ports import Receipt
from solver.ports import StaleVersion
from solver.services.accounting import Accounting

from . import builders
from .builders import ALICE, BOB, CAROL, REFERENCE_PRICES, an_intent

WETH, USDC, SOLVER, INVENTORY = (
    address(a) for a in (builders.WETH, builders.USDC, builders.SOLVER, builders.INVENTORY)
)
REF = {address(t): p for t, p in REFERENCE_PRICES.items()}

KEEPER = address("0x000000000000000000000000000000000000cee9")
POOL = address("0x00000000000000000000000000000000000000b7")
NOW = 1_900_000_000.0
BLOCK, BLOCK_TIME = 101, 1_900_000_012.0
GAS_PRICE = 2 * 10**9
TX = "0x" + "ab" * 32
ETH, USD6 = 10**18, 10**6  # one WETH, one USDC in base units


@dataclass
class Venue:
    """Accounting over in-memory twins, with a scripted receipt decoder and a recording solver hub."""

    intents: MemoryIntentStore = field(default_factory=MemoryIntentStore)
    auctions: MemoryAuctionLog = field(default_factory=MemoryAuctionLog)
    fills: MemoryFillLog = field(default_factory=MemoryFillLog)
    quotes: MemoryQuoteBook = field(default_factory=MemoryQuoteBook)
    decoded: tuple[list[Fill], list[PoolFlow], str] = ([], [], "")
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    now: float = NOW
    unreadable: bool = False  # the decoder raises, as on logs it does not understand

    def decode(self, receipt: Receipt) -> tuple[list[Fill], list[PoolFlow], str]:
        if self.unreadable:
            raise ValueError("not a Fill event")
        return self.decoded

    def accounting(self) -> Accounting:
        async def block_time(block: int) -> float:
            assert block == BLOCK
            return BLOCK_TIME

        return Accounting(
            self.intents, self.auctions, self.fills, self.decode, block_time,
            lambda solver, message: self.sent.append((solver, message)),
            inventory_accounts=frozenset({INVENTORY}), quotes=self.quotes, clock=lambda: self.now,
        )  # fmt: skip

    def won(self, *intents: Intent, auction_id: int = 7) -> SettlementJob:
        """The intents as WON in a recorded auction that SOLVER won; the keeper's finished job for it."""
        ids = tuple(i.struct_hash() for i in intents)
        for intent, intent_id in zip(intents, ids, strict=True):
            record = IntentRecord(intent_id, intent, b"\x01" * 65, SigningScheme.EIP712, IntentStatus.WON, 0, NOW)
            asyncio.run(self.intents.add(record))
        asyncio.run(self.auctions.record_auction(AuctionRecord(auction_id, 100, NOW, ids, REFERENCE_PRICES)))
        asyncio.run(self.auctions.record_bid(BidRecord(auction_id, SOLVER, BidStatus.WON, 10**38)))
        return SettlementJob(auction_id, b"", ids, deadline_block=103, status=JobStatus.SETTLED, keeper=KEEPER,
                             solver=SOLVER)  # fmt: skip

    def outcome(self, job: SettlementJob, receipt: Receipt | None) -> None:
        asyncio.run(self.accounting().on_outcome(job, receipt))

    def intent(self, intent: Intent) -> StoredIntent:
        stored = asyncio.run(self.intents.get(intent.struct_hash()))
        assert stored is not None
        return stored

    def records(self, **query: Any) -> list[FillRecord]:
        return asyncio.run(self.fills.fills(FillFilter(**query)))


def mined(status: int = 1, gas_used: int = 200_001) -> Receipt:
    return Receipt(TX, BLOCK, status, gas_used, GAS_PRICE, logs=())


def fill(intent: Intent, sold: int, bought: int) -> Fill:
    return Fill(intent.struct_hash(), intent.owner, intent.sell_token, intent.buy_token, sold, bought)


# Sells 1 WETH for >= 2,900 USDC; buys 1 WETH for <= 3,100 USDC; sells up to 2 WETH at >= 2,900 USDC each.
SELLER = an_intent(owner=ALICE, sell_amount=ETH, buy_amount=2_900 * USD6)
BUYER = an_intent(
    owner=BOB, sell_token=USDC, buy_token=WETH, sell_amount=3_100 * USD6, buy_amount=ETH, kind=IntentKind.BUY
)
PARTIAL = an_intent(owner=CAROL, sell_amount=2 * ETH, buy_amount=5_800 * USD6, partially_fillable=True)


@pytest.fixture
def venue() -> Venue:
    return Venue()


def settle_cow_pair(venue: Venue) -> SettlementJob:
    """SELLER and BUYER matched at 3,000 USDC per WETH, SELLER having been quoted 2,990."""
    job = venue.won(SELLER, BUYER)
    asyncio.run(venue.quotes.record(SELLER.struct_hash(), Fraction(2_990 * USD6, ETH)))
    venue.decoded = ([fill(SELLER, ETH, 3_000 * USD6), fill(BUYER, 3_000 * USD6, ETH)], [], KEEPER)
    venue.outcome(job, mined())
    return job


def test_a_settled_cow_pair_is_recorded_with_exact_surplus_attribution_and_gas(venue: Venue) -> None:
    settle_cow_pair(venue)
    seller, buyer = (venue.records(intent_id=i.struct_hash())[0] for i in (SELLER, BUYER))

    assert (seller.executed_sell, seller.executed_buy, seller.kind) == (ETH, 3_000 * USD6, IntentKind.SELL)
    assert seller.clearing_price == Fraction(3_000 * USD6, ETH) and seller.limit_price == Fraction(2_900 * USD6, ETH)
    assert seller.reference_price == Fraction(REF[WETH], REF[USDC])
    assert seller.surplus == 100 * USD6  # USDC beyond the limit
    assert seller.surplus_value == 100 * USD6 * REF[USDC]  # $100 in 1e-36 USD
    assert seller.volume_value == ETH * REF[WETH]
    assert seller.slippage_bps == Fraction(10 * 10_000, 2_990)  # 10 USDC better than quoted, per 2,990
    assert buyer.surplus == 100 * USD6 and buyer.kind is IntentKind.BUY  # USDC saved below the limit
    assert buyer.surplus_value == 100 * USD6 * REF[USDC] and buyer.slippage_bps is None

    assert seller.attribution == Attribution(cow=3_000 * USD6, inventory=0, amm={})
    assert buyer.attribution == Attribution(cow=ETH, inventory=0, amm={})
    assert (seller.gas_used, buyer.gas_used) == (100_001, 100_000)  # even split, remainder to the first fill
    assert seller.gas_cost == 100_001 * GAS_PRICE
    assert {(r.solver, r.submitter) for r in (seller, buyer)} == {(SOLVER, KEEPER)}  # the winner; who sent it
    assert (seller.tx_hash.hex(), seller.block_number, seller.settled_at) == (TX[2:], BLOCK, BLOCK_TIME)


def test_a_settled_cow_pair_leaves_both_intents_settled_and_the_settlement_logged(venue: Venue) -> None:
    settle_cow_pair(venue)
    assert venue.intent(SELLER).record.status is IntentStatus.SETTLED
    assert venue.intent(SELLER).record.filled == ETH and venue.intent(BUYER).record.filled == ETH
    assert venue.intent(BUYER).record.status is IntentStatus.SETTLED
    (settlement,) = asyncio.run(venue.auctions.settlements(7))
    assert (settlement.solver, settlement.submitter, settlement.outcome, settlement.gas_cost) == (
        SOLVER, KEEPER, SettlementOutcome.SUCCESS, 200_001 * GAS_PRICE,
    )  # fmt: skip


def test_the_winning_solver_hears_the_settlement_in_the_protocols_shape(venue: Venue) -> None:
    settle_cow_pair(venue)
    ((solver, message),) = venue.sent
    assert solver == SOLVER
    assert message == {"type": "settlement", "auctionId": 7, "outcome": "settled", "txHash": TX, "block": BLOCK,
                       "gasUsed": 200_001}  # fmt: skip
    SettlementMsg.model_validate(message)


def test_a_partial_fill_from_a_pool_and_inventory_goes_back_to_open_with_its_progress(venue: Venue) -> None:
    job = venue.won(PARTIAL)
    inventory = Fill(b"\x99" * 32, INVENTORY, USDC, WETH, 1_500 * USD6, ETH // 2)
    flows = [PoolFlow(POOL, WETH, ETH // 2), PoolFlow(POOL, USDC, -1_500 * USD6)]
    venue.decoded = ([fill(PARTIAL, ETH, 3_000 * USD6), inventory], flows, KEEPER)
    venue.outcome(job, mined())

    stored = venue.intent(PARTIAL).record
    assert (stored.status, stored.filled, stored.remaining) == (IntentStatus.OPEN, ETH, ETH)
    (record,) = venue.records()  # the inventory account's own fill is not a user fill
    assert record.attribution == Attribution(cow=0, inventory=1_500 * USD6, amm={POOL: 1_500 * USD6})
    assert record.gas_used == 200_001 and record.surplus == 100 * USD6


def test_the_second_part_of_a_partial_fill_settles_the_intent(venue: Venue) -> None:
    job = venue.won(PARTIAL)
    venue.decoded = ([fill(PARTIAL, ETH, 3_000 * USD6)], [], KEEPER)
    venue.outcome(job, mined())
    stored = venue.intent(PARTIAL)
    asyncio.run(venue.intents.set_status(PARTIAL.struct_hash(), IntentStatus.IN_AUCTION, stored.version))
    stored = venue.intent(PARTIAL)
    asyncio.run(venue.intents.set_status(PARTIAL.struct_hash(), IntentStatus.WON, stored.version))
    venue.outcome(SettlementJob(8, b"", job.intent_ids, 103, JobStatus.SETTLED, KEEPER), mined())
    assert venue.intent(PARTIAL).record.status is IntentStatus.SETTLED
    assert venue.intent(PARTIAL).record.filled == 2 * ETH


def test_a_reverted_settlement_gives_the_intents_back_and_records_only_the_transaction(venue: Venue) -> None:
    job = venue.won(SELLER, BUYER)
    reverted = SettlementJob(7, b"", job.intent_ids, 103, JobStatus.REVERTED, KEEPER, reason="reverted")
    venue.outcome(reverted, mined(status=0, gas_used=50_000))

    assert {venue.intent(i).record.status for i in (SELLER, BUYER)} == {IntentStatus.OPEN}
    assert venue.records() == [] and venue.intent(SELLER).record.filled == 0
    (settlement,) = asyncio.run(venue.auctions.settlements(7))
    assert settlement.outcome is SettlementOutcome.REVERTED
    ((solver, message),) = venue.sent
    assert (solver, message["outcome"], message["txHash"], message["reason"]) == (SOLVER, "reverted", TX, "reverted")
    SettlementMsg.model_validate(message)


@pytest.mark.parametrize(
    ("status", "reason", "outcome"),
    [(JobStatus.REVERTED, "simulation: LimitPriceViolated()", "reverted"),
     (JobStatus.DROPPED, "nonce used by another transaction", "failed")],
)  # fmt: skip
def test_a_job_that_was_never_mined_gives_the_intents_back(
    venue: Venue, status: JobStatus, reason: str, outcome: str
) -> None:
    job = venue.won(SELLER)
    venue.outcome(SettlementJob(7, b"", job.intent_ids, 103, status, KEEPER, reason=reason), None)
    assert venue.intent(SELLER).record.status is IntentStatus.OPEN
    assert asyncio.run(venue.auctions.settlements(7)) == []
    assert venue.sent == [(SOLVER, {"type": "settlement", "auctionId": 7, "outcome": outcome, "reason": reason})]


def test_an_intent_past_its_valid_to_expires_instead_of_going_back_to_open(venue: Venue) -> None:
    short_lived = an_intent(owner=BOB, valid_to=int(NOW) + 3_600)
    job = venue.won(SELLER, short_lived)
    venue.now = short_lived.valid_to + 1.0
    venue.outcome(SettlementJob(7, b"", job.intent_ids, 103, JobStatus.DROPPED, KEEPER, reason="deadline"), None)
    assert venue.intent(short_lived).record.status is IntentStatus.EXPIRED
    assert venue.intent(SELLER).record.status is IntentStatus.OPEN


class RacingStore(MemoryIntentStore):
    """A store where another writer wins the race once, on the first move to each status in `lose_on`."""

    def __init__(self, lose_on: set[IntentStatus]) -> None:
        super().__init__()
        self.lose_on = lose_on

    async def set_status(self, intent_id: bytes, status: IntentStatus, version: int) -> StoredIntent:
        if status in self.lose_on:
            self.lose_on.discard(status)
            raise StaleVersion("another writer got there first")
        return await super().set_status(intent_id, status, version)


@pytest.mark.parametrize("lose_on", [IntentStatus.SETTLING, IntentStatus.SETTLED])
def test_a_lost_write_is_retried_and_the_fill_is_counted_once(lose_on: IntentStatus) -> None:
    venue = Venue(intents=RacingStore({lose_on}))
    settle_cow_pair(venue)
    assert venue.intent(SELLER).record.status is IntentStatus.SETTLED
    assert venue.intent(SELLER).record.filled == ETH


def test_bookkeeping_that_fails_never_reaches_the_keeper_and_the_rest_still_happens(venue: Venue) -> None:
    job = venue.won(SELLER, BUYER)
    venue.auctions = MemoryAuctionLog()  # the auction and its bids were never logged
    venue.decoded = ([fill(SELLER, ETH, 3_000 * USD6), fill(BUYER, 3_000 * USD6, ETH)], [], KEEPER)
    venue.outcome(job, mined())
    assert venue.records() == []  # no reference prices: nothing to value the fills with
    assert venue.intent(SELLER).record.status is IntentStatus.SETTLED
    assert [solver for solver, _ in venue.sent] == [SOLVER]  # the job names its winner: it hears the outcome


def test_the_winner_comes_from_the_job_even_when_the_bid_log_missed_it(venue: Venue) -> None:
    job = venue.won(SELLER, BUYER)
    venue.auctions = MemoryAuctionLog()  # the round crashed between queueing the job and recording its bids
    asyncio.run(venue.auctions.record_auction(AuctionRecord(7, 100, NOW, job.intent_ids, REFERENCE_PRICES)))
    venue.decoded = ([fill(SELLER, ETH, 3_000 * USD6), fill(BUYER, 3_000 * USD6, ETH)], [], KEEPER)
    venue.outcome(job, mined())
    assert {(r.solver, r.submitter) for r in venue.records()} == {(SOLVER, KEEPER)}
    (settlement,) = asyncio.run(venue.auctions.settlements(7))
    assert (settlement.solver, settlement.submitter) == (SOLVER, KEEPER)


def test_a_job_queued_before_jobs_named_their_winner_takes_it_from_the_bid_log(venue: Venue) -> None:
    job = replace(venue.won(SELLER, BUYER), solver=None)
    venue.decoded = ([fill(SELLER, ETH, 3_000 * USD6), fill(BUYER, 3_000 * USD6, ETH)], [], KEEPER)
    venue.outcome(job, mined())
    assert {(r.solver, r.submitter) for r in venue.records()} == {(SOLVER, KEEPER)}
    assert [solver for solver, _ in venue.sent] == [SOLVER]


def test_logs_that_cannot_be_decoded_leave_the_intents_won_for_an_operator(venue: Venue) -> None:
    job = venue.won(SELLER)

    venue.unreadable = True
    venue.outcome(job, mined())
    assert venue.intent(SELLER).record.status is IntentStatus.WON and venue.sent == []
