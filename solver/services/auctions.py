"""Auction rounds: cut an auction from the open intents, broadcast it, collect bids until the deadline,
score every bid ourselves, simulate the best ones, hand the winner to the keepers, tell every solver.

The round never waits for a solver (the hub queues without blocking), bids after the deadline are
refused, and scoring ignores anything a solver claims about its own bid.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from solver import observe
from solver.api.protocol import ResultMsg, wire
from solver.domain.auction import DEFAULT_MAX_PRICE_DEVIATION_BPS, Auction, Order, Solution, TokenInfo
from solver.domain.batch import Batch
from solver.domain.intake import OwnerState, StateQuery
from solver.domain.lifecycle import IntentStatus
from solver.domain.liquidity import Pool
from solver.domain.primitives import address
from solver.domain.records import AuctionRecord, BidRecord, BidStatus, StatusChange, StoredIntent
from solver.domain.scoring import ReasonCode, Scored, SolutionRejected, evaluate, rank, ranking, to_batch
from solver.domain.settlement_job import SettlementJob
from solver.domain.value_safety import SimulatedSettle, check_allowances, check_holdings, revert_reason
from solver.keeper.ports import JobQueue, SimulationFailed
from solver.ports import AuctionLog, BidBook, IntentStore, Lease


class ChainView(Protocol):
    async def block_number(self) -> int: ...

    async def read(self, block: int, queries: list[StateQuery]) -> list[OwnerState]: ...


class LiquiditySource(Protocol):
    async def snapshot(self, block: int) -> tuple[Pool, ...]: ...


class ReferencePrices(Protocol):
    async def tokens(self, block: int) -> dict[str, TokenInfo]: ...


class Simulator(Protocol):
    async def simulate(self, sender: str, calldata: bytes, watch: Sequence[str]) -> SimulatedSettle:
        """The settle call at the head block, measuring the settlement's balances of the `watch` tokens (and
        ETH) before and after it; raises SimulationFailed if it reverts."""
        ...


class Broadcaster(Protocol):
    def broadcast(self, message: dict[str, Any]) -> int: ...

    def notify(self, solver: str, message: dict[str, Any]) -> None: ...

    @property
    def solvers(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class AuctionConfig:
    early_close: bool = True  # bidding ends once every solver connected at the broadcast has bid
    bid_window_s: float = 0.7  # from the round's start to the bid deadline; scoring, simulation and the
    # conclusion (~0.15-0.25 s for 1,000 intents and 10 bids) fit in the rest of a 1 s round
    max_bids_per_solver: int = 3
    settle_within_blocks: int = 3  # a won solution a keeper has not sent by then is dropped, its intents reopened
    min_remaining_validity_s: int = 10  # intents closer than this to valid_to are not auctioned again
    simulation_sender: str = ""  # the keeper account that will submit (must be an allow-listed solver)
    inventory_accounts: frozenset[str] = frozenset()
    max_price_deviation_bps: int = DEFAULT_MAX_PRICE_DEVIATION_BPS  # carried by every auction (scoring bound)


@dataclass(frozen=True, slots=True)
class RoundReport:
    auction_id: int
    orders: int
    bids: int
    winner: str | None
    score: int | None
    stage_seconds: dict[str, float]  # build (with broadcast), bidding, scoring, simulation, conclude


BID_POLL_S = 0.01  # how often the round checks whether every connected solver has bid

Encode = Callable[[Batch], bytes]
WireAuction = Callable[[Auction], dict[str, Any]]
OnReport = Callable[[RoundReport], None]
OnLead = Callable[[], Awaitable[None]]


class AuctionHouse:
    """Runs rounds while its process holds the lease (one leader among the venue's processes); bids reach
    it through the bid book from whichever process the solver is connected to."""

    def __init__(
        self, store: IntentStore, log: AuctionLog, jobs: JobQueue, chain: ChainView, liquidity: LiquiditySource,
        prices: ReferencePrices, simulator: Simulator, hub: Broadcaster, encode: Encode, wire: WireAuction,
        config: AuctionConfig, bids: BidBook, lease: Lease, clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self._store, self._log, self._jobs, self._chain = store, log, jobs, chain
        self._liquidity, self._prices, self._simulator, self._hub = liquidity, prices, simulator, hub
        self._encode, self._wire, self._config, self._clock = encode, wire, config, clock
        self._bids, self._lease = bids, lease

    # ---- bids (from any process's WebSocket reader) ---------------------------------------------------

    async def receive_bid(self, solution: Solution) -> str:
        return await self._bids.submit(solution, self._clock())

    # ---- rounds -----------------------------------------------------------------------------------

    async def recover(self) -> int:
        """After a crash mid-round: intents left IN_AUCTION (their round died with the process) and WON
        intents no unfinished settlement job carries (the crash came between marking the winner and queueing
        its job) go back to OPEN. A finished job's intents were moved on by accounting before the job was
        stored finished, so they are not WON any more. Returns how many moved. Only the lease holder calls
        this: no other process has a round in flight. Jobs are read first, so a job a keeper finishes
        meanwhile only makes our writes stale (skipped), never wrong."""
        carried = {i for job in await self._jobs.unfinished() for i in job.intent_ids}
        stuck = await self._store.by_status(IntentStatus.IN_AUCTION)
        orphans = [s for s in await self._store.by_status(IntentStatus.WON) if s.record.intent_id not in carried]
        if not stuck and not orphans:
            return 0
        moved = await self._store.set_statuses(
            [StatusChange(s.record.intent_id, IntentStatus.OPEN, s.version) for s in (*stuck, *orphans)]
        )
        return sum(m is not None for m in moved)

    async def run_round(self) -> RoundReport | None:
        t0, started = time.perf_counter(), self._clock()
        block = await self._chain.block_number()
        offered = await self._offer(block)
        if not offered:
            return None
        auction = await self._build(block, offered, started + self._config.bid_window_s)
        await self._log.record_auction(AuctionRecord(
            auction.auction_id, block, auction.deadline, tuple(o.intent_id for o in auction.orders),
            {t: info.reference_price for t, info in auction.tokens.items()},
        ))  # fmt: skip
        await self._bids.open(auction.auction_id, auction.deadline)
        sent = self._hub.broadcast({"type": "auction", "auction": self._wire(auction)})
        observe.auction_broadcast(auction.auction_id, block, len(auction.orders), sent)
        t1 = time.perf_counter()
        await self._collect(auction, {address(s) for s in self._hub.solvers} if self._config.early_close else set())
        bids = await self._bids.close(auction.auction_id)
        t2 = time.perf_counter()
        scored, discarded = self._score(auction, bids)
        t3 = time.perf_counter()
        winner, failed = await self._simulate(auction, scored)
        t4 = time.perf_counter()
        if not await self._lease.hold():  # fenced: another process leads now and has reopened these intents
            observe.round_abandoned(auction.auction_id)
            return None
        await self._conclude(auction, block, offered, winner, scored, _claimed(discarded + failed, bids))
        t5 = time.perf_counter()
        return RoundReport(
            auction.auction_id, len(auction.orders), len(bids),
            winner.solution.solver if winner else None, winner.score.total if winner else None,
            {"build": t1 - t0, "bidding": t2 - t1, "scoring": t3 - t2, "simulation": t4 - t3, "conclude": t5 - t4},
        )  # fmt: skip

    async def run(
        self, stop: asyncio.Event, interval_s: float = 1.0, on_report: OnReport | None = None,
        on_lead: OnLead | None = None, resync_s: float = 30.0,
    ) -> None:  # fmt: skip
        """A round every `interval_s` while this process holds the lease. On taking the lease: `recover`,
        then `on_lead` (resynchronise the shared intent pool from the store), which the leader repeats
        every `resync_s` so that a pool write lost to a crash or an outage delays an intent, never loses it."""
        leading, synced = False, 0.0
        try:
            while not stop.is_set():
                started = self._clock()
                if await self._lease.hold():
                    if not leading:
                        observe.leadership(acquired=True)
                        await self.recover()
                        leading, synced = True, float("-inf")
                    if on_lead is not None and started - synced >= resync_s:
                        await on_lead()
                        synced = started
                    try:
                        report = await self.run_round()
                    except Exception as exc:  # the store or the node failed mid-round: recover, go on
                        observe.round_failed(type(exc).__name__, str(exc))
                        leading = False  # still the leader: the next turn recovers the round's intents
                    else:
                        if report is not None and on_report is not None:
                            on_report(report)
                elif leading:
                    observe.leadership(acquired=False)
                    leading = False
                await asyncio.sleep(max(0.0, interval_s - (self._clock() - started)))
        finally:
            if leading:
                await self._lease.release()

    async def _collect(self, auction: Auction, expected: set[str]) -> None:
        """Wait for bids until the deadline, or until every solver connected at the broadcast has bid."""
        while (left := auction.deadline - self._clock()) > 0:
            if expected and expected <= await self._bids.bidders(auction.auction_id):
                return
            await asyncio.sleep(min(BID_POLL_S, left))

    async def _offer(self, block: int) -> list[StoredIntent]:
        """Open intents that can still settle, moved to IN_AUCTION in one store transaction; expired and
        on-chain-cancelled ones retired in the same one; unfunded ones stay open for a later round."""
        now = self._clock()
        changes, live = [], []
        for s in await self._store.by_status(IntentStatus.OPEN):
            if s.record.intent.valid_to < now + self._config.min_remaining_validity_s:
                changes.append(StatusChange(s.record.intent_id, IntentStatus.EXPIRED, s.version))
            else:
                live.append(s)
        states = await self._chain.read(block, [StateQuery(s.record.intent.owner, s.record.intent.sell_token,
                                                           s.record.intent.nonce) for s in live])  # fmt: skip
        for s, state in zip(live, states, strict=True):
            if state.nonce_used:  # invalidated on-chain (or used by another of the owner's intents)
                changes.append(StatusChange(s.record.intent_id, IntentStatus.CANCELLED, s.version))
            elif state.balance >= _needed(s) and state.allowance >= _needed(s):
                changes.append(StatusChange(s.record.intent_id, IntentStatus.IN_AUCTION, s.version))
        moved = await self._store.set_statuses(changes) if changes else []
        return [m for m in moved if m is not None and m.record.status is IntentStatus.IN_AUCTION]

    async def _build(self, block: int, offered: list[StoredIntent], deadline: float) -> Auction:
        pools = await self._liquidity.snapshot(block)
        tokens = await self._prices.tokens(block)
        orders = tuple(
            Order(s.record.intent_id, s.record.intent, s.record.signature, s.record.scheme, s.record.remaining)
            for s in offered
        )
        return Auction(int(self._clock() * 1000), block, deadline, orders, tokens, pools,
                       self._config.max_price_deviation_bps)  # fmt: skip

    def _score(
        self, auction: Auction, bids: list[tuple[str, Solution]]
    ) -> tuple[list[tuple[str, Scored]], list[BidRecord]]:
        latest: dict[str, tuple[str, Solution]] = {}
        for bid_id, solution in bids:  # arrival order: a solver's last acknowledged bid counts
            latest[address(solution.solver)] = (bid_id, solution)
        scored, discarded = [], []
        for solver, (bid_id, solution) in latest.items():
            try:
                score = evaluate(auction, solution, inventory_accounts=self._config.inventory_accounts)
                scored.append((bid_id, Scored(solution, score)))
            except SolutionRejected as exc:
                discarded.append(self._discard(auction.auction_id, solver, exc.reason, exc.detail))
        return scored, discarded

    async def _simulate(
        self, auction: Auction, scored: list[tuple[str, Scored]]
    ) -> tuple[Scored | None, list[BidRecord]]:
        """The winner and the bids discarded on the way. Bids are tried best score first; every bid tied on
        that score is simulated, and `rank` settles the tie (lower gas, then solver, then digest). A bid that
        reverts, or would leave the settlement poorer or with an allowance, is discarded and the next score
        is tried."""
        failed = []
        verdicts: dict[bytes, int | SolutionRejected] = {}  # by calldata: copies of one bid simulate once
        pending = ranking(s for _, s in scored)
        while pending:
            tied = [e for e in pending if e.score.total == pending[0].score.total]
            pending = pending[len(tied) :]
            passed = []
            for entry in tied:
                batch = to_batch(auction, entry.solution, inventory_accounts=self._config.inventory_accounts)
                calldata = self._encode(batch)
                if calldata not in verdicts:
                    verdicts[calldata] = await self._verify(auction, batch, calldata)
                verdict = verdicts[calldata]
                if isinstance(verdict, SolutionRejected):
                    failed.append(self._discard(auction.auction_id, entry.solution.solver, verdict.reason,
                                                verdict.detail))  # fmt: skip
                else:
                    passed.append(Scored(entry.solution, entry.score, verdict))
            winner = rank(passed)
            if winner is not None:
                return winner, failed
        return None, failed

    async def _verify(self, auction: Auction, batch: Batch, calldata: bytes) -> int | SolutionRejected:
        """The batch's gas if its settle call simulates and leaves the settlement no poorer in any token of the
        auction or the bid (beyond rounding dust) and with no allowance; else why the bid is discarded."""
        watch = sorted({*batch.tokens, *(address(t) for t in auction.tokens)})
        try:
            simulated = await self._simulator.simulate(self._config.simulation_sender, calldata, watch)
            check_holdings(batch, simulated.holdings)
            check_allowances(simulated.allowances)
        except SimulationFailed as exc:
            return SolutionRejected(revert_reason(exc.error), exc.reason)
        except SolutionRejected as exc:
            return exc
        return simulated.gas_used

    async def _conclude(
        self, auction: Auction, block: int, offered: list[StoredIntent], winner: Scored | None,
        scored: list[tuple[str, Scored]], discarded: list[BidRecord],
    ) -> None:  # fmt: skip
        won_ids = set() if winner is None else {f.intent_id for f in winner.solution.fulfillments}
        # Statuses first, then the job: a keeper only ever sees a job whose intents are WON, and a crash in
        # between leaves WON intents no job carries, which `recover` reopens. A version that changed meanwhile
        # (cancelled off-chain by its owner) is left alone; the signed intent may still settle on-chain, as an
        # off-chain cancel is best effort once the intent is in a won solution.
        await self._store.set_statuses([
            StatusChange(s.record.intent_id, IntentStatus.WON if s.record.intent_id in won_ids else IntentStatus.OPEN,
                         s.version)
            for s in offered
        ])  # fmt: skip
        if winner is not None:
            batch = to_batch(auction, winner.solution, inventory_accounts=self._config.inventory_accounts)
            await self._jobs.add(SettlementJob(auction.auction_id, self._encode(batch), tuple(sorted(won_ids)),
                                               block + self._config.settle_within_blocks,
                                               solver=winner.solution.solver))  # fmt: skip
        dropped = {b.solver for b in discarded}  # checksummed by BidRecord
        results = [self._result(auction.auction_id, entry, winner) for _, entry in scored
                   if address(entry.solution.solver) not in dropped]  # not failed in simulation  # fmt: skip
        await self._log.record_bids([*discarded, *(record for record, _ in results)])  # one transaction
        for bid in discarded:
            self._hub.notify(bid.solver, wire(ResultMsg(auction_id=auction.auction_id, outcome="discarded",
                                                        code=bid.reason_code, reason=bid.reason)))  # fmt: skip
        for record, message in results:
            self._hub.notify(record.solver, message)
            observe.bid_scored(auction.auction_id, record.solver, record.status.value, record.score, None)

    @staticmethod
    def _result(auction_id: int, s: Scored, winner: Scored | None) -> tuple[BidRecord, dict[str, Any]]:
        won = winner is not None and s.solution is winner.solution
        status = BidStatus.WON if won else BidStatus.LOST
        message = wire(ResultMsg(
            auction_id=auction_id, outcome="won" if won else "lost", score=str(s.score.total),
            winning_score=None if won or winner is None else str(winner.score.total),
        ))  # fmt: skip
        record = BidRecord(auction_id, s.solution.solver, status, s.score.total, s.solution.claimed_score)
        return record, message

    def _discard(self, auction_id: int, solver: str, reason: ReasonCode, detail: str) -> BidRecord:
        observe.bid_scored(auction_id, solver, "discarded", None, reason.value)
        return BidRecord(auction_id, solver, BidStatus.DISCARDED, None, reason_code=reason.value, reason=detail[:500])


def _claimed(records: list[BidRecord], bids: list[tuple[str, Solution]]) -> list[BidRecord]:
    """`records` with the score each solver's counted bid (its last) claimed: kept for the record, never ranked."""
    claims = {address(solution.solver): solution.claimed_score for _, solution in bids}  # arrival order: last wins
    return [replace(r, claimed_score=claims.get(r.solver)) for r in records]


def _needed(stored: StoredIntent) -> int:
    """Sell units the owner must still hold and have approved for the rest of the intent."""
    intent = stored.record.intent
    return (
        intent.sell_amount
        if not intent.partially_fillable
        else intent.sell_amount * stored.record.remaining // intent.full_amount
    )
