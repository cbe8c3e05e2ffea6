"""An accepted intent's life in the venue: its status and the transitions between them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .batch import SigningScheme
from .errors import DomainError
from .intent import Intent


class IntentStatus(enum.Enum):
    OPEN = "open"  # accepted, waiting for an auction
    IN_AUCTION = "in_auction"  # offered to solvers in the current round
    WON = "won"  # part of a winning solution, waiting for the keeper
    SETTLING = "settling"  # the keeper sent the settle transaction
    SETTLED = "settled"  # fully executed on-chain (partially fillable: nothing left)
    EXPIRED = "expired"  # valid_to passed before it was fully executed
    CANCELLED = "cancelled"  # signed off-chain cancel, or nonce invalidated on-chain
    FAILED = "failed"  # can never settle (e.g. balance or approval withdrawn for good)


TERMINAL = frozenset({IntentStatus.SETTLED, IntentStatus.EXPIRED, IntentStatus.CANCELLED, IntentStatus.FAILED})
LIVE = frozenset(IntentStatus) - TERMINAL  # may still be auctioned or settled


class ReportedStatus(enum.Enum):
    """An intent's status as the API reports it: the stored status, except that an OPEN intent with part
    of it filled reads `partially_filled`. A view, not a stored status: the store, the shared pool and the
    auction rounds keep it OPEN (they query by status, and it is auctioned like any open intent, for its
    remainder); only reads tell the two apart, from `filled`."""

    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"  # open again for its remainder after one or more fills
    IN_AUCTION = "in_auction"
    WON = "won"
    SETTLING = "settling"
    SETTLED = "settled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"


# Which status may follow which. A reverted or lost settlement sends the intent back to OPEN.
TRANSITIONS: dict[IntentStatus, frozenset[IntentStatus]] = {
    IntentStatus.OPEN: frozenset({IntentStatus.IN_AUCTION, *TERMINAL} - {IntentStatus.SETTLED}),
    IntentStatus.IN_AUCTION: frozenset(
        {IntentStatus.OPEN, IntentStatus.WON, IntentStatus.EXPIRED, IntentStatus.CANCELLED}
    ),
    IntentStatus.WON: frozenset({IntentStatus.SETTLING, IntentStatus.OPEN, IntentStatus.EXPIRED}),
    IntentStatus.SETTLING: frozenset(
        {IntentStatus.SETTLED, IntentStatus.OPEN, IntentStatus.EXPIRED, IntentStatus.FAILED}
    ),
    **{status: frozenset() for status in TERMINAL},
}


class InvalidTransition(DomainError):
    """A status change the lifecycle does not allow (e.g. settling a cancelled intent)."""


def transition(current: IntentStatus, new: IntentStatus) -> IntentStatus:
    """`new` if the lifecycle allows current -> new; raises InvalidTransition otherwise."""
    if new not in TRANSITIONS[current]:
        raise InvalidTransition(f"an intent cannot go from {current.value} to {new.value}")
    return new


@dataclass(frozen=True, slots=True)
class IntentRecord:
    """An accepted intent as the venue stores it. `filled` is in units of the intent's exact side."""

    intent_id: bytes  # the EIP-712 digest, as the contract emits it
    intent: Intent
    signature: bytes
    scheme: SigningScheme
    status: IntentStatus
    filled: int
    accepted_at: float  # unix seconds (from the injected clock)

    @property
    def remaining(self) -> int:
        return self.intent.full_amount - self.filled

    @property
    def reported_status(self) -> ReportedStatus:
        """The status reads show (see ReportedStatus)."""
        if self.status is IntentStatus.OPEN and self.filled > 0:
            return ReportedStatus.PARTIALLY_FILLED
        return ReportedStatus(self.status.value)
