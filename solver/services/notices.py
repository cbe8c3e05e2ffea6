"""The notices each solver is owed and the sessions that resume them (docs/protocol.md section 1), for a
venue in one process; the Redis relay (solver.adapters.redis_state.relay) keeps the same in Redis.

Every notice to a solver (`result`, `settlement`) carries `seq`: that solver's next number, 1, 2, ... A
session's mark is the highest number written to its socket; a new session's mark starts at the solver's
latest number (it owes nothing from before). Resuming takes the session (each resumes once; the new
connection gets a session of its own) and replays the notices numbered above its mark that are still kept,
in order, so each reaches the solver exactly once across reconnections. Times are unix seconds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

Message = dict[str, Any]

KEEP_S = 600.0  # notices stay replayable, and a session resumable after its connection ends, this long
# At most this many notices kept per solver: at one round a second a solver is sent at most a result and a
# settlement per round, ~1,200 of each in KEEP_S; the cap only bounds memory for a flood of notices.
KEEP_NOTICES = 4_096


class AttachRefused(Exception):
    """A solver that signed in but cannot be attached: `code` is the protocol's `rejected` code."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def unknown_session(session: str) -> AttachRefused:
    return AttachRefused(
        "unknown_session",
        f"no session {session[:80]} of this solver to resume (never opened, already resumed, another solver's, or "
        f"ended more than {KEEP_S:.0f} s ago): log in again without `resume`",
    )


@dataclass(slots=True)
class _Session:
    solver: str
    mark: int  # the highest notice number written on this session's connection
    until: float | None  # resumable until then (unix seconds); None while its connection is open


class NoticeJournal:
    def __init__(self, keep_s: float = KEEP_S, keep_notices: int = KEEP_NOTICES) -> None:
        self._keep_s, self._keep_notices = keep_s, keep_notices
        self._last: dict[str, int] = {}  # solver -> the number of its latest notice
        self._notices: dict[str, deque[tuple[float, Message]]] = {}  # solver -> (sent at, notice), oldest first
        self._sessions: dict[str, _Session] = {}

    def append(self, solver: str, message: Message, now: float) -> Message:
        """`message` numbered as the solver's next notice, kept for replay."""
        seq = self._last[solver] = self._last.get(solver, 0) + 1
        numbered = {**message, "seq": seq}
        notices = self._notices.setdefault(solver, deque(maxlen=self._keep_notices))
        notices.append((now, numbered))
        self._expire(notices, now)
        return numbered

    def last(self, solver: str) -> int:
        return self._last.get(solver, 0)

    def missed(self, solver: str, after: int, now: float) -> list[Message]:
        """The solver's kept notices numbered above `after`, in order."""
        notices = self._notices.get(solver)
        if notices is None:
            return []
        self._expire(notices, now)
        return [m for _, m in notices if m["seq"] > after]

    def open(self, session: str, solver: str, mark: int, now: float) -> None:
        self._sessions = {s: v for s, v in self._sessions.items() if v.until is None or v.until >= now}
        self._sessions[session] = _Session(solver, mark, None)

    def take(self, session: str, solver: str, now: float) -> int:
        """The session's mark, the session forgotten; AttachRefused(unknown_session) unless it is `solver`'s
        and still resumable."""
        found = self._sessions.get(session)
        if found is None or found.solver != solver or (found.until is not None and found.until < now):
            raise unknown_session(session)
        del self._sessions[session]
        return found.mark

    def mark(self, session: str, seq: int) -> None:
        """Notice `seq` was written to the session's socket."""
        found = self._sessions.get(session)
        if found is not None:
            found.mark = max(found.mark, seq)

    def close(self, session: str, now: float) -> None:
        """The session's connection ended: resumable for `keep_s` from now."""
        found = self._sessions.get(session)
        if found is not None:
            found.until = now + self._keep_s

    def _expire(self, notices: deque[tuple[float, Message]], now: float) -> None:
        while notices and notices[0][0] < now - self._keep_s:
            notices.popleft()
