"""The connected solvers: one outbound queue each, broadcast without waiting, notices owed for resumption.

A round never waits for a solver: broadcast puts the message on every connection's bounded queue and
returns; a connection whose queue is full (a solver that does not read) is closed instead of waited for.

A (re)connecting solver first gets what it is owed: after `resume`, the notices its session missed (numbered,
exactly once: `notices`), then the last auction if it still takes bids (its deadline is in the future); a
new session gets only that auction. In one process the hub keeps the notices and sessions itself; across
processes the Redis relay keeps them in Redis and uses the hub's `connect`, `release` and `deliver` for the
connections of its own process.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from .notices import KEEP_S, NoticeJournal

Message = dict[str, Any]
Outgoing = Message | str  # a message, or one already encoded as JSON text (broadcasts: encoded once for all)


@dataclass(eq=False)
class Connection:
    solver: str
    session: str
    queue: asyncio.Queue[Outgoing | None]  # None tells the writer to close
    closed: bool = False
    queued: int = 0  # the highest notice number put on this connection (replay or live): each goes once
    delivered: int = 0  # the highest notice number written to its socket (the session's mark)
    held: list[Message] | None = None  # notices that arrived while its replay was read: queued after it

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            while not self.queue.empty():  # make room for the close marker
                self.queue.get_nowait()
            self.queue.put_nowait(None)


def new_session() -> str:
    """A session id, unique across venue processes (sessions are shared through Redis)."""
    return "s-" + secrets.token_hex(12)


class SolverHub:
    def __init__(self, queue_size: int = 64, history_s: float = KEEP_S, clock: Callable[[], float] = time.time) -> None:
        self._queue_size, self._clock = queue_size, clock
        self._connections: dict[str, Connection] = {}  # one live connection per solver address
        self._journal = NoticeJournal(history_s)
        self._auction: tuple[float, str] | None = None  # the last auction broadcast: its deadline, its JSON

    @property
    def solvers(self) -> list[str]:
        return sorted(self._connections)

    @property
    def connections(self) -> list[Connection]:
        return list(self._connections.values())

    @property
    def open_auction(self) -> str | None:
        """The last auction broadcast, while it still takes bids (deadline in the future, unix seconds)."""
        if self._auction is None or self._auction[0] <= self._clock():
            return None
        return self._auction[1]

    # ---- one process: the venue's solvers, notices and sessions -------------------------------------

    async def attach(self, solver: str, resume: str | None) -> tuple[Connection, list[Outgoing]]:
        """A new connection for `solver` (replacing any older one) and what to send it first; AttachRefused
        (unknown_session) if `resume` names no session of this solver that can still be resumed."""
        now = self._clock()
        mark = self._journal.last(solver) if resume is None else self._journal.take(resume, solver, now)
        missed = [] if resume is None else self._journal.missed(solver, mark, now)
        conn = self.connect(solver)
        self._journal.open(conn.session, solver, mark, now)
        return conn, self.release(conn, mark, missed)

    def notify(self, solver: str, message: Message) -> None:
        """Number `message` as the solver's next notice, keep it for resumption, and send it if connected."""
        self.deliver(solver, self._journal.append(solver, message, self._clock()))

    def delivered(self, conn: Connection, seq: int) -> None:
        """The writer wrote notice `seq` to the connection's socket: its session's mark moves on."""
        conn.delivered = max(conn.delivered, seq)
        self._journal.mark(conn.session, seq)

    def detach(self, conn: Connection) -> None:
        conn.closed = True
        if self._connections.get(conn.solver) is conn:
            del self._connections[conn.solver]
        self._journal.close(conn.session, self._clock())

    def broadcast(self, message: Message) -> int:
        """Queue `message` for every connected solver; returns how many got it (slow ones are closed).
        The message is encoded to JSON once here, not once per connection (an auction of 1,000 orders is
        ~0.75 MB of JSON). A connection still being attached gets the auction from `release` instead."""
        text = orjson.dumps(message).decode()
        if message.get("type") == "auction":
            deadline = message.get("auction", {}).get("deadline")
            self._auction = (float(deadline), text) if isinstance(deadline, int | float) else None
        sent = 0
        for conn in list(self._connections.values()):
            if conn.held is None:
                sent += self._offer(conn, text)
        return sent

    # ---- this process's connections (the Redis relay keeps notices and sessions itself) ---------------

    def connect(self, solver: str) -> Connection:
        """A connection for `solver` with a new session, replacing its older one here. Notices for it are held
        until `release`, so that none overtakes (or repeats) the replay being read meanwhile."""
        old = self._connections.get(solver)
        if old is not None:
            old.close()
        conn = Connection(solver, new_session(), asyncio.Queue(maxsize=self._queue_size), held=[])
        self._connections[solver] = conn
        return conn

    def release(self, conn: Connection, mark: int, missed: list[Message]) -> list[Outgoing]:
        """What `conn` gets first: the notices numbered above `mark` among `missed` and those held meanwhile,
        in order and once each, then the open auction. Later notices go to its queue as they come."""
        held, conn.held = conn.held or [], None
        owed = {m["seq"]: m for m in (*missed, *held) if m["seq"] > mark}
        conn.queued, conn.delivered = max(owed, default=mark), mark
        replay: list[Outgoing] = [owed[seq] for seq in sorted(owed)]
        if (auction := self.open_auction) is not None:
            replay.append(auction)
        return replay

    def deliver(self, solver: str, notice: Message) -> None:
        """A numbered notice for `solver`'s connection here, if it has one and has not had this notice yet."""
        conn = self._connections.get(solver)
        if conn is None or conn.closed:
            return
        if conn.held is not None:
            conn.held.append(notice)
        elif notice["seq"] > conn.queued:
            conn.queued = notice["seq"]
            self._offer(conn, notice)

    def _offer(self, conn: Connection, message: Outgoing) -> int:
        try:
            conn.queue.put_nowait(message)
            return 1
        except asyncio.QueueFull:
            conn.close()  # a solver that does not read its messages is disconnected, never waited for
            self.detach(conn)
            return 0
