"""In-memory twins of the storage ports, for unit tests and `memory://` runs. Nothing survives the process.

Asyncio-safe without locks: no method awaits between reading and writing its dicts, so each call runs to
completion on the event loop before another can observe the state. Records are frozen, so they are shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TypeVar

from solver.domain.commitments import Budget, Commitment, admit, is_live, needed
from solver.domain.intent import Intent
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.primitives import address
from solver.domain.records import (
    AuctionRecord,
    BidRecord,
    FillFilter,
    FillRecord,
    FillSummary,
    SettlementRecord,
    StatusChange,
    StoredIntent,
    fill_order,
    summarize,
)
from solver.keeper.memory import MemoryJobQueue
from solver.ports import Conflict, StaleVersion, UnknownRecord

from .quotes import MemoryQuoteStore


class MemoryIntentStore:
    def __init__(self) -> None:
        self._by_id: dict[bytes, StoredIntent] = {}
        self._by_nonce: dict[tuple[str, int], bytes] = {}
        self._by_owner: dict[str, list[bytes]] = {}

    async def add(self, record: IntentRecord, budget: Budget | None = None) -> StoredIntent:
        if (existing := self._by_id.get(record.intent_id)) is not None:
            return existing
        key = (record.intent.owner, record.intent.nonce)
        if key in self._by_nonce:
            raise Conflict(f"nonce {key[1]} of {key[0]} is already used by intent 0x{self._by_nonce[key].hex()}")
        if budget is not None:
            admit(record.intent, self._commitment(record.intent, budget.now), budget)
        stored = self._by_id[record.intent_id] = StoredIntent(record, 1)
        self._by_nonce[key] = record.intent_id
        self._by_owner.setdefault(record.intent.owner, []).append(record.intent_id)
        return stored

    def _commitment(self, intent: Intent, now: int) -> Commitment:
        live = [r for r in (self._by_id[i].record for i in self._by_owner.get(intent.owner, ())) if is_live(r, now)]
        selling = [r for r in live if r.intent.sell_token == intent.sell_token]
        return Commitment(len(live), len(selling), sum(needed(r.intent, r.filled) for r in selling))

    async def get(self, intent_id: bytes) -> StoredIntent | None:
        return self._by_id.get(intent_id)

    async def by_owner(self, owner: str) -> list[StoredIntent]:
        return _oldest_first(self._by_id[i] for i in self._by_owner.get(address(owner), ()))

    async def by_status(self, status: IntentStatus) -> list[StoredIntent]:
        return _oldest_first(s for s in self._by_id.values() if s.record.status is status)

    async def set_status(self, intent_id: bytes, status: IntentStatus, version: int) -> StoredIntent:
        return self._replace(self._current(intent_id, version).with_status(status))

    async def set_statuses(self, changes: Sequence[StatusChange]) -> list[StoredIntent | None]:
        work: dict[bytes, StoredIntent] = {}  # every change is checked before any is written
        new: list[StoredIntent | None] = []
        for change in changes:
            stored = work.get(change.intent_id) or self._by_id.get(change.intent_id)
            moved = None if stored is None or stored.version != change.version else stored.with_status(change.status)
            if moved is not None:
                work[change.intent_id] = moved
            new.append(moved)
        self._by_id.update(work)
        return new

    async def record_fill(self, intent_id: bytes, executed: int, version: int) -> StoredIntent:
        return self._replace(self._current(intent_id, version).with_fill(executed))

    def _current(self, intent_id: bytes, version: int) -> StoredIntent:
        stored = self._by_id.get(intent_id)
        if stored is None:
            raise UnknownRecord(f"no intent 0x{intent_id.hex()}")
        if stored.version != version:
            raise StaleVersion(f"intent 0x{intent_id.hex()} is at version {stored.version}, not {version}")
        return stored

    def _replace(self, stored: StoredIntent) -> StoredIntent:
        self._by_id[stored.record.intent_id] = stored
        return stored


def _oldest_first(stored: Iterable[StoredIntent]) -> list[StoredIntent]:
    return sorted(stored, key=lambda s: (s.record.accepted_at, s.record.intent_id))


class MemoryAuctionLog:
    def __init__(self) -> None:
        self._auctions: dict[int, AuctionRecord] = {}
        self._bids: dict[tuple[int, str], BidRecord] = {}
        self._settlements: dict[bytes, SettlementRecord] = {}

    async def record_auction(self, auction: AuctionRecord) -> None:
        _put_once(self._auctions, auction.auction_id, auction)

    async def record_bid(self, bid: BidRecord) -> None:
        self._require_auction(bid.auction_id)
        _put_once(self._bids, (bid.auction_id, bid.solver), bid)

    async def record_bids(self, bids: Sequence[BidRecord]) -> None:
        staged: dict[tuple[int, str], BidRecord] = {}  # every check before any write
        for bid in bids:
            self._require_auction(bid.auction_id)
            key = (bid.auction_id, bid.solver)
            current = staged.get(key, self._bids.get(key))
            if current is not None and current != bid:
                raise Conflict(f"a different record is already stored under {key!r}")
            staged[key] = bid
        self._bids.update(staged)

    async def record_settlement(self, settlement: SettlementRecord) -> None:
        self._require_auction(settlement.auction_id)
        _put_once(self._settlements, settlement.tx_hash, settlement)

    async def auction(self, auction_id: int) -> AuctionRecord | None:
        return self._auctions.get(auction_id)

    async def bids(self, auction_id: int) -> list[BidRecord]:
        bids = [b for b in self._bids.values() if b.auction_id == auction_id]
        return sorted(bids, key=lambda b: (b.score is None, -(b.score or 0), b.solver.lower()))

    async def settlements(self, auction_id: int) -> list[SettlementRecord]:
        found = [s for s in self._settlements.values() if s.auction_id == auction_id]
        return sorted(found, key=lambda s: (s.block_number, s.tx_hash))

    def _require_auction(self, auction_id: int) -> None:
        if auction_id not in self._auctions:
            raise UnknownRecord(f"no auction {auction_id}")


class MemoryFillLog:
    def __init__(self) -> None:
        self._fills: dict[tuple[bytes, bytes], FillRecord] = {}

    async def add(self, fill: FillRecord) -> None:
        _put_once(self._fills, (fill.tx_hash, fill.intent_id), fill)

    async def fills(self, query: FillFilter) -> list[FillRecord]:
        return sorted((f for f in self._fills.values() if query.matches(f)), key=fill_order)

    async def summary(self, query: FillFilter) -> FillSummary:
        return summarize(await self.fills(query))


class MemoryQuoteBook:
    def __init__(self) -> None:
        self._prices: dict[bytes, Fraction] = {}

    async def record(self, intent_id: bytes, price: Fraction) -> None:
        self._prices[intent_id] = price

    async def quoted_price(self, intent_id: bytes) -> Fraction | None:
        return self._prices.get(intent_id)


K = TypeVar("K")
V = TypeVar("V")


def _put_once(table: dict[K, V], key: K, value: V) -> None:
    """Insert `value` under `key`; the same value again is a no-op, a different one a Conflict."""
    existing = table.setdefault(key, value)
    if existing != value:
        raise Conflict(f"a different record is already stored under {key!r}")


@dataclass(frozen=True, slots=True)
class MemoryStorage:
    intents: MemoryIntentStore = field(default_factory=MemoryIntentStore)
    auctions: MemoryAuctionLog = field(default_factory=MemoryAuctionLog)
    fills: MemoryFillLog = field(default_factory=MemoryFillLog)
    jobs: MemoryJobQueue = field(default_factory=MemoryJobQueue)
    quotes: MemoryQuoteStore = field(default_factory=MemoryQuoteStore)
    quote_book: MemoryQuoteBook = field(default_factory=MemoryQuoteBook)

    async def close(self) -> None:
        """Nothing to release."""
