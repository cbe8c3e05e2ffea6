"""The bid book in Redis: per auction, a deadline key, a list of bids and a per-solver bid count.

Bids are checked and appended by one script (open, on time, under the per-solver limit), and `close`
takes the list and marks the auction closed in another, so a bid is either in the closed list or refused
(`late`: the deadline key stays, as "closed", for `KEEP_S`, like the in-process book's memory of closed
auctions). Keys expire after `KEEP_S` in case a leader dies between open and close.
"""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis

from solver.domain.auction import BidRefused, Solution
from solver.domain.primitives import address

from ..inprocess import KEEP_CLOSED_S, bid_name, closed_refusal
from .errors import translated

KEEP_S = KEEP_CLOSED_S
CLOSED = "closed"  # the deadline key's value once the auction's bidding has closed

# KEYS: deadline, bids, counts, serial. ARGV: now, solver, max bids, payload, seconds to keep.
# Returns a positive serial, or 0 unknown auction, -1 past its deadline, -2 too many bids, -3 closed.
_SUBMIT = f"""
local deadline = redis.call('GET', KEYS[1])
if not deadline then return 0 end
if deadline == '{CLOSED}' then return -3 end
if tonumber(ARGV[1]) > tonumber(deadline) then return -1 end
if tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '0') >= tonumber(ARGV[3]) then return -2 end
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
local serial = redis.call('INCR', KEYS[4])
redis.call('RPUSH', KEYS[2], serial .. ' ' .. ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('EXPIRE', KEYS[3], ARGV[5])
return serial
"""
# KEYS: deadline, bids, counts. ARGV: seconds to keep the closed marker. Returns the bids; an auction that
# was open is marked closed, its bids and counts forgotten.
_CLOSE = f"""
local bids = redis.call('LRANGE', KEYS[2], 0, -1)
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SET', KEYS[1], '{CLOSED}', 'EX', ARGV[1])
end
redis.call('DEL', KEYS[2], KEYS[3])
return bids
"""

EncodeBid = Callable[[Solution], bytes]
DecodeBid = Callable[[bytes], Solution]


class RedisBidBook:
    def __init__(
        self, redis: Redis, prefix: str, encode: EncodeBid, decode: DecodeBid, max_bids_per_solver: int = 3
    ) -> None:
        self._redis, self._prefix, self._encode, self._decode = redis, prefix, encode, decode
        self._max = max_bids_per_solver
        self._submit, self._close = redis.register_script(_SUBMIT), redis.register_script(_CLOSE)

    def _keys(self, auction_id: int) -> list[str]:
        base = f"{self._prefix}:auction:{auction_id}"
        return [f"{base}:deadline", f"{base}:bids", f"{base}:counts"]

    async def open(self, auction_id: int, deadline: float) -> None:
        deadline_key, bids_key, counts_key = self._keys(auction_id)
        with translated("bid book open"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(bids_key, counts_key)
                pipe.set(deadline_key, repr(deadline), ex=KEEP_S)
                await pipe.execute()

    async def submit(self, solution: Solution, now: float) -> str:
        keys = [*self._keys(solution.auction_id), f"{self._prefix}:bid-serial"]
        args: list[str | bytes | int] = [repr(now), address(solution.solver), self._max, self._encode(solution), KEEP_S]
        with translated("bid submit"):
            serial = int(await self._submit(keys=keys, args=args))
        if serial == 0:
            raise BidRefused("unknown_auction", f"auction {solution.auction_id} is not open for bids")
        if serial == -1:
            raise BidRefused("late", "the auction's deadline has passed")
        if serial == -2:
            raise BidRefused("too_many_bids", f"at most {self._max} bids per auction")
        if serial == -3:
            raise closed_refusal(solution.auction_id)
        return bid_name(solution.auction_id, serial)

    async def bidders(self, auction_id: int) -> set[str]:
        with translated("bidders"):
            counts = await self._redis.hkeys(self._keys(auction_id)[2])
        return {k.decode() if isinstance(k, bytes) else str(k) for k in counts}

    async def close(self, auction_id: int) -> list[tuple[str, Solution]]:
        with translated("bid book close"):
            raw_bids = await self._close(keys=self._keys(auction_id), args=[KEEP_S])
        bids = []
        for raw in raw_bids:
            serial, _, payload = bytes(raw).partition(b" ")
            bids.append((bid_name(auction_id, int(serial)), self._decode(payload)))
        return bids
