"""What the keeper needs: a durable job queue it shares with other keepers, and a chain to send to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from solver.domain.settlement_job import SettlementJob


class JobQueue(Protocol):
    async def add(self, job: SettlementJob) -> None:
        """Enqueue a won solution; the same auction id twice is a no-op."""
        ...

    async def claim(self, keeper: str) -> SettlementJob | None:
        """Atomically move the oldest PENDING job to SENDING for `keeper` (no nonce yet); None if none."""
        ...

    async def save(self, job: SettlementJob) -> SettlementJob:
        """Store `job` if the stored version is job.version - 1 (else raise StaleVersion); durable on return.
        Sent transactions are append-only: a save that drops or changes a stored one raises Conflict."""
        ...

    async def in_flight(self, keeper: str) -> list[SettlementJob]:
        """`keeper`'s SENDING jobs: what a restarted keeper must finish before claiming new work."""
        ...

    async def unfinished(self) -> list[SettlementJob]:
        """Every PENDING or SENDING job, oldest auction first: the intents a restarted venue must not
        offer again, since a keeper is about to settle them."""
        ...

    async def get(self, auction_id: int) -> SettlementJob | None:
        """The stored job (for operators and tests; the keeper itself never needs it)."""
        ...


@dataclass(frozen=True, slots=True)
class Receipt:
    tx_hash: str
    block_number: int
    status: int  # 1 success, 0 reverted
    gas_used: int
    effective_gas_price: int  # wei per gas
    logs: tuple[dict[str, object], ...]


class SimulationFailed(Exception):
    """The settle call would revert now; `reason` is the decoded custom error when known, `error` its name
    (e.g. "BalanceDecreased"), None when the revert data matched no known error."""

    def __init__(self, reason: str, error: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


class KeeperChain(Protocol):
    async def block_number(self) -> int: ...

    async def base_fee(self) -> int: ...

    async def mined_nonce(self, account: str) -> int:
        """How many transactions of `account` are mined (the next nonce the chain expects)."""
        ...

    async def simulate(self, sender: str, calldata: bytes) -> int:
        """Gas the settle call needs now; raises SimulationFailed."""
        ...

    async def send_raw(self, raw: bytes) -> None:
        """Broadcast; a transaction the node already knows is not an error."""
        ...

    async def receipt(self, tx_hash: str) -> Receipt | None: ...
