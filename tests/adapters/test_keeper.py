"""The keeper on anvil: settles each won solution exactly once, through crashes, drops and rival keepers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from eth_abi.abi import encode
from eth_account import Account as EthAccount
from eth_utils.crypto import keccak

from solver.adapters.chain.devnet import Devnet
from solver.adapters.chain.jsonrpc import AsyncRpc
from solver.adapters.chain.keeper_chain import RpcKeeperChain
from solver.adapters.chain.rpc import call, send_transaction
from solver.adapters.chain.settlement import SETTLED_TOPIC, contract_errors, encode_settle
from solver.domain.batch import Batch
from solver.domain.intent import Intent, IntentKind
from solver.domain.settlement_job import JobStatus, SettlementJob
from solver.keeper.memory import MemoryJobQueue
from solver.keeper.ports import Receipt
from solver.keeper.service import Keeper, KeeperConfig

from ..chain_helpers import FAR_FUTURE, domain, signed_trade

WETH_PRICE, USDC_PRICE = 3_000 * 10**18, 10**30


def cow_job(net: Devnet, auction_id: int) -> SettlementJob:
    """user0 sells 1 WETH to user1 for 3,000 USDC, with nonce `auction_id` (so every job is distinct)."""
    m = net.manifest
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    u0, u1 = m.account("user0"), m.account("user1")
    sell = Intent(u0.address, weth, usdc, 10**18, 2_900 * 10**6, FAR_FUTURE, auction_id)
    buy = Intent(u1.address, usdc, weth, 3_100 * 10**6, 10**18, FAR_FUTURE, auction_id, kind=IntentKind.BUY)
    trades = (signed_trade(m, u0, sell), signed_trade(m, u1, buy))
    batch = Batch((weth, usdc), (WETH_PRICE, USDC_PRICE), trades, auction_id=auction_id)
    ids = tuple(t.intent.digest(domain(m)) for t in trades)
    return SettlementJob(auction_id, encode_settle(batch), ids, deadline_block=10**9)


def settled_auctions(net: Devnet) -> list[int]:
    logs = call(net.w3, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest",
                                         "address": net.manifest.contracts["settlement"],
                                         "topics": ["0x" + SETTLED_TOPIC.hex()]})  # fmt: skip
    return [int(log["topics"][2], 16) for log in logs]


Outcomes = list[tuple[SettlementJob, Receipt | None]]


async def with_keepers(
    net: Devnet, keys: list[str], body: Callable[[list[Keeper], MemoryJobQueue, Outcomes], Awaitable[None]],
    queue: MemoryJobQueue | None = None, chain_wrapper: Callable[[RpcKeeperChain], Any] = lambda c: c,
) -> Outcomes:  # fmt: skip
    outcomes: Outcomes = []

    async def record(job: SettlementJob, receipt: Receipt | None) -> None:
        outcomes.append((job, receipt))

    queue = queue or MemoryJobQueue()
    config = KeeperConfig(net.manifest.chain_id, net.manifest.contracts["settlement"], stuck_after_blocks=2)
    async with aiohttp.ClientSession() as session:
        chain = chain_wrapper(RpcKeeperChain(AsyncRpc(net.rpc_url, session), config.settlement, contract_errors()))
        keepers = [Keeper(queue, chain, EthAccount.from_key(k), config, record) for k in keys]
        await body(keepers, queue, outcomes)
    return outcomes


def solver_key(net: Devnet) -> str:
    return net.manifest.account("solver").private_key


def test_a_won_solution_is_settled_once_and_reported(chain: Devnet) -> None:
    async def body(keepers: list[Keeper], queue: MemoryJobQueue, outcomes: Outcomes) -> None:
        await queue.add(cow_job(chain, 11))
        await queue.add(cow_job(chain, 11))  # the same auction again: ignored
        assert await keepers[0].run_once() and not await keepers[0].run_once()

    outcomes = asyncio.run(with_keepers(chain, [solver_key(chain)], body))
    ((job, receipt),) = outcomes
    assert job.status is JobStatus.SETTLED and receipt is not None and receipt.status == 1
    assert settled_auctions(chain) == [11]


def test_a_solution_that_would_revert_is_not_sent_and_uses_no_nonce(chain: Devnet) -> None:
    solver = chain.manifest.account("solver").address
    nonce_before = chain.w3.eth.get_transaction_count(solver)

    async def body(keepers: list[Keeper], queue: MemoryJobQueue, outcomes: Outcomes) -> None:
        await queue.add(cow_job(chain, 12))
        await keepers[0].run_once()
        replay = cow_job(chain, 12)
        await queue.add(SettlementJob(13, replay.calldata, replay.intent_ids, replay.deadline_block))
        await keepers[0].run_once()

    outcomes = asyncio.run(with_keepers(chain, [solver_key(chain)], body))
    assert [j.status for j, _ in outcomes] == [JobStatus.SETTLED, JobStatus.REVERTED]
    assert "NonceAlreadyUsed" in (outcomes[1][0].reason or "")
    assert chain.w3.eth.get_transaction_count(solver) == nonce_before + 1


class CrashOnFirstSend:
    """A chain whose first broadcast never happens: the keeper dies right after its write-ahead."""

    def __init__(self, inner: RpcKeeperChain) -> None:
        self._inner, self.crashed = inner, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def send_raw(self, raw: bytes) -> None:
        if not self.crashed:
            self.crashed = True
            raise KeyboardInterrupt("keeper killed")
        await self._inner.send_raw(raw)


def test_a_keeper_killed_after_signing_resumes_without_signing_again(chain: Devnet) -> None:
    queue = MemoryJobQueue()

    async def crash(keepers: list[Keeper], q: MemoryJobQueue, outcomes: Outcomes) -> None:
        await q.add(cow_job(chain, 14))
        with contextlib.suppress(KeyboardInterrupt):
            await keepers[0].run_once()

    asyncio.run(with_keepers(chain, [solver_key(chain)], crash, queue, CrashOnFirstSend))
    job = asyncio.run(queue.get(14))
    assert job is not None and job.status is JobStatus.SENDING and len(job.sent) == 1
    assert settled_auctions(chain) == []

    async def restart(keepers: list[Keeper], q: MemoryJobQueue, outcomes: Outcomes) -> None:
        await keepers[0].recover()
        assert not await keepers[0].run_once()

    outcomes = asyncio.run(with_keepers(chain, [solver_key(chain)], restart, queue))
    assert [j.status for j, _ in outcomes] == [JobStatus.SETTLED]
    assert outcomes[0][1] is not None and outcomes[0][1].tx_hash == job.sent[0].tx_hash  # the stored tx, not a new one
    assert settled_auctions(chain) == [14]


def test_a_dropped_transaction_is_replaced_at_the_same_nonce_with_higher_fees(chain: Devnet) -> None:
    w3 = chain.w3
    call(w3, "evm_setAutomine", False)
    try:

        async def body(keepers: list[Keeper], queue: MemoryJobQueue, outcomes: Outcomes) -> None:
            await queue.add(cow_job(chain, 15))
            task = asyncio.create_task(keepers[0].run_once())
            while not (job := await queue.get(15)) or not job.sent:
                await asyncio.sleep(0.01)
            call(w3, "anvil_dropTransaction", job.sent[0].tx_hash)  # lost from the mempool
            while not task.done():
                call(w3, "evm_mine")
                await asyncio.sleep(0.06)
            await task

        outcomes = asyncio.run(with_keepers(chain, [solver_key(chain)], body))
    finally:
        call(w3, "evm_setAutomine", True)
    ((job, receipt),) = outcomes
    assert job.status is JobStatus.SETTLED and len(job.sent) >= 2
    assert len({tx.tx_hash for tx in job.sent}) == len(job.sent)
    assert job.sent[1].max_priority_fee_per_gas > job.sent[0].max_priority_fee_per_gas
    assert receipt is not None and receipt.tx_hash == job.sent[-1].tx_hash
    assert settled_auctions(chain) == [15]


def test_two_keepers_with_different_accounts_share_the_work_without_overlap(chain: Devnet) -> None:
    m = chain.manifest
    second = EthAccount.from_key(keccak(text="second keeper"))
    set_solver = keccak(text="setSolver(address,bool)")[:4] + encode(["address", "bool"], [second.address, True])
    send_transaction(chain.w3, {"from": m.account("deployer").address, "to": m.contracts["settlement"],
                                "data": "0x" + set_solver.hex()})  # fmt: skip
    call(chain.w3, "anvil_setBalance", second.address, hex(10**20))

    async def body(keepers: list[Keeper], queue: MemoryJobQueue, outcomes: Outcomes) -> None:
        for auction_id in range(20, 26):
            await queue.add(cow_job(chain, auction_id))

        async def drain(keeper: Keeper) -> None:
            while await keeper.run_once():
                await asyncio.sleep(0)

        await asyncio.gather(*(drain(k) for k in keepers))

    outcomes = asyncio.run(with_keepers(chain, [solver_key(chain), "0x" + second.key.hex()], body))
    assert sorted(j.auction_id for j, _ in outcomes) == list(range(20, 26))
    assert all(j.status is JobStatus.SETTLED for j, _ in outcomes)
    assert sorted(settled_auctions(chain)) == list(range(20, 26))
    assert {j.keeper for j, _ in outcomes} == {m.account("solver").address, second.address}
