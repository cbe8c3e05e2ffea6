"""Per-client rate limits: token buckets in this process, or shared by every API process through Redis.

A bucket holds up to `burst` tokens and refills at `per_s` tokens a second; a request takes one token or
is refused with the seconds until one is back (the 429's Retry-After). Writes and reads have buckets of
their own per client, so that reads (cheaper, more of them) neither starve nor are starved by writes.

`LocalLimiter` keeps its buckets in a dict: a bucket left alone for `burst / per_s` seconds is full again,
the same as a new one, so idle buckets are pruned (at most once per such window, O(clients)), and at most
`max_clients` are kept (past that the oldest go first: a client evicted while not full gets a fresh burst,
a bounded leak that only a flood of addresses can cause). Memory is bounded either way.

`SharedLimiter` takes the token from a bucket kept in Redis (one Lua script, atomic), so several API
processes enforce one limit per client together. When Redis fails or is slow (`timeout_s`), it fails open
to this process's own bucket for that client: still a limit per process, never an outage of the API
because the limiter's store is down, and never a client that is unlimited.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from solver import observe
from solver.ports import StateUnavailable


@dataclass(frozen=True, slots=True)
class Rate:
    per_s: float  # tokens a second, sustained
    burst: int  # tokens at most: requests a client may make at once

    @property
    def refill_s(self) -> float:
        """Seconds an empty bucket takes to fill up again."""
        return self.burst / self.per_s


class Limiter(Protocol):
    async def take(self, client: str) -> float:
        """0.0 if `client` may go ahead (a token was taken), else the seconds until a token is back."""
        ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float  # clock seconds


class LocalLimiter:
    """Token buckets per client address, in this process."""

    def __init__(self, rate: Rate, max_clients: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.max_clients, self._clock = rate, max_clients, clock
        self._buckets: dict[str, _Bucket] = {}
        self._pruned = clock()

    def __len__(self) -> int:
        return len(self._buckets)

    async def take(self, client: str) -> float:
        return self.take_now(client)

    def take_now(self, client: str) -> float:
        now = self._clock()
        if now - self._pruned >= max(1.0, self.rate.refill_s) or len(self._buckets) >= self.max_clients:
            self._prune(now)
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = _Bucket(float(self.rate.burst), now)
        tokens = min(float(self.rate.burst), bucket.tokens + (now - bucket.updated) * self.rate.per_s)
        bucket.updated = now
        if tokens >= 1.0:
            bucket.tokens = tokens - 1.0
            return 0.0
        bucket.tokens = tokens
        return (1.0 - tokens) / self.rate.per_s

    def _prune(self, now: float) -> None:
        """Drop the buckets that are full again by now; then, past `max_clients`, the oldest."""
        self._pruned = now
        refill = self.rate.refill_s
        self._buckets = {c: b for c, b in self._buckets.items() if now - b.updated < refill}
        excess = len(self._buckets) - self.max_clients + 1  # room for the one about to be added
        for client in list(self._buckets)[: max(0, excess)]:
            del self._buckets[client]


class SharedBuckets(Protocol):
    """Token buckets shared by processes (the Redis adapter); raises StateUnavailable when it cannot."""

    async def take(self, key: str, per_s: float, burst: int) -> float: ...


class SharedLimiter:
    """One bucket per client for every API process (Redis), failing open to a local bucket on Redis errors."""

    def __init__(self, buckets: SharedBuckets, name: str, fallback: LocalLimiter, timeout_s: float = 0.25) -> None:
        self._buckets, self._name, self._fallback, self._timeout_s = buckets, name, fallback, timeout_s

    async def take(self, client: str) -> float:
        rate = self._fallback.rate
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._buckets.take(f"{self._name}:{client}", rate.per_s, rate.burst)
        except (StateUnavailable, TimeoutError) as exc:
            observe.rate_limit_fallback(self._name, type(exc).__name__)
            return self._fallback.take_now(client)
