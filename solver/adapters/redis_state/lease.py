"""The round leader's lease: a key holding the holder's token, with a time to live the holder renews."""

from __future__ import annotations

import os

from redis.asyncio import Redis

from .errors import translated

LEASE_MS = 5_000  # longer than a round (bid window plus scoring and simulation), renewed every round

# KEYS: lease. ARGV: token, ttl ms. 1 if the caller holds the lease after the call.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class RedisLease:
    def __init__(self, redis: Redis, prefix: str, ttl_ms: int = LEASE_MS, token: str | None = None) -> None:
        self._redis, self._key, self._ttl_ms = redis, f"{prefix}:leader", ttl_ms
        self.token = token or f"{os.uname().nodename}:{os.getpid()}:{os.urandom(4).hex()}"
        self._hold, self._release = redis.register_script(_HOLD), redis.register_script(_RELEASE)

    async def hold(self) -> bool:
        with translated("lease hold"):
            return bool(await self._hold(keys=[self._key], args=[self.token, self._ttl_ms]))

    async def release(self) -> None:
        with translated("lease release"):
            await self._release(keys=[self._key], args=[self.token])
