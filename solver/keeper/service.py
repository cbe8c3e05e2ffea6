"""The keeper loop: claim a won solution, simulate, sign with a reserved nonce, persist, send, watch.

Write-ahead: every signed transaction is stored in the job before it is broadcast, so a keeper killed at
any point restarts by re-broadcasting and watching what it stored, never by signing a second settlement.
Stuck transactions are replaced at the same nonce with bumped fees; the first receipt of any of them ends
the job. A job not yet sent when the chain is past its deadline block is dropped unsent (its intents go
back to the auctions); once signed and sent, a settlement is followed until it is mined. Several keepers
(different accounts) share one queue: `claim` hands each job to one of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from solver.domain.settlement_job import JobStatus, SentTransaction, SettlementJob, bumped

from .ports import JobQueue, KeeperChain, Receipt, SimulationFailed

Outcome = Callable[[SettlementJob, Receipt | None], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class KeeperConfig:
    chain_id: int
    settlement: str
    tip_wei: int = 10**9
    stuck_after_blocks: int = 3  # no receipt after this many blocks: replace with higher fees
    poll_s: float = 0.05


class Keeper:
    def __init__(
        self, queue: JobQueue, chain: KeeperChain, account: LocalAccount, config: KeeperConfig, on_outcome: Outcome
    ) -> None:
        self._queue, self._chain, self._account, self._config, self._on_outcome = (
            queue, chain, account, config, on_outcome,
        )  # fmt: skip
        self._next_nonce: int | None = None

    @property
    def address(self) -> str:
        return str(self._account.address)

    async def recover(self) -> None:
        """Finish what this keeper had in flight before a restart."""
        for job in await self._queue.in_flight(self.address):
            await self._finish(job)

    async def run_once(self) -> bool:
        """Settle one pending job if there is one; True if a job was handled."""
        job = await self._queue.claim(self.address)
        if job is None:
            return False
        await self._finish(job)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        await self.recover()
        while not stop.is_set():
            if not await self.run_once():
                await asyncio.sleep(self._config.poll_s)

    async def _finish(self, job: SettlementJob) -> None:
        if not job.sent:
            job = await self._first_send(job)
            if job.status is not JobStatus.SENDING:
                return
        else:
            for tx in job.sent:
                await self._chain.send_raw(tx.raw)  # after a restart: re-broadcast what was signed
        await self._watch(job)

    async def _first_send(self, job: SettlementJob) -> SettlementJob:
        head = await self._chain.block_number()
        if head > job.deadline_block:  # a stale solution (the keeper was behind or down): back to the auctions
            done = job.finished(JobStatus.DROPPED, f"not sent by block {job.deadline_block} (head {head})")
            await self._book(done, None)  # nothing was signed: a restart in between just drops it again
            return done
        try:
            gas = await self._chain.simulate(self.address, job.calldata)
        except SimulationFailed as exc:
            done = await self._queue.save(job.finished(JobStatus.REVERTED, f"simulation: {exc.reason}"))
            await self._on_outcome(done, None)
            return done
        if job.nonce is None:
            job = await self._queue.save(job.with_nonce(await self._reserve_nonce()))
        else:  # restarted between reserving the nonce and storing a signed tx: nothing used it, keep it
            self._next_nonce = max(self._next_nonce or 0, job.nonce + 1)
        assert job.nonce is not None
        base_fee = await self._chain.base_fee()
        tip = self._config.tip_wei
        tx = self._sign(job, job.nonce, gas * 3 // 2 + 100_000, 2 * base_fee + tip, tip)
        job = await self._queue.save(job.with_sent(tx))  # write-ahead: stored before it can be mined
        await self._chain.send_raw(tx.raw)
        return job

    async def _watch(self, job: SettlementJob) -> None:
        sent_at = await self._chain.block_number()
        while True:
            for tx in job.sent:
                receipt = await self._chain.receipt(tx.tx_hash)
                if receipt is not None:
                    status = JobStatus.SETTLED if receipt.status == 1 else JobStatus.REVERTED
                    await self._book(job.finished(status, None if receipt.status else "reverted"), receipt)
                    return
            assert job.nonce is not None
            if await self._chain.mined_nonce(self.address) > job.nonce:
                await asyncio.sleep(self._config.poll_s)  # mined at this very moment: read the receipt again
                if any([await self._chain.receipt(tx.tx_hash) for tx in job.sent]):
                    continue
                await self._book(job.finished(JobStatus.DROPPED, "nonce used by another transaction"), None)
                return
            block = await self._chain.block_number()
            if block - sent_at >= self._config.stuck_after_blocks:
                job, sent_at = await self._replace(job), block
            await asyncio.sleep(self._config.poll_s)

    async def _book(self, done: SettlementJob, receipt: Receipt | None) -> None:
        """Book a sent job's outcome, then store it finished. Killed in between, the job is still in flight
        after a restart, whose watch finds the same receipt on the chain and books it again (the books ignore
        a record they already hold); stored first, its intents would stay WON with nothing left to move them."""
        await self._on_outcome(done, receipt)
        await self._queue.save(done)

    async def _replace(self, job: SettlementJob) -> SettlementJob:
        """Same nonce, same calldata, fees bumped: whichever of the versions is mined, it is only one."""
        assert job.nonce is not None
        last = job.sent[-1]
        max_fee, tip = bumped(last, await self._chain.base_fee())
        tx = self._sign(job, job.nonce, last.gas_limit, max_fee, tip)
        job = await self._queue.save(job.with_sent(tx))
        await self._chain.send_raw(tx.raw)
        return job

    async def _reserve_nonce(self) -> int:
        mined = await self._chain.mined_nonce(self.address)
        nonce = mined if self._next_nonce is None else max(mined, self._next_nonce)
        self._next_nonce = nonce + 1
        return nonce

    def _sign(self, job: SettlementJob, nonce: int, gas_limit: int, max_fee: int, tip: int) -> SentTransaction:
        """Sign the settle call. Gas headroom: pools' time-dependent writes can cost more than simulated."""
        tx: dict[str, Any] = {
            "type": 2, "chainId": self._config.chain_id, "to": self._config.settlement, "data": job.calldata,
            "nonce": nonce, "value": 0, "gas": gas_limit, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip,
        }  # fmt: skip
        signed = self._account.sign_transaction(tx)
        return SentTransaction("0x" + bytes(signed.hash).hex(), bytes(signed.raw_transaction), gas_limit, max_fee, tip)
