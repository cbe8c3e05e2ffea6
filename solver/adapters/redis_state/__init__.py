"""Redis twins of the shared venue state, so that several API processes serve one venue: the open intent
pool, the bid book (round state), the round leader's lease and the solvers' message relay (pub/sub).

Every key lives under one prefix (`venue` by default) so that venues, or tests, can share a server.
Multi-key updates are Lua scripts: Redis runs each atomically, so no process sees half an update.
"""

from __future__ import annotations

from redis.asyncio import Redis

from .bids import RedisBidBook
from .lease import RedisLease
from .pool import RedisIntentPool
from .rate import RedisTokenBuckets
from .relay import RedisSolverRelay

DEFAULT_PREFIX = "venue"


def connect(url: str) -> Redis:
    """A client for `url` (redis://host:port/db); connections open lazily, on first use."""
    # A refused or unroutable Redis fails fast (seconds) instead of hanging a request on the OS's connect timeout.
    return Redis.from_url(url, decode_responses=False, health_check_interval=30, socket_connect_timeout=2.0)


__all__ = [
    "DEFAULT_PREFIX", "RedisBidBook", "RedisIntentPool", "RedisLease", "RedisSolverRelay", "RedisTokenBuckets",
    "connect",
]  # fmt: skip
