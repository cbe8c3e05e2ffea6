"""Token buckets in Redis, shared by every API process (solver.api.ratelimit.SharedBuckets).

One hash per bucket (`tokens`, `at`), read, refilled and taken from by one Lua script, which Redis runs
atomically, on Redis's own clock (TIME), so processes on hosts with skewed clocks agree. A bucket expires
once it would be full again (`burst / per_s` seconds, plus one): an idle client costs Redis nothing.
"""

from __future__ import annotations

import math

from redis.asyncio import Redis

from .errors import translated

# KEYS: bucket. ARGV: tokens per second, burst. Returns the seconds until a token is back ("0": taken).
_TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local per_s, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil or at == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - at) * per_s)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / per_s end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return string.format('%.17g', wait)
"""


class RedisTokenBuckets:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._prefix = prefix
        self._take = redis.register_script(_TAKE)

    async def take(self, key: str, per_s: float, burst: int) -> float:
        """0.0 if a token was taken from bucket `key`, else the seconds until one is back."""
        keep_ms = math.ceil(burst / per_s * 1000) + 1000
        with translated("rate limit"):
            wait = await self._take(keys=[f"{self._prefix}:rate:{key}"], args=[repr(per_s), burst, keep_ms])
        return float(wait)
