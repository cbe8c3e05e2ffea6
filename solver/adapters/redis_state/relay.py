"""The solvers' messages across venue processes: Redis in front of each process's SolverHub.

A solver is connected to one API process; the round leader may be another, and the keeper a third. Every
broadcast (auctions) and notice (results, settlements) is published on one channel; every process, the
publisher included, applies each to its own hub, which delivers to the solvers connected there. Like the
hub, the relay never makes a round wait: messages are queued and a background task publishes them in order.
Which solvers are connected anywhere is kept in a hash of expiring presences.

Resumption across processes (docs/protocol.md section 1; `solver.services.notices` is the one-process twin):
- numbering: one script increments the solver's counter, keeps the numbered notice in the solver's sorted
  set (by number; trimmed to `keep_notices`, expiring `keep_s` after the last one) and publishes it, so
  numbers follow the channel's order and every process delivers the same `seq`;
- sessions: `session:<id>` holds "<solver> <mark>", the highest number written to that session's socket.
  Marks are written by a background task (coalesced: only the latest per session) and refreshed while the
  connection lives, so a session stays resumable `keep_s` after its connection ends, on any process;
- resuming takes the session key in one script (only if it is the solver's), then reads the notices above
  its mark; notices arriving meanwhile are held by the hub and merged, so none is lost, repeated or reordered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from redis.asyncio import Redis
from redis.exceptions import RedisError

from solver import observe
from solver.services.notices import KEEP_NOTICES, KEEP_S, AttachRefused, unknown_session
from solver.services.solver_hub import Connection, Message, Outgoing, SolverHub

PRESENCE_S = 2.0  # how often a process re-announces its solvers; an announcement lasts three periods
RETRY_S = 0.5
OUTBOX = 10_000  # messages waiting for Redis; beyond this the oldest are dropped (Redis is down)

# KEYS: the solver's counter, its notices. ARGV: channel, solver (JSON string), notice (JSON object), now in ms,
# notices kept, seconds kept. Numbers the notice, keeps it as "<seq> <ms> <json>", publishes it; returns seq.
_NOTIFY = """
local seq = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], seq, seq .. ' ' .. ARGV[4] .. ' ' .. ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[5]) + 1))
redis.call('EXPIRE', KEYS[2], ARGV[6])
local event = '{"kind":"notify","solver":' .. ARGV[2] .. ',"seq":' .. seq .. ',"message":' .. ARGV[3] .. '}'
redis.call('PUBLISH', ARGV[1], event)
return seq
"""
# KEYS: the session. ARGV: the solver. Its mark, the session deleted; -1 unless it is this solver's session.
_TAKE = """
local value = redis.call('GET', KEYS[1])
if not value then return -1 end
local space = string.find(value, ' ', 1, true)
if not space or string.sub(value, 1, space - 1) ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])
return tonumber(string.sub(value, space + 1))
"""

class _Notice(NamedTuple):
    """A notice waiting to be numbered and published (an event to publish as is is plain bytes)."""

    solver: str
    notice: str  # JSON object
    sent_ms: int  # unix milliseconds


class RedisSolverRelay:
    def __init__(
        self, redis: Redis, prefix: str, hub: SolverHub, presence_s: float = PRESENCE_S, keep_s: float = KEEP_S,
        keep_notices: int = KEEP_NOTICES, clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self._redis, self._hub, self._presence_s, self._clock = redis, hub, presence_s, clock
        self._prefix, self._keep_s, self._keep_notices = prefix, int(keep_s), keep_notices
        self._channel, self._presence_key = f"{prefix}:solvers:events", f"{prefix}:solvers:present"
        self._notify, self._take = redis.register_script(_NOTIFY), redis.register_script(_TAKE)
        self._outbox: asyncio.Queue[bytes | _Notice] = asyncio.Queue(maxsize=OUTBOX)
        self._marks: dict[str, tuple[str, int]] = {}  # session -> (solver, mark) still to write
        self._marked = asyncio.Event()
        self._elsewhere: list[str] = []
        self._tasks: list[asyncio.Task[None]] = []

    # ---- the hub's interface (sync where the round calls it: never waits) ------------------------------

    @property
    def solvers(self) -> list[str]:
        return sorted(set(self._hub.solvers) | set(self._elsewhere))

    def broadcast(self, message: Message) -> int:
        self._queue(json.dumps({"kind": "broadcast", "message": message}, separators=(",", ":")).encode())
        return len(self.solvers)

    def notify(self, solver: str, message: Message) -> None:
        self._queue(_Notice(solver, json.dumps(message, separators=(",", ":")), int(self._clock() * 1000)))

    async def attach(self, solver: str, resume: str | None) -> tuple[Connection, list[Outgoing]]:
        """As SolverHub.attach, with the solver's numbers, notices and sessions in Redis (resumable on any
        process); AttachRefused(unavailable) when Redis cannot be reached."""
        try:
            mark = None if resume is None else await self._take_session(resume, solver)
            conn = self._hub.connect(solver)  # holds this solver's notices until release
            try:
                if mark is None:
                    mark, missed = await self._last(solver), []
                else:
                    missed = await self._missed(solver, mark)
                await self._redis.set(self._session_key(conn.session), f"{solver} {mark}", ex=self._keep_s, nx=True)
            except BaseException:
                self._hub.detach(conn)
                raise
        except RedisError as exc:
            observe.relay_error("attach", str(exc))
            raise AttachRefused("unavailable", "the venue's shared state cannot be reached: retry shortly") from exc
        return conn, self._hub.release(conn, mark, missed)

    def delivered(self, conn: Connection, seq: int) -> None:
        self._hub.delivered(conn, seq)
        self._mark(conn)

    def detach(self, conn: Connection) -> None:
        self._hub.detach(conn)
        self._mark(conn)  # also restarts the session's time to live: resumable keep_s from now

    # ---- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe (before anything is published, so this process hears its own messages), then run."""
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._channel)
        self._tasks = [
            asyncio.create_task(self._listen(pubsub)),
            asyncio.create_task(self._send()),
            asyncio.create_task(self._write_marks()),
            asyncio.create_task(self._announce()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        with contextlib.suppress(RedisError, TimeoutError):  # the last marks, best effort
            await asyncio.wait_for(self._flush_marks(), RETRY_S)

    # ---- sessions and notices in Redis --------------------------------------------------------------

    def _session_key(self, session: str) -> str:
        return f"{self._prefix}:solvers:session:{session}"

    def _notice_keys(self, solver: str) -> list[str]:
        return [f"{self._prefix}:solvers:seq:{solver}", f"{self._prefix}:solvers:notices:{solver}"]

    async def _take_session(self, session: str, solver: str) -> int:
        mark = int(await self._take(keys=[self._session_key(session)], args=[solver]))
        if mark < 0:
            raise unknown_session(session)
        return mark

    async def _last(self, solver: str) -> int:
        return int(await self._redis.get(self._notice_keys(solver)[0]) or 0)

    async def _missed(self, solver: str, mark: int) -> list[Message]:
        """The solver's kept notices numbered above `mark` and younger than keep_s, in order."""
        entries = await self._redis.zrangebyscore(self._notice_keys(solver)[1], f"({mark}", "+inf")
        horizon_ms = (self._clock() - self._keep_s) * 1000
        missed = []
        for entry in entries:
            seq, sent_ms, notice = (entry.decode() if isinstance(entry, bytes) else str(entry)).split(" ", 2)
            if int(sent_ms) >= horizon_ms:
                missed.append({**json.loads(notice), "seq": int(seq)})
        return missed

    def _mark(self, conn: Connection) -> None:
        self._marks[conn.session] = (conn.solver, conn.delivered)
        self._marked.set()

    async def _write_marks(self) -> None:
        while True:
            await self._marked.wait()
            try:
                await self._flush_marks()
            except RedisError as exc:
                observe.relay_error("marks", str(exc))
                await asyncio.sleep(RETRY_S)

    async def _flush_marks(self) -> None:
        """Write the pending marks (XX: a session resumed meanwhile stays taken); kept for a retry on failure."""
        self._marked.clear()
        marks, self._marks = self._marks, {}
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for session, (solver, mark) in marks.items():
                    pipe.set(self._session_key(session), f"{solver} {mark}", ex=self._keep_s, xx=True)
                await pipe.execute()
        except BaseException:
            self._marks = marks | self._marks  # newer marks win
            self._marked.set()
            raise

    # ---- background tasks ---------------------------------------------------------------------------

    def _queue(self, item: bytes | _Notice) -> None:
        if self._outbox.full():
            self._outbox.get_nowait()
            observe.relay_dropped()
        self._outbox.put_nowait(item)

    async def _send(self) -> None:
        while True:
            item = await self._outbox.get()
            while True:
                try:
                    await self._deliver_to_redis(item)
                    break
                except RedisError as exc:
                    observe.relay_error("publish", str(exc))
                    await asyncio.sleep(RETRY_S)

    async def _deliver_to_redis(self, item: bytes | _Notice) -> None:
        if isinstance(item, bytes):
            await self._redis.publish(self._channel, item)
            return
        args: list[str | int] = [
            self._channel, json.dumps(item.solver), item.notice, item.sent_ms, self._keep_notices, self._keep_s,
        ]  # fmt: skip
        await self._notify(keys=self._notice_keys(item.solver), args=args)

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
            self._hub.deliver(event["solver"], {**event["message"], "seq": event["seq"]})

    async def _announce(self) -> None:
        """Every presence period: this process's solvers are present, and their live sessions stay resumable."""
        while True:
            try:
                now = time.time()
                mine: dict[str | bytes, str | bytes] = {s: repr(now + 3 * self._presence_s) for s in self._hub.solvers}
                if mine:
                    await self._redis.hset(self._presence_key, mapping=mine)  # type: ignore[arg-type]
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for conn in self._hub.connections:
                            pipe.expire(self._session_key(conn.session), self._keep_s)
                        await pipe.execute()
                raw = await self._redis.hgetall(self._presence_key)
                present = {(k.decode() if isinstance(k, bytes) else k): float(v) for k, v in raw.items()}
                expired = [solver for solver, until in present.items() if until < now]
                if expired:
                    await self._redis.hdel(self._presence_key, *expired)
                self._elsewhere = [solver for solver, until in present.items() if until >= now]
            except RedisError as exc:
                observe.relay_error("presence", str(exc))
            await asyncio.sleep(self._presence_s)
