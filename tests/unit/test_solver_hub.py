"""The solver hub: broadcasting never waits for a solver (a full queue disconnects that solver only); a
(re)connecting solver gets the auction only while it takes bids, and a resumed session exactly the notices
it missed, in order, once each."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from solver.services.notices import AttachRefused
from solver.services.solver_hub import Connection, Outgoing, SolverHub

NOW = 1_900_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def result(auction_id: int) -> dict[str, Any]:
    return {"type": "result", "auctionId": auction_id, "outcome": "lost", "score": "1"}


def drain(conn: Connection) -> list[Outgoing]:
    """What the writer takes off the queue: every message, each numbered one reported as written."""
    written: list[Outgoing] = []
    while not conn.queue.empty():
        message = conn.queue.get_nowait()
        assert message is not None
        written.append(message)
    return written


def write(hub: SolverHub, conn: Connection, messages: list[Outgoing]) -> list[int]:
    """Write `messages` as the socket writer does; the notice numbers written."""
    seqs = []
    for message in messages:
        if isinstance(message, dict) and "seq" in message:
            hub.delivered(conn, message["seq"])
            seqs.append(message["seq"])
    return seqs


def test_a_solver_that_does_not_read_is_dropped_and_the_others_still_get_every_message() -> None:
    async def scenario() -> None:
        hub = SolverHub(queue_size=2)
        slow, _ = await hub.attach("0xslow", None)
        fast, _ = await hub.attach("0xfast", None)
        for n in range(3):
            hub.broadcast({"type": "auction", "n": n})
            while not fast.queue.empty():  # the fast solver keeps reading
                fast.queue.get_nowait()
        assert slow.closed and hub.solvers == ["0xfast"]
        assert not fast.closed

    asyncio.run(scenario())


def test_a_new_connection_replaces_the_old_one_of_the_same_solver() -> None:
    async def scenario() -> None:
        hub = SolverHub()
        first, _ = await hub.attach("0xs", None)
        second, _ = await hub.attach("0xs", None)
        assert first.closed and not second.closed and hub.solvers == ["0xs"]
        assert first.session != second.session

    asyncio.run(scenario())


def test_the_auction_is_replayed_to_a_reconnecting_solver_only_while_it_takes_bids() -> None:
    async def scenario() -> None:
        clock = Clock()
        hub = SolverHub(clock=clock)
        hub.broadcast({"type": "auction", "auction": {"id": 1, "deadline": NOW + 0.5}})
        _, replay = await hub.attach("0xs", None)
        assert [m for m in replay if isinstance(m, str) and '"id":1' in m]  # still open: sent
        clock.now = NOW + 0.5  # its deadline: bidding has closed
        _, replay = await hub.attach("0xs", None)
        assert replay == [] and hub.open_auction is None

    asyncio.run(scenario())


def test_a_resumed_session_gets_the_notices_it_missed_in_order_and_each_once() -> None:
    async def scenario() -> None:
        clock = Clock()
        hub = SolverHub(clock=clock)
        hub.notify("0xs", result(0))  # before any session: nobody is owed it
        first, replay = await hub.attach("0xs", None)
        assert replay == []
        hub.notify("0xs", result(1))
        hub.notify("0xs", result(2))
        queued = drain(first)
        assert write(hub, first, queued[:1]) == [2]  # only the first was written before the connection died
        hub.detach(first)
        hub.notify("0xs", result(3))

        second, replay = await hub.attach("0xs", first.session)
        assert [(m["auctionId"], m["seq"]) for m in replay if isinstance(m, dict)] == [(2, 3), (3, 4)]
        assert write(hub, second, replay) == [3, 4]
        hub.notify("0xs", result(4))  # live on the resumed connection
        assert write(hub, second, drain(second)) == [5]
        with pytest.raises(AttachRefused) as again:  # a session resumes once
            await hub.attach("0xs", first.session)
        assert again.value.code == "unknown_session"

        hub.detach(second)
        third, replay = await hub.attach("0xs", second.session)  # nothing was missed: nothing replayed
        assert replay == [] and not third.closed

    asyncio.run(scenario())


@pytest.mark.parametrize("case", ["never opened", "another solver's", "expired"])
def test_resuming_a_session_that_cannot_be_resumed_is_refused(case: str) -> None:
    async def scenario() -> None:
        clock = Clock()
        hub = SolverHub(clock=clock, history_s=600)
        mine, _ = await hub.attach("0xs", None)
        hub.detach(mine)
        session, solver = {"never opened": ("s-nope", "0xs"), "another solver's": (mine.session, "0xother"),
                           "expired": (mine.session, "0xs")}[case]  # fmt: skip
        if case == "expired":
            clock.now += 600.1
        with pytest.raises(AttachRefused) as refused:
            await hub.attach(solver, session)
        assert refused.value.code == "unknown_session"
        if case == "another solver's":  # the refusal took nothing away from the owner
            again, _ = await hub.attach("0xs", mine.session)
            assert not again.closed

    asyncio.run(scenario())


def test_notices_older_than_the_history_are_not_replayed() -> None:
    async def scenario() -> None:
        clock = Clock()
        hub = SolverHub(clock=clock, history_s=600)
        conn, _ = await hub.attach("0xs", None)
        hub.notify("0xs", result(1))  # queued, never written
        clock.now += 300
        hub.notify("0xs", result(2))
        hub.detach(conn)  # resumable for 600 s from here
        clock.now += 301
        _, replay = await hub.attach("0xs", conn.session)
        assert [m["auctionId"] for m in replay if isinstance(m, dict)] == [2]

    asyncio.run(scenario())
