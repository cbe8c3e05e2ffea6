"""The connected solvers: one outbound queue each, broadcast without waiting, history for resumption.

A round never waits for a solver: broadcast puts the message on every connection's bounded queue and
returns; a connection whose queue is full (a solver that does not read) is closed instead of waited for.
Results and settlement notices are kept for `history_s` so a solver that reconnects can resume.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

Message = dict[str, Any]
Outgoing = Message | str  # a message, or one already encoded as JSON text (broadcasts: encoded once for all)


@dataclass(eq=False)
class Connection:
    solver: str
    session: str
    queue: asyncio.Queue[Outgoing | None]  # None tells the writer to close
    closed: bool = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            while not self.queue.empty():  # make room for the close marker
                self.queue.get_nowait()
            self.queue.put_nowait(None)


@dataclass
class _History:
    entries: deque[tuple[float, Message]] = field(default_factory=deque)


class SolverHub:
    def __init__(self, queue_size: int = 64, history_s: float = 600.0, clock: Callable[[], float] = time.time) -> None:
        self._queue_size, self._history_s, self._clock = queue_size, history_s, clock
        self._connections: dict[str, Connection] = {}  # one live connection per solver address
        self._history: dict[str, _History] = {}
        self._sessions: dict[str, str] = {}  # session id -> solver
        self._ids = itertools.count(1)
        self.current_auction: Outgoing | None = None  # re-sent to solvers that (re)connect mid-round

    @property
    def solvers(self) -> list[str]:
        return sorted(self._connections)

    def attach(self, solver: str, resume: str | None) -> tuple[Connection, list[Outgoing]]:
        """A new connection for `solver` (replacing any older one) and the messages it should replay."""
        old = self._connections.get(solver)
        if old is not None:
            old.close()
        session = f"s-{next(self._ids)}-{solver[2:10].lower()}"
        conn = Connection(solver, session, asyncio.Queue(maxsize=self._queue_size))
        self._connections[solver] = conn
        self._sessions[session] = solver
        replay: list[Outgoing] = []
        if resume is not None and self._sessions.get(resume) == solver:
            replay.extend(self._missed(solver))
        if self.current_auction is not None:
            replay.append(self.current_auction)
        return conn, replay

    def register_session(self, session: str, solver: str) -> None:
        """A session another venue process opened: the solver may resume it here."""
        self._sessions[session] = solver

    def detach(self, conn: Connection) -> None:
        conn.closed = True
        if self._connections.get(conn.solver) is conn:
            del self._connections[conn.solver]

    def broadcast(self, message: Message) -> int:
        """Queue `message` for every connected solver; returns how many got it (slow ones are closed).
        The message is encoded to JSON once here, not once per connection (an auction of 1,000 orders is
        ~0.75 MB of JSON)."""
        text = orjson.dumps(message).decode()
        if message.get("type") == "auction":
            self.current_auction = text
        sent = 0
        for conn in list(self._connections.values()):
            sent += self._offer(conn, text)
        return sent

    def notify(self, solver: str, message: Message) -> None:
        """Send a message to one solver and keep it for resumption."""
        history = self._history.setdefault(solver, _History())
        history.entries.append((self._clock(), message))
        self._expire(history)
        conn = self._connections.get(solver)
        if conn is not None:
            self._offer(conn, message)

    def _offer(self, conn: Connection, message: Outgoing) -> int:
        try:
            conn.queue.put_nowait(message)
            return 1
        except asyncio.QueueFull:
            conn.close()  # a solver that does not read its messages is disconnected, never waited for
            self.detach(conn)
            return 0

    def _missed(self, solver: str) -> list[Message]:
        history = self._history.get(solver)
        if history is None:
            return []
        self._expire(history)
        return [m for _, m in history.entries]

    def _expire(self, history: _History) -> None:
        horizon = self._clock() - self._history_s
        while history.entries and history.entries[0][0] < horizon:
            history.entries.popleft()
