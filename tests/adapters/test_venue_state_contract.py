"""The shared venue state's contract (open intent pool, bid book, lease, solver relay): the same scenarios
against the in-process twins and a real redis-server, with two clients standing for two venue processes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from redis.asyncio import Redis

from solver.adapters.inprocess import MemoryBidBook, MemoryIntentPool
from solver.adapters.redis_state import RedisBidBook, RedisIntentPool, RedisLease, RedisSolverRelay, connect
from solver.adapters.storage.memory import MemoryIntentStore
from solver.api.protocol import bid_from_json, bid_to_json
from solver.domain.auction import BidRefused, Fulfillment, Solution
from solver.domain.batch import Interaction
from solver.domain.lifecycle import IntentStatus
from solver.domain.primitives import UINT256_MAX, address
from solver.domain.records import StatusChange, StoredIntent
from solver.ports import BidBook, OpenIntentPool, StaleVersion
from solver.services.notices import AttachRefused
from solver.services.pooled_store import PooledIntentStore
from solver.services.solver_hub import Outgoing, SolverHub
from tests.adapters.storage_builders import T0, a_record
from tests.redis_server import RedisServer

SOLVER_A = "0x00000000000000000000000000000000000050A1"
SOLVER_B = "0x00000000000000000000000000000000000050B2"


@dataclass
class Shared:
    """Factories for one backend; `process` numbers stand for separate venue processes (own clients)."""

    name: str
    redis_url: str | None
    prefix: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}")
    _clients: dict[int, Redis] = field(default_factory=dict)
    _memory: dict[str, Any] = field(default_factory=dict)

    def client(self, process: int) -> Redis:
        assert self.redis_url is not None
        if process not in self._clients:
            self._clients[process] = connect(self.redis_url)
        return self._clients[process]

    def pool(self, process: int = 0) -> OpenIntentPool:
        if self.redis_url is None:
            return self._memory.setdefault("pool", MemoryIntentPool())  # type: ignore[no-any-return]
        return RedisIntentPool(self.client(process), self.prefix)

    def bids(self, process: int = 0, max_bids: int = 3) -> BidBook:
        if self.redis_url is None:
            return self._memory.setdefault("bids", MemoryBidBook(max_bids))  # type: ignore[no-any-return]
        return RedisBidBook(self.client(process), self.prefix, bid_to_json, bid_from_json, max_bids)

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()


@pytest.fixture(params=["inprocess", "redis"])
async def shared(request: pytest.FixtureRequest) -> AsyncIterator[Shared]:
    url = None
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        url = server.url()
    state = Shared(request.param, url)
    yield state
    await state.close()


@pytest.fixture
async def on_redis(redis_server: RedisServer) -> AsyncIterator[Shared]:
    """For the parts that only exist between processes (the lease, the relay)."""
    state = Shared("redis", redis_server.url())
    yield state
    await state.close()


def stored(nonce: int, version: int = 1, accepted_at: float = T0, **intent: Any) -> StoredIntent:
    return StoredIntent(a_record(nonce=nonce, accepted_at=accepted_at, **intent), version)


# ---- open intent pool ---------------------------------------------------------------------------------


async def test_the_pool_lists_what_was_put_oldest_first_to_every_process(shared: Shared) -> None:
    late, early = stored(1, accepted_at=T0 + 5), stored(2, accepted_at=T0)
    huge = stored(3, accepted_at=T0 + 1, sell_amount=UINT256_MAX, buy_amount=UINT256_MAX, partially_fillable=True)
    await shared.pool(0).put([late, early, huge])
    assert await shared.pool(1).all() == [early, huge, late]


async def test_only_a_newer_version_replaces_or_removes_an_entry(shared: Shared) -> None:
    pool, other = shared.pool(0), shared.pool(1)
    v1 = stored(1)
    v3 = replace(v1, version=3)
    await pool.put([v3])
    await other.put([v1])  # a slower process's older write
    assert await pool.all() == [v3]
    await other.discard([replace(v1, version=2)])  # removal at an older version: ignored
    assert await pool.all() == [v3]
    await pool.discard([replace(v1, version=4)])
    await other.put([v3])  # a late write of the version before the removal
    assert await pool.all() == []
    v5 = replace(v1, version=5)
    await other.put([v5])  # reopened later (a reverted settlement)
    assert await pool.all() == [v5]


async def test_a_pooled_store_keeps_the_pool_in_step_with_every_write(shared: Shared) -> None:
    store = PooledIntentStore(MemoryIntentStore(), shared.pool(0))
    a, b = a_record(nonce=1), a_record(nonce=2, accepted_at=T0 + 1)
    for record in (a, b):
        await store.add(record)
    assert [s.record.intent_id for s in await store.by_status(IntentStatus.OPEN)] == [a.intent_id, b.intent_id]
    moved = await store.set_statuses([StatusChange(a.intent_id, IntentStatus.IN_AUCTION, 1)])
    assert [s.record.intent_id for s in await shared.pool(1).all()] == [b.intent_id]
    assert moved[0] is not None
    await store.set_status(a.intent_id, IntentStatus.OPEN, moved[0].version)  # no winner: back to the pool
    assert {s.record.intent_id for s in await shared.pool(1).all()} == {a.intent_id, b.intent_id}
    await store.set_status(b.intent_id, IntentStatus.CANCELLED, 1)
    assert [s.record.intent_id for s in await store.by_status(IntentStatus.OPEN)] == [a.intent_id]


async def test_a_stale_pool_entry_is_repaired_by_the_write_it_fails(shared: Shared) -> None:
    inner = MemoryIntentStore()
    store = PooledIntentStore(inner, shared.pool(0))
    record = a_record(nonce=1)
    await store.add(record)
    await inner.set_status(record.intent_id, IntentStatus.CANCELLED, 1)  # a write that bypassed the pool
    assert len(await store.by_status(IntentStatus.OPEN)) == 1  # the pool is behind the store
    assert await store.set_statuses([StatusChange(record.intent_id, IntentStatus.IN_AUCTION, 1)]) == [None]
    assert await store.by_status(IntentStatus.OPEN) == []
    with pytest.raises(StaleVersion):
        await store.set_status(record.intent_id, IntentStatus.IN_AUCTION, 1)


async def test_resync_brings_the_pool_back_to_the_store(shared: Shared) -> None:
    inner = MemoryIntentStore()
    store = PooledIntentStore(inner, shared.pool(0))
    kept, dropped, missed = a_record(nonce=1), a_record(nonce=2), a_record(nonce=3)
    for record in (kept, dropped):
        await store.add(record)
    await inner.add(missed)  # accepted, then the process died before it reached the pool
    await inner.set_status(dropped.intent_id, IntentStatus.CANCELLED, 1)
    assert await store.resync() == 2
    assert {s.record.intent_id for s in await shared.pool(1).all()} == {kept.intent_id, missed.intent_id}


# ---- bid book -----------------------------------------------------------------------------------------


def a_bid(auction_id: int, solver: str, price: int = 3_000) -> Solution:
    return Solution(
        auction_id,
        solver,
        {"0x00000000000000000000000000000000000000e1": price * 10**6},
        (Fulfillment(b"\x11" * 32, 10**18),),
        interactions=(Interaction("0x00000000000000000000000000000000000000F1", b"\x01\x02", 0),),
        claimed_score=price * 10**30 if price % 2 else None,  # bids claim a score, or not: both are kept as sent
    )


async def test_bids_are_taken_from_any_process_and_closed_in_arrival_order(shared: Shared) -> None:
    here, there = shared.bids(0), shared.bids(1)
    await here.open(7, deadline=1_000.0)
    assert await here.bidders(7) == set()
    first = await there.submit(a_bid(7, SOLVER_A), now=999.0)
    second = await here.submit(a_bid(7, SOLVER_B, 3_001), now=999.5)
    assert first != second
    assert await there.bidders(7) == {address(SOLVER_A), address(SOLVER_B)}
    assert await here.close(7) == [(first, a_bid(7, SOLVER_A)), (second, a_bid(7, SOLVER_B, 3_001))]
    with pytest.raises(BidRefused) as closed:
        await there.submit(a_bid(7, SOLVER_A), now=999.9)
    assert closed.value.code == "late"  # closed before its deadline (every solver had bid): late all the same


async def test_unknown_late_and_excess_bids_are_refused_with_their_codes(shared: Shared) -> None:
    book = shared.bids(0, max_bids=2)
    codes = []
    await book.open(8, deadline=1_000.0)
    for solution, now in [(a_bid(9, SOLVER_A), 0.0), (a_bid(8, SOLVER_A), 1_000.5)] + [(a_bid(8, SOLVER_A), 1.0)] * 3:
        try:
            await book.submit(solution, now)
        except BidRefused as exc:
            codes.append(exc.code)
    assert codes == ["unknown_auction", "late", "too_many_bids"]
    assert len(await book.close(8)) == 2


async def test_a_closed_auction_refuses_bids_as_late_and_an_id_never_opened_as_unknown(shared: Shared) -> None:
    here, there = shared.bids(0), shared.bids(1)
    for auction_id in (10, 11):
        await here.open(auction_id, deadline=1_000.0)
    await here.close(10)
    await here.close(12)  # never opened: closing it does not make it known
    refusals = {}
    for auction_id, now in ((10, 999.0), (10, 1_001.0), (11, 1_001.0), (12, 999.0), (13, 999.0)):
        with pytest.raises(BidRefused) as refused:
            await there.submit(a_bid(auction_id, SOLVER_A), now=now)
        refusals[(auction_id, now)] = refused.value.code
    assert refusals == {
        (10, 999.0): "late", (10, 1_001.0): "late",  # closed, before or after its deadline
        (11, 1_001.0): "late",  # still open, past its deadline
        (12, 999.0): "unknown_auction", (13, 999.0): "unknown_auction",
    }  # fmt: skip
    assert await there.close(10) == [] and await there.bidders(10) == set()
    await here.open(10, deadline=2_000.0)  # the same id opened again takes bids again
    assert (await there.submit(a_bid(10, SOLVER_B), now=1_500.0)).startswith("b-10-")


async def test_concurrent_bids_from_two_processes_never_pass_the_limit(shared: Shared) -> None:
    books = [shared.bids(0, max_bids=3), shared.bids(1, max_bids=3)]
    await books[0].open(9, deadline=1_000.0)
    results = await asyncio.gather(
        *(books[n % 2].submit(a_bid(9, SOLVER_A, 3_000 + n), now=1.0) for n in range(10)), return_exceptions=True
    )
    taken = [r for r in results if isinstance(r, str)]
    assert len(taken) == 3 and all(isinstance(r, BidRefused) for r in results if not isinstance(r, str))
    assert sorted(b for b, _ in await books[1].close(9)) == sorted(taken)


# ---- lease (Redis only: one process always leads) -----------------------------------------------------


async def test_one_process_holds_the_lease_until_it_releases_or_stops_renewing(on_redis: Shared) -> None:
    shared = on_redis
    a = RedisLease(shared.client(0), shared.prefix, ttl_ms=300)
    b = RedisLease(shared.client(1), shared.prefix, ttl_ms=300)
    assert await a.hold() and not await b.hold()
    assert await a.hold()  # renewed
    await a.release()
    assert await b.hold() and not await a.hold()
    await _until(lambda: a.hold(), timeout_s=5.0)  # b stopped renewing: its lease ran out
    assert not await b.hold()


# ---- solver relay (Redis only: in-process the hub is the relay, tests/unit/test_solver_hub.py) ------------


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Processes:
    """Two venue processes' hubs and relays on one Redis (own clients), sharing a clock the test moves."""

    clock: Clock
    hubs: list[SolverHub]
    relays: list[RedisSolverRelay]


@pytest.fixture
async def processes(on_redis: Shared) -> AsyncIterator[Processes]:
    clock = Clock()
    hubs = [SolverHub(clock=clock), SolverHub(clock=clock)]
    relays = [RedisSolverRelay(on_redis.client(n), on_redis.prefix, hubs[n], presence_s=0.05, clock=clock)
              for n in (0, 1)]  # fmt: skip
    for relay in relays:
        await relay.start()
    yield Processes(clock, hubs, relays)
    for relay in relays:
        await relay.stop()


def result(auction_id: int) -> dict[str, Any]:
    return {"type": "result", "auctionId": auction_id, "outcome": "lost", "score": "1"}


async def test_messages_reach_a_solver_connected_to_another_process(processes: Processes) -> None:
    hubs, relays = processes.hubs, processes.relays
    conn, replay = await relays[1].attach(SOLVER_A, None)  # the solver is connected to process 1
    assert replay == []
    await _until_true(lambda: SOLVER_A in relays[0].solvers)
    relays[0].broadcast({"type": "auction", "auction": {"id": 1, "deadline": processes.clock.now + 60}})
    relays[0].notify(SOLVER_A, result(1))  # the leader is process 0
    received = [_decoded(await asyncio.wait_for(conn.queue.get(), 5)) for _ in range(2)]
    assert [(m["type"], m.get("seq")) for m in received] == [("auction", None), ("result", 1)]
    assert hubs[0].solvers == [] and relays[0].solvers == [SOLVER_A]


async def test_a_session_resumes_on_another_process_with_exactly_what_it_missed_in_order(
    processes: Processes, on_redis: Shared
) -> None:
    hubs, relays = processes.hubs, processes.relays
    conn, _ = await relays[1].attach(SOLVER_A, None)
    relays[0].broadcast({"type": "auction", "auction": {"id": 9, "deadline": processes.clock.now + 60}})
    for auction_id in (1, 2):
        relays[0].notify(SOLVER_A, result(auction_id))
    queued = [_decoded(await asyncio.wait_for(conn.queue.get(), 5)) for _ in range(3)]
    assert [m.get("seq") for m in queued] == [None, 1, 2]
    relays[1].delivered(conn, 1)  # only notice 1 was written before the connection died
    relays[1].detach(conn)
    relays[1].notify(SOLVER_A, result(3))  # a notice from yet another sender (a keeper) meanwhile
    session_key = f"{on_redis.prefix}:solvers:session:{conn.session}"
    await _until(lambda: _is(on_redis.client(9).get(session_key), f"{SOLVER_A} 1".encode()))
    await _until_true(lambda: hubs[0].open_auction is not None)

    again, replay = await relays[0].attach(SOLVER_A, conn.session)  # the solver reconnects to process 0
    owed = [_decoded(m) for m in replay]
    while [m.get("seq") for m in owed if m["type"] == "result"][-1:] != [3]:  # 3 may still be on its way
        owed.append(_decoded(await asyncio.wait_for(again.queue.get(), 5)))
    assert [(m["type"], m.get("auctionId"), m.get("seq")) for m in owed if m["type"] == "result"] == [
        ("result", 2, 2), ("result", 3, 3),
    ]  # fmt: skip
    assert [m["auction"]["id"] for m in owed if m["type"] == "auction"] == [9]  # still taking bids
    relays[1].notify(SOLVER_A, result(4))
    assert _decoded(await asyncio.wait_for(again.queue.get(), 5))["seq"] == 4  # live, once
    for relay in relays:  # a session resumes once, on any process
        with pytest.raises(AttachRefused) as taken:
            await relay.attach(SOLVER_A, conn.session)
        assert taken.value.code == "unknown_session"


async def test_notice_numbers_are_one_sequence_per_solver_whichever_process_sends(processes: Processes) -> None:
    relays = processes.relays
    conn, _ = await relays[1].attach(SOLVER_A, None)
    for n in range(20):  # the leader's results and another process's settlement notices, interleaved
        relays[n % 2].notify(SOLVER_A, result(n))
        relays[n % 2].notify(SOLVER_B, result(n))  # another solver's numbers are its own
    received = [_decoded(await asyncio.wait_for(conn.queue.get(), 5)) for _ in range(20)]
    assert [m["seq"] for m in received] == list(range(1, 21))
    assert sorted(m["auctionId"] for m in received) == list(range(20))


async def test_resuming_a_session_that_is_not_the_solvers_is_refused_on_every_process(
    processes: Processes,
) -> None:
    relays = processes.relays
    conn, _ = await relays[1].attach(SOLVER_B, None)
    relays[1].detach(conn)
    for relay in relays:
        for solver, session in ((SOLVER_A, conn.session), (SOLVER_B, "s-" + "00" * 12)):
            with pytest.raises(AttachRefused) as refused:
                await relay.attach(solver, session)
            assert refused.value.code == "unknown_session"
    again, _ = await relays[0].attach(SOLVER_B, conn.session)  # the refusals took nothing from its owner
    assert not again.closed


async def test_an_auction_is_replayed_on_any_process_only_while_it_takes_bids(processes: Processes) -> None:
    hubs, relays, clock = processes.hubs, processes.relays, processes.clock
    relays[0].broadcast({"type": "auction", "auction": {"id": 5, "deadline": clock.now + 0.5}})
    await _until_true(lambda: all(h.open_auction is not None for h in hubs))
    _, replay = await relays[1].attach(SOLVER_A, None)
    assert [_decoded(m)["auction"]["id"] for m in replay] == [5]
    clock.now += 0.5  # the deadline: bidding has closed
    for relay in relays:
        _, replay = await relay.attach(SOLVER_B, None)
        assert replay == []


async def _is(value: Any, expected: Any) -> bool:
    return await value == expected


async def _until(check: Callable[[], Any], timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def _until_true(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


def _decoded(message: Outgoing | None) -> dict[str, Any]:
    """A queued message as the solver will read it (broadcasts are queued already encoded)."""
    assert message is not None
    return json.loads(message) if isinstance(message, str) else message
