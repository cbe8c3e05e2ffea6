"""Broadcasting never waits for a solver: a full queue disconnects that solver only."""

from __future__ import annotations

import asyncio

from solver.services.solver_hub import SolverHub


def test_a_solver_that_does_not_read_is_dropped_and_the_others_still_get_every_message() -> None:
    async def scenario() -> None:
        hub = SolverHub(queue_size=2)
        slow, _ = hub.attach("0xslow", None)
        fast, _ = hub.attach("0xfast", None)
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
        first, _ = hub.attach("0xs", None)
        second, _ = hub.attach("0xs", None)
        assert first.closed and not second.closed and hub.solvers == ["0xs"]

    asyncio.run(scenario())
