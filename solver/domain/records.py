"""What the venue keeps: versioned intents, fills with their accounting, auctions, bids and settlements.

Amounts are token base units (exact integers); prices are exact `Fraction`s, buy-token units per sell-token
unit; "numeraire" values are in the auction's numeraire unit (see `auction`). Times are unix seconds.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import NamedTuple

from .errors import DomainError
from .fills import Attribution
from .intent import IntentKind
from .lifecycle import IntentRecord, IntentStatus, transition
from .primitives import address, uint256


class Overfill(DomainError):
    """Fill progress beyond what the intent signed (or a non-positive fill)."""


def _bytes32(value: bytes, name: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != 32:
        raise DomainError(f"{name} must be 32 bytes: {value!r}")
    return value


def _ratio(value: Fraction, name: str) -> Fraction:
    if not isinstance(value, Fraction) or value <= 0:
        raise DomainError(f"{name} must be a positive Fraction: {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class StoredIntent:
    """An intent record as a store holds it; `version` is the optimistic-concurrency token."""

    record: IntentRecord
    version: int  # 1 on insert, +1 on every write; a write naming an older version is refused

    def with_status(self, status: IntentStatus) -> StoredIntent:
        """The next version with `status`; raises InvalidTransition if the lifecycle forbids it."""
        new = transition(self.record.status, status)
        return StoredIntent(replace(self.record, status=new), self.version + 1)

    def with_fill(self, executed: int) -> StoredIntent:
        """The next version with `executed` more units (of the exact side) filled."""
        if executed <= 0 or executed > self.record.remaining:
            raise Overfill(f"cannot fill {executed} of an intent with {self.record.remaining} remaining")
        return StoredIntent(replace(self.record, filled=self.record.filled + executed), self.version + 1)


class StatusChange(NamedTuple):
    """Move `intent_id` to `status` if the stored record is still at `version` (see IntentStore.set_statuses)."""

    intent_id: bytes
    status: IntentStatus
    version: int


@dataclass(frozen=True, slots=True)
class FillRecord:
    """One intent's execution in one settlement, with the figures accounting reports on."""

    intent_id: bytes
    auction_id: int
    solver: str  # the winning solver whose solution carried the fill
    tx_hash: bytes
    block_number: int
    owner: str
    sell_token: str
    buy_token: str
    kind: IntentKind  # which side `surplus` is measured in
    executed_sell: int  # sell units pulled from the owner
    executed_buy: int  # buy units paid to the receiver
    clearing_price: Fraction  # buy per sell: the batch's uniform prices, p_sell / p_buy
    limit_price: Fraction  # buy per sell: signed buy_amount / sell_amount
    reference_price: Fraction  # buy per sell: the auction's reference prices, ref_sell / ref_buy
    surplus: int  # beyond the limit: buy units for SELL intents, sell units for BUY intents
    surplus_value: int  # `surplus` in numeraire units, at the auction's reference price
    volume_value: int  # `executed_sell` in numeraire units, at the auction's reference price
    slippage_bps: Fraction | None  # (clearing - quoted) / quoted * 10_000, signed; None if never quoted
    attribution: Attribution  # where the executed_buy units came from: CoW, inventory, pools
    gas_used: int  # this fill's share of the settlement's gas, in gas units
    gas_cost: int  # the same share in wei
    settled_at: float  # the settlement block's timestamp
    # The account that sent the settle transaction (the keeper; the chain's Settled event names it), apart from
    # the winning `solver`. None only for fills recorded before the venue kept it.
    submitter: str | None = None

    def __post_init__(self) -> None:
        _bytes32(self.intent_id, "intent_id")
        _bytes32(self.tx_hash, "tx_hash")
        for name in ("solver", "owner", "sell_token", "buy_token"):
            object.__setattr__(self, name, address(getattr(self, name)))
        if self.submitter is not None:
            object.__setattr__(self, "submitter", address(self.submitter))
        for name in _UINTS:
            uint256(getattr(self, name), name)
        for name in ("clearing_price", "limit_price", "reference_price"):
            _ratio(getattr(self, name), name)
        object.__setattr__(self, "kind", IntentKind(self.kind))
        object.__setattr__(self, "attribution", _checked(self.attribution, self.executed_buy))
        if self.slippage_bps is not None and not isinstance(self.slippage_bps, Fraction):
            raise DomainError(f"slippage_bps must be a Fraction or None: {self.slippage_bps!r}")


_UINTS = (
    "auction_id", "block_number", "executed_sell", "executed_buy", "surplus", "surplus_value",
    "volume_value", "gas_used", "gas_cost",
)  # fmt: skip


def _checked(attribution: Attribution, executed_buy: int) -> Attribution:
    """`attribution` with checksummed pool addresses; it must account for every bought unit."""
    amm = {address(pool): uint256(units, "amm volume") for pool, units in attribution.amm.items()}
    checked = Attribution(uint256(attribution.cow, "cow"), uint256(attribution.inventory, "inventory"), amm)
    if checked.total != executed_buy:
        raise DomainError(f"attribution covers {checked.total} of {executed_buy} bought units")
    return checked


@dataclass(frozen=True, slots=True)
class FillFilter:
    """Which fills a query wants; every field left None matches all. `until` is exclusive."""

    intent_id: bytes | None = None
    owner: str | None = None
    auction_id: int | None = None
    since: float | None = None
    until: float | None = None

    def __post_init__(self) -> None:
        if self.owner is not None:
            object.__setattr__(self, "owner", address(self.owner))

    def matches(self, fill: FillRecord) -> bool:
        return (
            self.intent_id in (None, fill.intent_id)
            and self.owner in (None, fill.owner)
            and self.auction_id in (None, fill.auction_id)
            and (self.since is None or fill.settled_at >= self.since)
            and (self.until is None or fill.settled_at < self.until)
        )


def fill_order(fill: FillRecord) -> tuple[float, bytes, bytes]:
    """The order every store lists fills in: settlement time, then transaction, then intent."""
    return (fill.settled_at, fill.tx_hash, fill.intent_id)


@dataclass(frozen=True, slots=True)
class FillSummary:
    """Aggregate figures over a set of fills; values in numeraire units."""

    fills: int
    volume: int  # sum of volume_value
    internalization: Fraction  # volume-weighted share matched with users or inventory: (cow + inventory) / filled
    surplus: int  # sum of surplus_value
    average_surplus: Fraction  # surplus / fills
    average_slippage_bps: Fraction | None  # mean over the fills that had a quote; None if none had


def summarize(fills: Iterable[FillRecord]) -> FillSummary:
    """The summary of `fills`. Internalization weighs each fill's (cow + inventory) / executed_buy by its
    volume_value, so fills in different buy tokens add up; with one buy token it is the plain ratio."""
    fills = list(fills)
    volume = sum(f.volume_value for f in fills)
    internal = sum((Fraction(f.volume_value * f.attribution.internalized, f.executed_buy) for f in fills), Fraction(0))
    surplus = sum(f.surplus_value for f in fills)
    slippages = [f.slippage_bps for f in fills if f.slippage_bps is not None]
    return FillSummary(
        fills=len(fills),
        volume=volume,
        internalization=internal / volume if volume else Fraction(0),
        surplus=surplus,
        average_surplus=Fraction(surplus, len(fills)) if fills else Fraction(0),
        average_slippage_bps=sum(slippages, Fraction(0)) / len(slippages) if slippages else None,
    )


@dataclass(frozen=True, slots=True)
class AuctionRecord:
    """One auction round as it was offered to solvers."""

    auction_id: int
    block_number: int  # the chain state the auction is based on
    deadline: float  # bids after it are discarded
    intent_ids: tuple[bytes, ...]  # the orders offered, in auction order
    reference_prices: Mapping[str, int] = field(default_factory=dict)  # token -> numeraire units per base unit

    def __post_init__(self) -> None:
        uint256(self.auction_id, "auction_id")
        uint256(self.block_number, "block_number")
        object.__setattr__(self, "intent_ids", tuple(_bytes32(i, "intent id") for i in self.intent_ids))
        prices = {address(t): uint256(p, "reference price") for t, p in self.reference_prices.items()}
        object.__setattr__(self, "reference_prices", prices)


class BidStatus(enum.Enum):
    WON = "won"  # part of the winning set: the keeper settles it
    LOST = "lost"  # valid, scored, outbid
    DISCARDED = "discarded"  # refused before ranking (late, invalid, score claim not met)


@dataclass(frozen=True, slots=True)
class BidRecord:
    """A solver's bid in one auction and what the venue made of it."""

    auction_id: int
    solver: str
    status: BidStatus
    score: int | None  # numeraire units, as the venue computed it; None if discarded before scoring
    claimed_score: int | None = None  # what the solver said its solution scores, if it said
    reason_code: str | None = None  # machine-readable, e.g. "late", "limit_violated"; set iff discarded
    reason: str | None = None  # human-readable detail

    def __post_init__(self) -> None:
        uint256(self.auction_id, "auction_id")
        object.__setattr__(self, "solver", address(self.solver))
        object.__setattr__(self, "status", BidStatus(self.status))
        for name in ("score", "claimed_score"):
            if getattr(self, name) is not None:
                uint256(getattr(self, name), name)
        if (self.status is BidStatus.DISCARDED) != (self.reason_code is not None):
            raise DomainError("a bid has a reason code exactly when it was discarded")
        if self.status is not BidStatus.DISCARDED and self.score is None:
            raise DomainError("a ranked bid has a score")


class SettlementOutcome(enum.Enum):
    SUCCESS = "success"  # mined, status 1: the fills happened
    REVERTED = "reverted"  # mined, status 0: gas paid, nothing filled


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    """A mined settle transaction of an auction's winning bid."""

    tx_hash: bytes
    auction_id: int
    solver: str  # the winning solver whose solution was settled
    block_number: int
    gas_used: int  # gas units, from the receipt
    effective_gas_price: int  # wei per gas unit, from the receipt
    outcome: SettlementOutcome
    # The account that sent the transaction (the keeper, which the chain's Settled event names), apart from the
    # winning `solver`. None only for settlements recorded before the venue kept it.
    submitter: str | None = None

    def __post_init__(self) -> None:
        _bytes32(self.tx_hash, "tx_hash")
        object.__setattr__(self, "solver", address(self.solver))
        if self.submitter is not None:
            object.__setattr__(self, "submitter", address(self.submitter))
        object.__setattr__(self, "outcome", SettlementOutcome(self.outcome))
        for name in ("auction_id", "block_number", "gas_used", "effective_gas_price"):
            uint256(getattr(self, name), name)

    @property
    def gas_cost(self) -> int:
        """Wei the settlement paid for gas."""
        return self.gas_used * self.effective_gas_price
