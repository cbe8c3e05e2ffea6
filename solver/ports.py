"""Ports: what the services need from the outside world, as small async Protocols, and the errors they raise.

Every port has an in-memory twin (`solver.adapters.storage.memory`) and one contract test runs the same
scenarios against the twin and each real adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Protocol

from solver.domain.auction import Solution
from solver.domain.commitments import Budget
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.records import (
    AuctionRecord,
    BidRecord,
    FillFilter,
    FillRecord,
    FillSummary,
    SettlementRecord,
    StatusChange,
    StoredIntent,
)


class StorageError(Exception):
    """Base of the errors a store raises (domain errors such as InvalidTransition pass through as they are)."""


class Conflict(StorageError):
    """A write that contradicts what is stored: an owner's nonce reused by another intent, or a different
    record under an existing key."""


class UnknownRecord(StorageError):
    """The write names an intent or auction the store does not hold."""


class StaleVersion(StorageError):
    """The write was based on a version that is no longer current: read again and retry."""


class StorageUnavailable(StorageError):
    """The backing database could not be reached or timed out."""


# Outages of the other infrastructure the services read through. Adapters translate their libraries' errors
# into these where they enter (so that the API's one error table answers each with a 503 of its own code).


class ChainUnavailable(Exception):
    """The chain node could not answer a read the venue needs: unreachable, timed out, or answered an error
    or something unreadable (a revert a caller interprets, such as an EIP-1271 "no", is not an outage)."""


class StateUnavailable(Exception):
    """The shared venue state (Redis: the open intent pool, bid book, lease, rate limits) could not be
    reached or timed out."""


class IntentStore(Protocol):
    """Accepted intents with their lifecycle status and fill progress. Every write is durable on return."""

    async def add(self, record: IntentRecord, budget: Budget | None = None) -> StoredIntent:
        """Store `record` (version 1) and return it wrapped as given (`result.record is record`). The same
        intent id again returns what is stored (another object), whatever the budget; another intent with the
        same owner and nonce raises Conflict.

        With a `budget`, a new intent is stored only if `commitments.admit` passes on the owner's live
        intents as stored (the Commitment), computed and acted on atomically with the insert, so that two
        intents of one owner, from this process or another sharing the store, are never admitted on the
        same figures; otherwise admit's Rejected is raised and nothing is stored."""
        ...

    async def get(self, intent_id: bytes) -> StoredIntent | None: ...

    async def by_owner(self, owner: str) -> list[StoredIntent]:
        """The owner's intents, oldest first."""
        ...

    async def by_status(self, status: IntentStatus) -> list[StoredIntent]:
        """Intents in `status`, oldest first."""
        ...

    async def set_status(self, intent_id: bytes, status: IntentStatus, version: int) -> StoredIntent:
        """Move the intent to `status` if the lifecycle allows it (else InvalidTransition) and `version`
        is current (else StaleVersion)."""
        ...

    async def set_statuses(self, changes: Sequence[StatusChange]) -> list[StoredIntent | None]:
        """Apply many status changes in one transaction (a round moves hundreds of intents at once). A change
        whose version is no longer current, or whose intent is unknown, is skipped and answered None; a
        transition the lifecycle forbids raises InvalidTransition and writes nothing."""
        ...

    async def record_fill(self, intent_id: bytes, executed: int, version: int) -> StoredIntent:
        """Add `executed` units of the exact side to the intent's fill progress (Overfill past the signed
        amount; StaleVersion if `version` is not current)."""
        ...


class AuctionLog(Protocol):
    """Append-only record of auctions, bids (scores, winners, discard reasons) and settlements.
    Writing the same record twice is a no-op; a different record under the same key raises Conflict."""

    async def record_auction(self, auction: AuctionRecord) -> None: ...

    async def record_bid(self, bid: BidRecord) -> None:
        """One bid per solver per auction; UnknownRecord if the auction was never recorded."""
        ...

    async def record_bids(self, bids: Sequence[BidRecord]) -> None:
        """`record_bid` for each, in one transaction: all are written or (on an error) none."""
        ...

    async def record_settlement(self, settlement: SettlementRecord) -> None:
        """Keyed by transaction hash; UnknownRecord if the auction was never recorded."""
        ...

    async def auction(self, auction_id: int) -> AuctionRecord | None: ...

    async def bids(self, auction_id: int) -> list[BidRecord]:
        """The auction's bids, best computed score first (unscored last), then by solver."""
        ...

    async def settlements(self, auction_id: int) -> list[SettlementRecord]:
        """The auction's settle transactions in block order."""
        ...


class FillLog(Protocol):
    """Append-only record of fills, keyed by (transaction, intent); the same fill twice is a no-op."""

    async def add(self, fill: FillRecord) -> None: ...

    async def fills(self, query: FillFilter) -> list[FillRecord]:
        """Fills matching `query`, in `records.fill_order`."""
        ...

    async def summary(self, query: FillFilter) -> FillSummary:
        """`records.summarize` over the fills matching `query`."""
        ...


class QuoteBook(Protocol):
    """The price each intent's owner was quoted before signing: what fill slippage is measured against."""

    async def record(self, intent_id: bytes, price: Fraction) -> None:
        """Remember the quoted price (buy-token units per sell-token unit); a later quote replaces it."""
        ...

    async def quoted_price(self, intent_id: bytes) -> Fraction | None:
        """The quoted price of the intent; None if it was never quoted."""
        ...


# Shared venue state: in-process by default, Redis when several API processes serve one venue.


class OpenIntentPool(Protocol):
    """The intents open for the next auction, shared by every venue process. An index over the IntentStore,
    which stays the record: each entry is the StoredIntent (with its version) as of its last change, so a
    stale entry is caught by the store's compare-and-set and repaired, never acted on."""

    async def put(self, intents: Sequence[StoredIntent]) -> None:
        """Add or replace entries (an entry only moves forward: an older version never replaces a newer)."""
        ...

    async def discard(self, intents: Sequence[StoredIntent]) -> None:
        """Remove entries that left OPEN at the given versions (a later put of an older version is ignored)."""
        ...

    async def all(self) -> list[StoredIntent]:
        """Every entry, oldest accepted first."""
        ...


class BidBook(Protocol):
    """Round state: the auctions taking bids and until when, and the bids taken. Any venue process can take
    a bid for an auction another process opened."""

    async def open(self, auction_id: int, deadline: float) -> None:
        """Take bids for `auction_id` until `deadline` (unix seconds)."""
        ...

    async def submit(self, solution: Solution, now: float) -> str:
        """Take the bid and return its id; BidRefused (unknown_auction, late, too_many_bids) otherwise."""
        ...

    async def bidders(self, auction_id: int) -> set[str]:
        """The solvers (checksummed) that have bid on `auction_id` so far."""
        ...

    async def close(self, auction_id: int) -> list[tuple[str, Solution]]:
        """Stop taking bids for `auction_id`; the bids taken, in arrival order."""
        ...


class Lease(Protocol):
    """Leadership among venue processes: only the holder runs auction rounds."""

    async def hold(self) -> bool:
        """Take the lease or extend it if this process holds it; False if another process holds it."""
        ...

    async def release(self) -> None: ...
