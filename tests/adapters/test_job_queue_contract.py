"""The keeper's job queue contract: the same scenarios against the in-memory twin, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from solver.adapters.storage import Storage
from solver.domain.primitives import UINT256_MAX
from solver.domain.settlement_job import JobStatus, SentTransaction, SettlementJob
from solver.keeper.ports import JobQueue
from solver.ports import Conflict, StaleVersion
from tests.adapters.conftest import Backend

KEEPER = "0x00000000000000000000000000000000000B0b01"
WINNER = "0x00000000000000000000000000000000005017e2"  # the winning solver the job settles
OTHER_KEEPER = "0x00000000000000000000000000000000000B0b02"


def a_job(auction_id: int = 7, **changes: Any) -> SettlementJob:
    job = SettlementJob(
        auction_id, bytes.fromhex("13d79a0b") + bytes(range(64)), (bytes([1]) * 32, bytes([2]) * 32), 10**6,
        solver=WINNER,  # kept as queued, through every claim and save
    )  # fmt: skip
    return replace(job, **changes)


def a_tx(n: int, fee: int = 30 * 10**9) -> SentTransaction:
    return SentTransaction("0x" + bytes([n]).hex() * 32, bytes([0x02, n]) * 60, 400_000, fee, fee // 10)


async def test_an_added_job_is_read_back_pending_and_adding_it_again_is_a_no_op(storage: Storage) -> None:
    await storage.jobs.add(a_job())
    await storage.jobs.add(a_job(deadline_block=1))  # the same auction id: ignored, first one wins
    assert await storage.jobs.get(7) == a_job()
    assert await storage.jobs.get(8) is None


async def test_claim_takes_the_oldest_pending_job_for_the_keeper(storage: Storage) -> None:
    for auction_id in (9, 3, 5):
        await storage.jobs.add(a_job(auction_id))
    claimed = await storage.jobs.claim(KEEPER)
    assert claimed == a_job(3).claimed(KEEPER)
    assert await storage.jobs.get(3) == claimed
    assert [(await storage.jobs.claim(KEEPER) or a_job(0)).auction_id for _ in range(2)] == [5, 9]
    assert await storage.jobs.claim(KEEPER) is None


async def test_a_job_with_a_uint256_auction_id_sorts_after_small_ones(storage: Storage) -> None:
    await storage.jobs.add(a_job(UINT256_MAX))
    await storage.jobs.add(a_job(2**64))
    await storage.jobs.add(a_job(10))
    claims = [await storage.jobs.claim(KEEPER) for _ in range(3)]
    assert [c.auction_id for c in claims if c] == [10, 2**64, UINT256_MAX]


async def test_concurrent_claimers_each_get_a_different_job_and_every_job_is_claimed_once(
    backend: Backend, storage: Storage
) -> None:
    await asyncio.gather(*(storage.jobs.add(a_job(auction_id)) for auction_id in range(100, 110)))
    # Three claimers, each through its own engine (a keeper process each) where the backend allows it.
    queues: list[JobQueue] = [storage.jobs] * 3
    if backend.durable:
        queues = [(await backend.open()).jobs for _ in range(3)]
    claimed: dict[str, list[int]] = {f"keeper{i}": [] for i in range(3)}

    async def drain(name: str, queue: JobQueue) -> None:
        while (job := await queue.claim(name)) is not None:
            assert job.keeper == name and job.status is JobStatus.SENDING
            claimed[name].append(job.auction_id)
            await asyncio.sleep(0)

    await asyncio.gather(*(drain(name, q) for name, q in zip(claimed, queues, strict=True)))
    every = sorted(a for ids in claimed.values() for a in ids)
    assert every == list(range(100, 110))  # each job exactly once
    for name, ids in claimed.items():
        assert sorted(j.auction_id for j in await storage.jobs.in_flight(name)) == sorted(ids)


async def test_a_save_from_a_stale_version_is_refused_and_changes_nothing(storage: Storage) -> None:
    await storage.jobs.add(a_job())
    claimed = await storage.jobs.claim(KEEPER)
    assert claimed is not None
    with_nonce = await storage.jobs.save(claimed.with_nonce(4))
    with pytest.raises(StaleVersion):
        await storage.jobs.save(claimed.with_nonce(5))  # based on the claim, which is no longer current
    with pytest.raises(StaleVersion):
        await storage.jobs.save(with_nonce)  # the same version again
    with pytest.raises(StaleVersion):
        await storage.jobs.save(a_job(8).claimed(KEEPER))  # never added
    assert await storage.jobs.get(7) == with_nonce


async def test_of_two_concurrent_saves_from_the_same_version_exactly_one_wins(storage: Storage) -> None:
    await storage.jobs.add(a_job())
    claimed = await storage.jobs.claim(KEEPER)
    assert claimed is not None
    results = await asyncio.gather(
        storage.jobs.save(claimed.with_nonce(1)), storage.jobs.save(claimed.with_nonce(2)), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, SettlementJob)]
    assert len(winners) == 1 and [type(r) for r in results if not isinstance(r, SettlementJob)] == [StaleVersion]
    assert await storage.jobs.get(7) == winners[0]


async def test_sent_transactions_are_append_only(storage: Storage) -> None:
    await storage.jobs.add(a_job())
    claimed = await storage.jobs.claim(KEEPER)
    assert claimed is not None
    job = await storage.jobs.save(claimed.with_nonce(0))
    job = await storage.jobs.save(job.with_sent(a_tx(1)))
    with pytest.raises(Conflict):
        await storage.jobs.save(replace(job, sent=(), version=job.version + 1))  # forgetting a signed tx
    with pytest.raises(Conflict):
        await storage.jobs.save(replace(job, sent=(a_tx(2),), version=job.version + 1))  # rewriting one
    assert await storage.jobs.get(7) == job


async def test_in_flight_lists_only_the_keepers_sending_jobs(storage: Storage) -> None:
    for auction_id in range(1, 5):
        await storage.jobs.add(a_job(auction_id))
    first, second, third = [await storage.jobs.claim(k) for k in (KEEPER, OTHER_KEEPER, KEEPER)]
    assert first is not None and second is not None and third is not None
    await storage.jobs.save(first.finished(JobStatus.REVERTED, "simulation: NonceAlreadyUsed"))
    assert await storage.jobs.in_flight(KEEPER) == [third]
    assert await storage.jobs.in_flight(OTHER_KEEPER) == [second]
    assert await storage.jobs.in_flight("0x0000000000000000000000000000000000000000") == []


async def test_unfinished_lists_pending_and_sending_jobs_of_every_keeper(storage: Storage) -> None:
    for auction_id in range(1, 6):
        await storage.jobs.add(a_job(auction_id))
    first, second = [await storage.jobs.claim(k) for k in (KEEPER, OTHER_KEEPER)]
    assert first is not None and second is not None
    await storage.jobs.save(first.finished(JobStatus.SETTLED))
    assert [j.auction_id for j in await storage.jobs.unfinished()] == [2, 3, 4, 5]
    assert (await storage.jobs.unfinished())[0] == second


async def test_a_job_with_several_transactions_and_extreme_fees_round_trips_exactly(storage: Storage) -> None:
    await storage.jobs.add(a_job(UINT256_MAX, intent_ids=()))
    job = await storage.jobs.claim(KEEPER)
    assert job is not None and job.intent_ids == ()
    job = await storage.jobs.save(job.with_nonce(2**64 - 1))
    for n, fee in enumerate((1, 2**128, UINT256_MAX)):
        job = await storage.jobs.save(job.with_sent(replace(a_tx(n, fee), gas_limit=UINT256_MAX - n)))
    done = await storage.jobs.save(job.finished(JobStatus.SETTLED))
    assert (await storage.jobs.get(UINT256_MAX), done.version, len(done.sent)) == (done, 7, 3)
    assert done.sent[2].max_fee_per_gas == UINT256_MAX and done.nonce == 2**64 - 1


async def test_jobs_written_before_a_restart_are_read_by_a_new_engine(backend: Backend) -> None:
    if not backend.durable:
        pytest.skip("the in-memory twin keeps nothing across a restart, by design")
    before = await backend.open()
    await before.jobs.add(a_job(1))
    await before.jobs.add(a_job(2))
    claimed = await before.jobs.claim(KEEPER)
    assert claimed is not None
    sending = await before.jobs.save(claimed.with_nonce(3))
    for tx in (a_tx(1), a_tx(2, UINT256_MAX)):
        sending = await before.jobs.save(sending.with_sent(tx))
    await before.close()

    after = await backend.open()
    assert await after.jobs.in_flight(KEEPER) == [sending]
    assert await after.jobs.get(2) == a_job(2)
    assert await after.jobs.claim(OTHER_KEEPER) == a_job(2).claimed(OTHER_KEEPER)
