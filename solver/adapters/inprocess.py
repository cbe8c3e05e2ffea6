"""In-process venue state: the open intent pool, the bid book and the lease for a venue that runs in one
process (the embedded default). Redis twins in `solver.adapters.redis` share the same state between
processes; one contract test runs both.

Asyncio-safe without locks: no method awaits between reading and writing its state.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from solver.domain.auction import BidRefused, Solution
from solver.domain.primitives import address
from solver.domain.records import StoredIntent


class MemoryIntentPool:
    def __init__(self) -> None:
        self._entries: dict[bytes, StoredIntent] = {}
        self._versions: dict[bytes, int] = {}  # newest version seen per intent, entries and removals alike

    async def put(self, intents: Sequence[StoredIntent]) -> None:
        for stored in intents:
            intent_id = stored.record.intent_id
            if self._versions.get(intent_id, 0) <= stored.version:
                self._entries[intent_id], self._versions[intent_id] = stored, stored.version

    async def discard(self, intents: Sequence[StoredIntent]) -> None:
        for stored in intents:
            intent_id = stored.record.intent_id
            if self._versions.get(intent_id, 0) <= stored.version:
                self._entries.pop(intent_id, None)
                self._versions[intent_id] = stored.version

    async def all(self) -> list[StoredIntent]:
        return sorted(self._entries.values(), key=lambda s: (s.record.accepted_at, s.record.intent_id))


# How long a closed auction is remembered, in seconds past its deadline: a bid for it meanwhile is refused as
# `late` (it was open once), not `unknown_auction` (an id the venue never opened). The Redis book keeps its
# closed marker as long.
KEEP_CLOSED_S = 600


@dataclass(slots=True)
class _Open:
    deadline: float
    bids: list[tuple[str, Solution]] = field(default_factory=list)
    per_solver: dict[str, int] = field(default_factory=dict)


class MemoryBidBook:
    def __init__(self, max_bids_per_solver: int = 3) -> None:
        self._max = max_bids_per_solver
        self._open: dict[int, _Open] = {}
        self._closed: dict[int, float] = {}  # auction id -> its deadline, in closing order
        self._ids = itertools.count(1)

    async def open(self, auction_id: int, deadline: float) -> None:
        self._closed.pop(auction_id, None)
        self._open[auction_id] = _Open(deadline)

    async def submit(self, solution: Solution, now: float) -> str:
        if solution.auction_id in self._closed:
            raise closed_refusal(solution.auction_id)
        return take_bid(self._open.get(solution.auction_id), solution, now, self._max, next(self._ids))

    async def bidders(self, auction_id: int) -> set[str]:
        round_ = self._open.get(auction_id)
        return set() if round_ is None else set(round_.per_solver)

    async def close(self, auction_id: int) -> list[tuple[str, Solution]]:
        closed = self._open.pop(auction_id, None)
        if closed is None:
            return []
        self._closed[auction_id] = closed.deadline
        horizon = closed.deadline - KEEP_CLOSED_S  # forget auctions closed long ago (oldest first)
        while (oldest := next(iter(self._closed))) != auction_id and self._closed[oldest] < horizon:
            del self._closed[oldest]
        return closed.bids


def take_bid(round_: _Open | None, solution: Solution, now: float, max_bids: int, serial: int) -> str:
    if round_ is None:
        raise BidRefused("unknown_auction", f"auction {solution.auction_id} is not open for bids")
    if now > round_.deadline:
        raise BidRefused("late", "the auction's deadline has passed")
    solver = address(solution.solver)
    if round_.per_solver.get(solver, 0) >= max_bids:
        raise BidRefused("too_many_bids", f"at most {max_bids} bids per auction")
    round_.per_solver[solver] = round_.per_solver.get(solver, 0) + 1
    bid_id = bid_name(solution.auction_id, serial)
    round_.bids.append((bid_id, solution))
    return bid_id


def closed_refusal(auction_id: int) -> BidRefused:
    """A bid for an auction whose bidding has closed: at its deadline, or earlier once every solver bid."""
    return BidRefused("late", f"bidding on auction {auction_id} has closed")


def bid_name(auction_id: int, serial: int) -> str:
    return f"b-{auction_id}-{serial}"


class SoleLease:
    """One process: it always leads."""

    async def hold(self) -> bool:
        return True

    async def release(self) -> None:
        return None
