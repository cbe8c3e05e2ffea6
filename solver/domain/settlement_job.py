"""A won solution on its way on-chain: the keeper's unit of work and its states.

Exactly-once settlement rests on one rule: a job gets ONE transaction nonce of ONE keeper account, chosen
before anything is sent and stored durably with every signed transaction. Replacements (fee bumps) reuse
that nonce, and a restarted keeper re-broadcasts the stored transactions instead of signing anew, so at
most one settle transaction of a job can ever be mined.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from .errors import DomainError


class JobStatus(enum.Enum):
    PENDING = "pending"  # waiting for a keeper
    SENDING = "sending"  # claimed: nonce reserved, transactions may be in flight
    SETTLED = "settled"  # mined with status 1
    REVERTED = "reverted"  # mined with status 0, or simulation failed before sending
    DROPPED = "dropped"  # the nonce was used by another transaction of ours, or the deadline passed unsent


@dataclass(frozen=True, slots=True)
class SentTransaction:
    tx_hash: str
    raw: bytes  # the signed transaction, re-broadcast as is after a restart
    gas_limit: int
    max_fee_per_gas: int  # wei
    max_priority_fee_per_gas: int  # wei


@dataclass(frozen=True, slots=True)
class SettlementJob:
    auction_id: int
    calldata: bytes  # the settle call
    intent_ids: tuple[bytes, ...]
    deadline_block: int  # not mined by then: give the intents back to the auction
    status: JobStatus = JobStatus.PENDING
    keeper: str | None = None
    nonce: int | None = None
    sent: tuple[SentTransaction, ...] = field(default=())
    reason: str | None = None
    version: int = 1  # optimistic concurrency: every stored change increments it
    # The winning solver whose solution the job settles. The keeper sends the transaction, so the chain's
    # Settled event names the keeper; the records name this solver. None only for jobs queued before it was kept.
    solver: str | None = None

    def claimed(self, keeper: str) -> SettlementJob:
        if self.status is not JobStatus.PENDING:
            raise DomainError(f"job {self.auction_id} is {self.status.value}, not pending")
        return replace(self, status=JobStatus.SENDING, keeper=keeper, version=self.version + 1)

    def with_nonce(self, nonce: int) -> SettlementJob:
        """Reserve the one nonce this job's transactions will ever use."""
        if self.status is not JobStatus.SENDING or self.nonce is not None:
            raise DomainError(f"job {self.auction_id} cannot take a nonce now")
        return replace(self, nonce=nonce, version=self.version + 1)

    def with_sent(self, tx: SentTransaction) -> SettlementJob:
        if self.status is not JobStatus.SENDING:
            raise DomainError(f"job {self.auction_id} is not being sent")
        return replace(self, sent=(*self.sent, tx), version=self.version + 1)

    def finished(self, status: JobStatus, reason: str | None = None) -> SettlementJob:
        if status in (JobStatus.PENDING, JobStatus.SENDING):
            raise DomainError("a job finishes as settled, reverted or dropped")
        return replace(self, status=status, reason=reason, version=self.version + 1)


def bumped(previous: SentTransaction, base_fee: int, min_bump_bps: int = 1_250) -> tuple[int, int]:
    """(max fee, tip) for a replacement: at least +12.5 % on both (nodes refuse smaller bumps) and enough
    for the current base fee."""
    tip = previous.max_priority_fee_per_gas * (10_000 + min_bump_bps) // 10_000 + 1
    max_fee = max(previous.max_fee_per_gas * (10_000 + min_bump_bps) // 10_000 + 1, 2 * base_fee + tip)
    return max_fee, tip
