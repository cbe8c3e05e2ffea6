"""Auction rounds on in-memory twins: the venue's own scoring picks the winner, every loser hears why."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from solver.adapters.inprocess import MemoryBidBook, SoleLease
from solver.adapters.storage.memory import MemoryAuctionLog, MemoryIntentStore
from solver.domain.auction import BidRefused, Fulfillment, Solution, TokenInfo
from solver.domain.batch import Batch, SigningScheme
from solver.domain.intake import OwnerState, StateQuery
from solver.domain.intent import Intent, IntentKind
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.liquidity import Pool
from solver.domain.primitives import address
from solver.domain.records import BidStatus
from solver.domain.settlement_job import SettlementJob
from solver.domain.value_safety import ETH, Holding, SimulatedSettle
from solver.keeper.memory import MemoryJobQueue
from solver.keeper.ports import SimulationFailed
from solver.services.auctions import AuctionConfig, AuctionHouse

from .builders import BOB, USDC, WETH, a_pool, an_intent, token_infos

SOLVER_A, SOLVER_B, SOLVER_C = ("0x" + c * 40 for c in ("a", "b", "1"))  # C ranks first on a tie (lower address)
E18, E6 = 10**18, 10**6
POOL = a_pool(WETH, 1_000 * E18, USDC, 3_000_000 * E6)
ALICE_SELLS = an_intent(sell_amount=E18, buy_amount=2_900 * E6, valid_to=int(time.time()) + 600)
BOB_BUYS = an_intent(owner=BOB, sell_token=USDC, buy_token=WETH, sell_amount=3_100 * E6, buy_amount=E18,
                     kind=IntentKind.BUY, nonce=2, valid_to=int(time.time()) + 600)  # fmt: skip


def cow_bid(auction_id: int, solver: str, weth_price_usdc: int) -> Solution:
    """Alice and Bob matched at `weth_price_usdc` USDC per WETH."""
    prices = {WETH: weth_price_usdc * E6, USDC: E18}
    fills = (Fulfillment(ALICE_SELLS.struct_hash(), E18), Fulfillment(BOB_BUYS.struct_hash(), E18))
    return Solution(auction_id, solver, prices, fills)


@dataclass
class FakeChain:
    used_nonces: set[tuple[str, int]] = field(default_factory=set)

    async def block_number(self) -> int:
        return 100

    async def read(self, block: int, queries: list[StateQuery]) -> list[OwnerState]:
        return [OwnerState(block, 10**30, 10**30, (q.owner, q.nonce) in self.used_nonces) for q in queries]


class StaticLiquidity:
    async def snapshot(self, block: int) -> tuple[Pool, ...]:
        return (POOL,)


class StaticPrices:
    async def tokens(self, block: int) -> dict[str, TokenInfo]:
        return token_infos()


@dataclass
class FakeSimulator:
    """Settles every batch for 200k gas, except: the WETH price (USDC per WETH) whose batch reverts, the one
    whose batch would take 5 USDC units from the settlement, and per-price gas figures."""

    reverts_for_price: int | None = None
    drains_for_price: int | None = None
    gas_for_price: dict[int, int] = field(default_factory=dict)
    watched: list[list[str]] = field(default_factory=list)

    async def simulate(self, sender: str, calldata: bytes, watch: Sequence[str]) -> SimulatedSettle:
        self.watched.append(list(watch))
        price = int(json.loads(calldata)["WETH"]) // E6
        if price == self.reverts_for_price:
            raise SimulationFailed("LimitPriceViolated(0x..)", "LimitPriceViolated")
        usdc_after = 1_000 - (5 if price == self.drains_for_price else 0)
        holdings = (Holding(address(USDC), 1_000, usdc_after), Holding(ETH, 0, 0))
        return SimulatedSettle(self.gas_for_price.get(price, 200_000), holdings)


def encode(batch: Batch) -> bytes:
    return json.dumps({"WETH": str(batch.price(WETH)), "trades": len(batch.trades)}).encode()


@dataclass
class RecordingHub:
    auctions: list[dict[str, Any]] = field(default_factory=list)
    notices: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def broadcast(self, message: dict[str, Any]) -> int:
        self.auctions.append(message)
        return 3

    def notify(self, solver: str, message: dict[str, Any]) -> None:
        self.notices.append((solver, message))

    @property
    def solvers(self) -> list[str]:
        return [SOLVER_A, SOLVER_B, SOLVER_C]


@dataclass
class Venue:
    house: AuctionHouse
    store: MemoryIntentStore
    log: MemoryAuctionLog
    jobs: MemoryJobQueue
    hub: RecordingHub
    chain: FakeChain


@dataclass
class ScriptedLease:
    """Held until `lost_after` more hold() calls have been answered."""

    lost_after: int | None = None
    released: bool = False

    async def hold(self) -> bool:
        if self.lost_after is None:
            return True
        self.lost_after -= 1
        return self.lost_after >= 0

    async def release(self) -> None:
        self.released = True


def venue(
    simulator: FakeSimulator | None = None, lease: ScriptedLease | SoleLease | None = None, bid_window_s: float = 0.05
) -> Venue:
    store, log, jobs, hub, chain = (
        MemoryIntentStore(),
        MemoryAuctionLog(),
        MemoryJobQueue(),
        RecordingHub(),
        FakeChain(),
    )
    config = AuctionConfig(bid_window_s=bid_window_s, simulation_sender=SOLVER_A)
    house = AuctionHouse(store, log, jobs, chain, StaticLiquidity(), StaticPrices(), simulator or FakeSimulator(),
                         hub, encode, lambda a: {"id": a.auction_id}, config, MemoryBidBook(3),
                         lease or SoleLease())  # fmt: skip
    return Venue(house, store, log, jobs, hub, chain)


async def accept(v: Venue, *intents: Intent) -> None:
    for i in intents:
        await v.store.add(IntentRecord(i.struct_hash(), i, b"\x01" * 65, SigningScheme.EIP712,
                                       IntentStatus.OPEN, 0, time.time()))  # fmt: skip


async def a_round(v: Venue, bidding: Callable[[int], Awaitable[None]]) -> Any:
    task = asyncio.create_task(v.house.run_round())
    while not v.hub.auctions:
        await asyncio.sleep(0.001)
    await bidding(v.hub.auctions[-1]["auction"]["id"])
    return await task


async def status(v: Venue, intent: Intent) -> IntentStatus:
    stored = await v.store.get(intent.struct_hash())
    assert stored is not None
    return stored.record.status


def test_the_best_valid_bid_wins_losers_and_discards_hear_why_and_the_winner_is_queued() -> None:
    async def scenario() -> None:
        v = venue(FakeSimulator(reverts_for_price=2_999))
        await accept(v, ALICE_SELLS, BOB_BUYS)

        async def bids(auction_id: int) -> None:
            await v.house.receive_bid(cow_bid(auction_id, SOLVER_A, 3_000))
            await v.house.receive_bid(cow_bid(auction_id, SOLVER_B, 2_800))  # below Alice's 2,900 limit
            await v.house.receive_bid(cow_bid(auction_id, SOLVER_C, 2_999))  # ties A's score, ranks first, reverts

        report = await a_round(v, bids)
        assert (report.winner.lower(), report.orders, report.bids) == (SOLVER_A.lower(), 2, 3)
        outcomes = {s.lower(): m for s, m in v.hub.notices}
        assert outcomes[SOLVER_A.lower()]["outcome"] == "won"
        assert (outcomes[SOLVER_B.lower()]["outcome"], outcomes[SOLVER_B.lower()]["code"]) == (
            "discarded",
            "limit_violated",
        )
        assert (outcomes[SOLVER_C.lower()]["outcome"], outcomes[SOLVER_C.lower()]["code"]) == (
            "discarded",
            "simulation_failed",
        )
        job = await v.jobs.get(report.auction_id)
        assert job is not None and json.loads(job.calldata)["WETH"] == str(3_000 * E6)
        assert await status(v, ALICE_SELLS) is IntentStatus.WON and await status(v, BOB_BUYS) is IntentStatus.WON
        recorded = {b.solver.lower(): b for b in await v.log.bids(report.auction_id)}
        assert recorded[SOLVER_A.lower()].status is BidStatus.WON
        assert recorded[SOLVER_B.lower()].reason_code == "limit_violated"

    asyncio.run(scenario())


def test_a_bid_that_would_drain_the_settlement_is_discarded_and_the_next_best_wins() -> None:
    async def scenario() -> None:
        simulator = FakeSimulator(drains_for_price=6_000)
        v = venue(simulator)
        await accept(v, ALICE_SELLS, BOB_BUYS)

        async def bids(auction_id: int) -> None:
            await v.house.receive_bid(cow_bid(auction_id, SOLVER_A, 2_990))
            drains = cow_bid(auction_id, SOLVER_B, 3_000)  # ties A's score (all surplus is USDC): simulated too
            await v.house.receive_bid(replace(drains, prices={WETH: 6_000 * E6, USDC: 2 * E18}))  # takes 5 USDC

        report = await a_round(v, bids)
        assert report.winner.lower() == SOLVER_A.lower()
        outcomes = {s.lower(): m for s, m in v.hub.notices}
        assert (outcomes[SOLVER_B.lower()]["outcome"], outcomes[SOLVER_B.lower()]["code"]) == (
            "discarded", "buffer_drained",
        )  # fmt: skip
        assert "5 taken" in outcomes[SOLVER_B.lower()]["reason"]
        # Every token of the auction is measured, not only the bid's own.
        assert all(set(w) == {address(t) for t in token_infos()} for w in simulator.watched)

    asyncio.run(scenario())


def test_bids_tied_on_score_are_all_simulated_and_the_lower_gas_wins() -> None:
    async def scenario() -> None:
        v = venue(FakeSimulator(gas_for_price={3_000: 300_000}))
        await accept(v, ALICE_SELLS, BOB_BUYS)
        same_score = cow_bid(0, SOLVER_A, 3_000)  # A's bid is the same trade: same score, more gas

        async def bids(auction_id: int) -> None:
            await v.house.receive_bid(replace(same_score, auction_id=auction_id))
            cheaper = cow_bid(auction_id, SOLVER_B, 3_000)
            await v.house.receive_bid(replace(cheaper, prices={WETH: 3_000 * E6 * 2, USDC: E18 * 2}))

        report = await a_round(v, bids)
        recorded = {b.solver.lower(): b for b in await v.log.bids(report.auction_id)}
        assert recorded[SOLVER_A.lower()].score == recorded[SOLVER_B.lower()].score  # a genuine tie
        assert report.winner.lower() == SOLVER_B.lower()  # 200k gas beats 300k, whatever the addresses

    asyncio.run(scenario())


def test_copies_of_one_bid_are_simulated_once_and_the_tie_goes_to_the_lower_solver_address() -> None:
    async def scenario() -> None:
        simulator = FakeSimulator()
        v = venue(simulator)
        await accept(v, ALICE_SELLS, BOB_BUYS)

        async def bids(auction_id: int) -> None:
            for solver in (SOLVER_A, SOLVER_B, SOLVER_C):
                await v.house.receive_bid(cow_bid(auction_id, solver, 3_000))

        report = await a_round(v, bids)
        assert len(simulator.watched) == 1  # one settle call, whoever bid it
        assert report.winner.lower() == SOLVER_C.lower()  # 0x1111... is the lowest address

    asyncio.run(scenario())


def test_every_bid_is_recorded_with_the_score_it_claimed_which_never_ranks_it() -> None:
    async def scenario() -> None:
        v = venue()
        await accept(v, ALICE_SELLS, BOB_BUYS)

        async def bids(auction_id: int) -> None:
            await v.house.receive_bid(replace(cow_bid(auction_id, SOLVER_A, 3_000), claimed_score=1))
            await v.house.receive_bid(replace(cow_bid(auction_id, SOLVER_B, 2_990), claimed_score=10**40))
            await v.house.receive_bid(replace(cow_bid(auction_id, SOLVER_C, 2_800), claimed_score=7))  # limit
            await v.house.receive_bid(replace(cow_bid(auction_id, SOLVER_C, 2_800), claimed_score=8))  # counted

        report = await a_round(v, bids)
        assert report.winner is not None and report.winner.lower() == SOLVER_A.lower()
        recorded = {b.solver.lower(): (b.status, b.claimed_score) for b in await v.log.bids(report.auction_id)}
        assert recorded == {
            SOLVER_A.lower(): (BidStatus.WON, 1), SOLVER_B.lower(): (BidStatus.LOST, 10**40),
            SOLVER_C.lower(): (BidStatus.DISCARDED, 8),
        }  # fmt: skip

    asyncio.run(scenario())


def test_late_repeated_and_misaddressed_bids_are_refused_with_a_code() -> None:
    async def scenario() -> None:
        v = venue()
        await accept(v, ALICE_SELLS, BOB_BUYS)
        codes: list[str] = []

        async def bids(auction_id: int) -> None:
            for bid in [cow_bid(auction_id + 1, SOLVER_A, 3_000)] + [cow_bid(auction_id, SOLVER_A, 3_000)] * 4:
                try:
                    await v.house.receive_bid(bid)
                except BidRefused as exc:
                    codes.append(exc.code)

        report = await a_round(v, bids)
        assert codes == ["unknown_auction", "too_many_bids"]
        with pytest.raises(BidRefused) as late:
            await v.house.receive_bid(cow_bid(report.auction_id, SOLVER_B, 3_000))
        assert late.value.code == "late"  # the round is closed; ids it never opened stay unknown_auction

    asyncio.run(scenario())


def test_without_a_valid_bid_the_intents_go_back_to_open() -> None:
    async def scenario() -> None:
        v = venue()
        await accept(v, ALICE_SELLS, BOB_BUYS)

        async def silence(auction_id: int) -> None:
            return None

        report = await a_round(v, silence)
        assert report.winner is None and await v.jobs.get(report.auction_id) is None
        assert await status(v, ALICE_SELLS) is IntentStatus.OPEN

    asyncio.run(scenario())


def test_expired_and_on_chain_cancelled_intents_are_retired_not_auctioned() -> None:
    async def scenario() -> None:
        v = venue()
        stale = an_intent(nonce=5, valid_to=int(time.time()) + 2)
        await accept(v, ALICE_SELLS, BOB_BUYS, stale)
        v.chain.used_nonces.add((BOB, 2))  # Bob invalidated his nonce on-chain

        async def silence(auction_id: int) -> None:
            return None

        report = await a_round(v, silence)
        assert report.orders == 1
        assert await status(v, stale) is IntentStatus.EXPIRED
        assert await status(v, BOB_BUYS) is IntentStatus.CANCELLED

    asyncio.run(scenario())


def test_after_a_crash_mid_round_intents_in_auction_are_offered_again_and_won_ones_stay_queued() -> None:
    async def scenario() -> None:
        v = venue()
        await accept(v, ALICE_SELLS, BOB_BUYS)
        for intent in (ALICE_SELLS, BOB_BUYS):  # the process died after offering them
            stored = await v.store.get(intent.struct_hash())
            assert stored is not None
            await v.store.set_status(intent.struct_hash(), IntentStatus.IN_AUCTION, stored.version)
        assert await v.house.recover() == 2
        assert await status(v, ALICE_SELLS) is IntentStatus.OPEN and await status(v, BOB_BUYS) is IntentStatus.OPEN
        assert await v.house.recover() == 0  # nothing left to recover

    asyncio.run(scenario())


def test_won_intents_no_queued_job_carries_are_reopened_on_recovery_and_carried_ones_kept() -> None:
    async def scenario() -> None:
        v = venue()
        await accept(v, ALICE_SELLS, BOB_BUYS)
        for intent in (ALICE_SELLS, BOB_BUYS):  # both won; only Alice's job was queued before the crash
            stored = await v.store.get(intent.struct_hash())
            assert stored is not None
            for step, moved_to in enumerate((IntentStatus.IN_AUCTION, IntentStatus.WON)):
                await v.store.set_status(intent.struct_hash(), moved_to, stored.version + step)
        await v.jobs.add(SettlementJob(42, b"calldata", (ALICE_SELLS.struct_hash(),), 1_000))
        assert await v.house.recover() == 1
        assert await status(v, ALICE_SELLS) is IntentStatus.WON and await status(v, BOB_BUYS) is IntentStatus.OPEN

    asyncio.run(scenario())


def test_a_round_whose_leader_lost_the_lease_is_abandoned_for_the_new_leader_to_reopen() -> None:
    async def scenario() -> None:
        v = venue(lease=ScriptedLease(lost_after=0))  # the check before concluding finds the lease gone
        await accept(v, ALICE_SELLS, BOB_BUYS)

        async def bids(auction_id: int) -> None:
            await v.house.receive_bid(cow_bid(auction_id, SOLVER_A, 3_000))

        assert await a_round(v, bids) is None
        assert await v.jobs.get(v.hub.auctions[-1]["auction"]["id"]) is None
        assert await status(v, ALICE_SELLS) is IntentStatus.IN_AUCTION  # not WON, nothing queued
        assert [m for _, m in v.hub.notices] == []
        assert await v.house.recover() == 2

    asyncio.run(scenario())


def test_only_the_lease_holder_runs_rounds_and_it_recovers_on_taking_the_lease() -> None:
    async def scenario() -> None:
        follower = venue(lease=ScriptedLease(lost_after=0))
        await accept(follower, ALICE_SELLS)
        stop = asyncio.Event()
        task = asyncio.create_task(follower.house.run(stop, interval_s=0.01))
        await asyncio.sleep(0.1)
        stop.set()
        await task
        assert follower.hub.auctions == [] and await status(follower, ALICE_SELLS) is IntentStatus.OPEN

        leader = venue()
        await accept(leader, ALICE_SELLS)
        stored = await leader.store.get(ALICE_SELLS.struct_hash())
        assert stored is not None
        await leader.store.set_status(stored.record.intent_id, IntentStatus.IN_AUCTION, stored.version)  # a dead round
        leads: list[bool] = []

        async def on_lead() -> None:
            leads.append(await status(leader, ALICE_SELLS) is IntentStatus.OPEN)

        stop = asyncio.Event()
        task = asyncio.create_task(leader.house.run(stop, interval_s=0.01, on_lead=on_lead))
        while not leader.hub.auctions:
            await asyncio.sleep(0.005)
        stop.set()
        await task
        assert leads == [True]  # recovered once, before its first round

    asyncio.run(scenario())


def test_the_leader_resyncs_periodically_and_a_failed_round_is_recovered_not_fatal() -> None:
    async def scenario() -> None:
        v = venue()
        await accept(v, ALICE_SELLS)
        failures = [RuntimeError("node unreachable")]
        real_read = v.chain.read

        async def flaky_read(block: int, queries: list[StateQuery]) -> list[OwnerState]:
            if failures:
                raise failures.pop()
            return await real_read(block, queries)

        v.chain.read = flaky_read  # type: ignore[method-assign]
        resyncs: list[float] = []

        async def on_lead() -> None:
            resyncs.append(time.monotonic())

        stop = asyncio.Event()
        task = asyncio.create_task(v.house.run(stop, interval_s=0.01, on_lead=on_lead, resync_s=0.03))
        async with asyncio.timeout(10):  # a failure guard, not a timing assertion
            while len(resyncs) < 3 or not v.hub.auctions:
                await asyncio.sleep(0.005)
        stop.set()
        await task
        assert failures == []  # the first round failed; the loop went on and later rounds went out
        assert v.hub.auctions and len(resyncs) >= 3

    asyncio.run(scenario())


def test_bidding_closes_once_every_connected_solver_has_bid() -> None:
    async def scenario() -> None:
        v = venue(bid_window_s=600.0)  # the deadline is far: only the last of the three bids can end the round
        await accept(v, ALICE_SELLS, BOB_BUYS)

        async def bids(auction_id: int) -> None:
            for solver, price in ((SOLVER_A, 3_000), (SOLVER_B, 2_950), (SOLVER_C, 2_990)):
                await v.house.receive_bid(cow_bid(auction_id, solver, price))

        async with asyncio.timeout(10):  # a failure guard: without the early close this waits 600 s
            report = await a_round(v, bids)
        assert report.bids == 3 and report.winner is not None

    asyncio.run(scenario())
