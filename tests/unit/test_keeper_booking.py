"""A keeper killed after its settle transaction is mined but before the outcome is booked books it after a
restart: the job stays in flight until the books (fills, intent statuses) have it, and the restarted keeper
finds the same receipt on the chain instead of leaving the intents WON forever."""

from __future__ import annotations

import pytest
from eth_account import Account as EthAccount

from solver.domain.settlement_job import JobStatus, SettlementJob
from solver.keeper.memory import MemoryJobQueue
from solver.keeper.ports import Receipt
from solver.keeper.service import Keeper, KeeperConfig

ACCOUNT = EthAccount.from_key("0x" + "11" * 32)
CONFIG = KeeperConfig(chain_id=31337, settlement="0x" + "22" * 20, poll_s=0.001)


class MinesAtOnce:
    """A chain that mines every transaction as it is broadcast (successfully)."""

    def __init__(self) -> None:
        self.broadcast: list[bytes] = []

    async def block_number(self) -> int:
        return 10

    async def base_fee(self) -> int:
        return 10**9

    async def mined_nonce(self, account: str) -> int:
        return len(set(self.broadcast))

    async def simulate(self, sender: str, calldata: bytes) -> int:
        return 100_000

    async def send_raw(self, raw: bytes) -> None:
        self.broadcast.append(raw)

    async def receipt(self, tx_hash: str) -> Receipt | None:
        return Receipt(tx_hash, 11, 1, 90_000, 10**9, ()) if self.broadcast else None


class Killed(Exception):
    """The process died here."""


async def test_a_keeper_killed_before_booking_a_mined_settlement_books_it_after_restart() -> None:
    queue, chain = MemoryJobQueue(), MinesAtOnce()
    await queue.add(SettlementJob(7, b"settle", (b"\x01" * 32,), deadline_block=100))

    async def dies(job: SettlementJob, receipt: Receipt | None) -> None:
        raise Killed

    with pytest.raises(Killed):
        await Keeper(queue, chain, ACCOUNT, CONFIG, dies).run_once()
    stored = await queue.get(7)
    assert stored is not None and stored.status is JobStatus.SENDING and len(stored.sent) == 1  # still in flight

    booked: list[tuple[SettlementJob, Receipt | None]] = []

    async def books(job: SettlementJob, receipt: Receipt | None) -> None:
        booked.append((job, receipt))

    await Keeper(queue, chain, ACCOUNT, CONFIG, books).recover()
    ((job, receipt),) = booked
    assert job.status is JobStatus.SETTLED and receipt is not None and receipt.tx_hash == stored.sent[0].tx_hash
    finished = await queue.get(7)
    assert finished is not None and finished.status is JobStatus.SETTLED and finished.sent == stored.sent
    assert chain.broadcast == [stored.sent[0].raw] * 2  # re-broadcast after the restart, never signed anew


async def test_a_job_still_unsent_past_its_deadline_block_is_dropped_and_its_intents_released() -> None:
    queue, chain = MemoryJobQueue(), MinesAtOnce()  # the head is block 10
    await queue.add(SettlementJob(8, b"settle", (b"\x01" * 32,), deadline_block=9))
    await queue.add(SettlementJob(9, b"settle", (b"\x02" * 32,), deadline_block=10))
    booked: list[tuple[SettlementJob, Receipt | None]] = []

    async def books(job: SettlementJob, receipt: Receipt | None) -> None:
        booked.append((job, receipt))

    keeper = Keeper(queue, chain, ACCOUNT, CONFIG, books)
    assert await keeper.run_once() and await keeper.run_once()
    (stale, _), (fresh, _) = booked
    assert (stale.auction_id, stale.status, stale.sent) == (8, JobStatus.DROPPED, ())
    assert (fresh.auction_id, fresh.status) == (9, JobStatus.SETTLED)
    assert len(chain.broadcast) == 1  # only the job within its deadline was signed and sent
