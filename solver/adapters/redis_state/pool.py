"""The open intent pool in Redis: one hash of entries, one of their versions, and short-lived tombstones.

A put or discard only applies if its version is at least the newest the pool has seen for the intent
(live entry or tombstone), so writes that race from different processes settle on the newest. Tombstones
expire after `TOMBSTONE_S`: no write of an intent is delayed that long behind a newer one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from solver.domain.records import StoredIntent

from .codec import decode_intent, encode_intent
from .errors import translated

TOMBSTONE_S = 3_600

# KEYS: entries, versions, tombstone prefix. ARGV: ttl, then (id, version, payload or "") per intent;
# an empty payload is a discard.
_APPLY = """
local applied = 0
for i = 2, #ARGV, 3 do
  local id, version, payload = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local seen = tonumber(redis.call('HGET', KEYS[2], id) or redis.call('GET', KEYS[3] .. id) or '0')
  if seen <= version then
    if payload == '' then
      redis.call('HDEL', KEYS[1], id)
      redis.call('HDEL', KEYS[2], id)
      redis.call('SET', KEYS[3] .. id, version, 'EX', ARGV[1])
    else
      redis.call('HSET', KEYS[1], id, payload)
      redis.call('HSET', KEYS[2], id, version)
    end
    applied = applied + 1
  end
end
return applied
"""


class RedisIntentPool:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._keys = [f"{prefix}:pool", f"{prefix}:pool:versions", f"{prefix}:pool:gone:"]
        self._apply = redis.register_script(_APPLY)

    async def put(self, intents: Sequence[StoredIntent]) -> None:
        await self._run([(s, encode_intent(s)) for s in intents])

    async def discard(self, intents: Sequence[StoredIntent]) -> None:
        await self._run([(s, b"") for s in intents])

    async def all(self) -> list[StoredIntent]:
        with translated("pool read"):
            raw = await self._redis.hgetall(self._keys[0])
        entries = [decode_intent(v if isinstance(v, bytes) else v.encode()) for v in raw.values()]
        return sorted(entries, key=lambda s: (s.record.accepted_at, s.record.intent_id))

    async def _run(self, items: list[tuple[StoredIntent, bytes]]) -> None:
        if not items:
            return
        args: list[Any] = [TOMBSTONE_S]
        for stored, payload in items:
            args += [stored.record.intent_id, stored.version, payload]
        with translated("pool write"):
            await self._apply(keys=self._keys, args=args)
