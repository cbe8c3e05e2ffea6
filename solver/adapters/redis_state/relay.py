"""The solvers' messages across venue processes: Redis pub/sub in front of each process's SolverHub.

A solver is connected to one API process; the round leader may be another, and the keeper a third. Every
broadcast (auctions), notice (results, settlements) and new session is published on one channel; every
process, the publisher included, applies each message to its own hub, which delivers to the solvers
connected there and keeps the history and sessions that resumption needs, so a solver can resume on any
process. Like the hub, the relay never makes a round wait: messages are queued and a background task
publishes them in order. Which solvers are connected anywhere is kept in a hash of expiring presences.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from solver import observe
from solver.services.solver_hub import Connection, Message, Outgoing, SolverHub

PRESENCE_S = 2.0  # how often a process re-announces its solvers; an announcement lasts three periods
RETRY_S = 0.5
OUTBOX = 10_000  # messages waiting for Redis; beyond this the oldest are dropped (Redis is down)


class RedisSolverRelay:
    def __init__(self, redis: Redis, prefix: str, hub: SolverHub, presence_s: float = PRESENCE_S) -> None:
        self._redis, self._hub, self._presence_s = redis, hub, presence_s
        self._channel, self._presence_key = f"{prefix}:solvers:events", f"{prefix}:solvers:present"
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue(maxsize=OUTBOX)
        self._elsewhere: list[str] = []
        self._tasks: list[asyncio.Task[None]] = []

    # ---- the hub's interface (sync: never waits) ----------------------------------------------------

    @property
    def solvers(self) -> list[str]:
        return sorted(set(self._hub.solvers) | set(self._elsewhere))

    def broadcast(self, message: Message) -> int:
        self._publish({"kind": "broadcast", "message": message})
        return len(self.solvers)

    def notify(self, solver: str, message: Message) -> None:
        self._publish({"kind": "notify", "solver": solver, "message": message})

    def attach(self, solver: str, resume: str | None) -> tuple[Connection, list[Outgoing]]:
        conn, replay = self._hub.attach(solver, resume)
        self._publish({"kind": "session", "solver": solver, "session": conn.session})
        return conn, replay

    def detach(self, conn: Connection) -> None:
        self._hub.detach(conn)

    # ---- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe (before anything is published, so this process hears its own messages), then run."""
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel)
        self._tasks = [
            asyncio.create_task(self._listen(pubsub)),
            asyncio.create_task(self._send()),
            asyncio.create_task(self._announce()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    # ---- background tasks ---------------------------------------------------------------------------

    def _publish(self, event: dict[str, Any]) -> None:
        if self._outbox.full():
            self._outbox.get_nowait()
            observe.relay_dropped()
        self._outbox.put_nowait(json.dumps(event, separators=(",", ":")).encode())

    async def _send(self) -> None:
        while True:
            payload = await self._outbox.get()
            while True:
                try:
                    await self._redis.publish(self._channel, payload)
                    break
                except RedisError as exc:
                    observe.relay_error("publish", str(exc))
                    await asyncio.sleep(RETRY_S)

    async def _listen(self, pubsub: Any) -> None:
        while True:
            try:
                async for raw in pubsub.listen():
                    self._apply(json.loads(raw["data"]))
            except RedisError as exc:
                observe.relay_error("subscribe", str(exc))
                await asyncio.sleep(RETRY_S)
                with contextlib.suppress(RedisError):
                    await pubsub.subscribe(self._channel)

    def _apply(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "broadcast":
            self._hub.broadcast(event["message"])
        elif kind == "notify":
            self._hub.notify(event["solver"], event["message"])
        elif kind == "session":
            self._hub.register_session(event["session"], event["solver"])

    async def _announce(self) -> None:
        while True:
            try:
                now = time.time()
                mine: dict[str | bytes, str | bytes] = {s: repr(now + 3 * self._presence_s) for s in self._hub.solvers}
                if mine:
                    await self._redis.hset(self._presence_key, mapping=mine)  # type: ignore[arg-type]
                raw = await self._redis.hgetall(self._presence_key)
                present = {(k.decode() if isinstance(k, bytes) else k): float(v) for k, v in raw.items()}
                expired = [solver for solver, until in present.items() if until < now]
                if expired:
                    await self._redis.hdel(self._presence_key, *expired)
                self._elsewhere = [solver for solver, until in present.items() if until >= now]
            except RedisError as exc:
                observe.relay_error("presence", str(exc))
            await asyncio.sleep(self._presence_s)
