"""Keeper processes (scripts/keeper.py) over a SQLite queue on the devnet: SIGKILLed after writing a signed
transaction and restarted, or two of them with different accounts sharing one queue, every job is
settled exactly once, and a restarted keeper finishes with the transaction it stored, never a new one.

Determinism without sleeps: with anvil's automine off, a keeper's transaction waits in the mempool, so
the test can stop the world at "signed and stored, not mined" by polling the database file, then mine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from eth_abi.abi import encode
from eth_account import Account as EthAccount
from eth_utils.crypto import keccak

from solver.adapters.chain.devnet import Devnet
from solver.adapters.chain.rpc import call, send_transaction
from solver.adapters.chain.settlement import SETTLED_TOPIC
from solver.adapters.storage import open_storage
from solver.domain.settlement_job import JobStatus, SettlementJob
from solver.keeper.memory import MemoryJobQueue
from solver.keeper.service import Keeper
from tests.adapters.conftest import DATABASE, emptied_postgres_database
from tests.adapters.test_keeper import Outcomes, cow_job, solver_key, with_keepers
from tests.postgres import PostgresServer
from tests.processes import Process

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "keeper.py"
TIMEOUT_S = 15.0
FINISHED = ("settled", "reverted", "dropped")

T = TypeVar("T")


@dataclass
class Setup:
    net: Devnet
    tmp_path: Path
    url: str  # the queue's database: a SQLite file in tmp_path, or the test session's PostgreSQL
    started: list[Process]
    postgres_dsn: str | None = None

    def enqueue(self, jobs: list[SettlementJob]) -> None:
        async def add() -> None:
            storage = await open_storage(self.url)  # creates and migrates the file
            try:
                for job in jobs:
                    await storage.jobs.add(job)
            finally:
                await storage.close()

        asyncio.run(add())

    def start(self, name: str, key: str) -> Process:
        manifest = self.tmp_path / "manifest.json"
        if not manifest.exists():
            self.net.manifest.save(manifest)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VENUE_")}
        env |= {"VENUE_RPC_URL": self.net.rpc_url, "VENUE_DATABASE_URL": self.url, "VENUE_KEEPER_KEY": key,
                "VENUE_MANIFEST_PATH": str(manifest)}  # fmt: skip
        log = self.tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, str(SCRIPT)], env=env, stdout=out, stderr=subprocess.STDOUT)
        keeper = Process(name, process, log)
        self.started.append(keeper)
        return keeper

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Read the queue as another process would (SQLite in WAL mode: never blocks the keepers' writes)."""
        if self.postgres_dsn is not None:
            return asyncio.run(_postgres_rows(self.postgres_dsn, sql))
        with contextlib.closing(sqlite3.connect(self.url.removeprefix("sqlite+aiosqlite:///"), timeout=5)) as db:
            return db.execute(sql).fetchall()

    def sent(self) -> dict[int, list[str]]:
        """Stored signed transactions per auction id, in order."""
        by_job: dict[int, list[str]] = {}
        for auction_id, tx_hash in self.query("SELECT auction_id, tx_hash FROM settlement_job_txs ORDER BY position"):
            by_job.setdefault(int(auction_id), []).append(tx_hash)
        return by_job

    def statuses(self) -> dict[int, tuple[str, str | None]]:
        return {int(a): (s, k) for a, s, k in self.query("SELECT auction_id, status, keeper FROM settlement_jobs")}

    def wait_for(self, condition: Callable[[], T], what: str) -> T:
        """Poll `condition` until it is truthy; fail early if a keeper process died."""
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            if value := condition():
                return value
            for keeper in self.started:
                if not keeper.ended_by_test and not keeper.alive():
                    raise AssertionError(f"a keeper exited ({keeper.process.returncode}):\n{keeper.output()}")
            time.sleep(0.02)
        logs = "\n".join(k.output() for k in self.started)
        raise AssertionError(f"timed out waiting for {what}; keeper output:\n{logs}")

    def all_finished(self, auction_ids: list[int]) -> bool:
        statuses = self.statuses()
        return all(statuses.get(a, ("", None))[0] in FINISHED for a in auction_ids)


async def _postgres_rows(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite"])
def queue_backend(request: pytest.FixtureRequest) -> str:
    """SQLite unless a test asks for more (parametrize `queue_backend` indirectly)."""
    if request.param == "postgres":
        request.getfixturevalue("postgres")  # the test session's server, started outside any event loop
    name: str = request.param
    return name


@pytest.fixture
def setup(chain: Devnet, tmp_path: Path, queue_backend: str, request: pytest.FixtureRequest) -> Iterator[Setup]:
    """Automine off for the test (transactions wait in the mempool until it mines); every keeper process
    is gone and the mempool empty afterwards, whatever happened."""
    s = Setup(chain, tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}", [])
    if queue_backend == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres")
        s.url, s.postgres_dsn = asyncio.run(emptied_postgres_database(server)), server.dsn(DATABASE)
    call(chain.w3, "evm_setAutomine", False)
    try:
        yield s
    finally:
        for keeper in s.started:
            if keeper.alive():
                keeper.kill()
        call(chain.w3, "anvil_dropAllTransactions")
        call(chain.w3, "evm_setAutomine", True)


def settled_logs(net: Devnet) -> list[tuple[int, str]]:
    """(auction id, transaction hash) of every Settled event of the settlement contract."""
    logs = call(net.w3, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest",
                                         "address": net.manifest.contracts["settlement"],
                                         "topics": ["0x" + SETTLED_TOPIC.hex()]})  # fmt: skip
    return [(int(log["topics"][2], 16), log["transactionHash"]) for log in logs]


def mine_and_automine(net: Devnet) -> None:
    call(net.w3, "evm_mine")  # what waits in the mempool
    call(net.w3, "evm_setAutomine", True)  # and every later transaction as it arrives


def assert_no_key_logged(keeper: Process, key: str) -> None:
    output = keeper.output().lower()
    assert key.lower().removeprefix("0x") not in output


def test_a_keeper_killed_after_storing_a_signed_transaction_settles_every_job_once_after_restart(
    setup: Setup,
) -> None:
    net, auction_ids, key = setup.net, list(range(40, 44)), solver_key(setup.net)
    setup.enqueue([cow_job(net, a) for a in auction_ids])
    first = setup.start("first", key)
    setup.wait_for(setup.sent, "a signed transaction in the queue")
    first.kill()  # SIGKILL: no cleanup, no goodbye

    before_kill = setup.sent()
    ((killed, stored),) = before_kill.items()  # one job in flight: signed and stored, not mined
    assert len(stored) == 1 and settled_logs(net) == []
    assert setup.statuses()[killed] == ("sending", net.manifest.account("solver").address)
    assert {s for a, (s, _) in setup.statuses().items() if a != killed} == {"pending"}

    second = setup.start("second", key)
    # The restarted keeper re-broadcasts what it stored (it may already be in the mempool); then mine.
    setup.wait_for(lambda: call(net.w3, "eth_getTransactionByHash", stored[0]), "the stored transaction pending")
    mine_and_automine(net)
    setup.wait_for(lambda: setup.all_finished(auction_ids), "every job finished")
    assert second.stop() == 0

    settled = settled_logs(net)
    assert Counter(a for a, _ in settled) == Counter(auction_ids)  # each auction exactly once
    assert dict(settled)[killed] in stored  # mined: the transaction stored before the kill
    assert setup.sent()[killed] == stored  # and nothing was signed for it after the restart
    assert all(status == "settled" for status, _ in setup.statuses().values())
    finished = {e["auction_id"]: e for e in second.events("settlement_finished")}
    assert sorted(finished) == auction_ids and {e["outcome"] for e in finished.values()} == {"settled"}
    assert finished[killed]["tx_hash"] in stored
    assert [e["in_flight"] for e in second.events("keeper_started")] == [1]
    for keeper in (first, second):
        assert_no_key_logged(keeper, key)


def allow_list_second_keeper(net: Devnet) -> tuple[str, str]:
    """A fresh account the deployer allow-lists as a solver, funded for gas: (address, key)."""
    m = net.manifest
    second = EthAccount.from_key(keccak(text="second keeper process"))
    set_solver = keccak(text="setSolver(address,bool)")[:4] + encode(["address", "bool"], [second.address, True])
    call(net.w3, "evm_setAutomine", True)
    send_transaction(net.w3, {"from": m.account("deployer").address, "to": m.contracts["settlement"],
                              "data": "0x" + set_solver.hex()})  # fmt: skip
    call(net.w3, "evm_setAutomine", False)
    call(net.w3, "anvil_setBalance", second.address, hex(10**20))
    return second.address, "0x" + second.key.hex()


@pytest.mark.parametrize("queue_backend", ["sqlite", "postgres"], indirect=True)
def test_two_keeper_processes_with_different_accounts_drain_one_queue_without_overlap(setup: Setup) -> None:
    net, auction_ids = setup.net, list(range(50, 58))
    second_address, second_key = allow_list_second_keeper(net)
    setup.enqueue([cow_job(net, a) for a in auction_ids])
    keepers = [setup.start("keeper-a", solver_key(net)), setup.start("keeper-b", second_key)]
    # Nothing is mined yet, so each keeper holds the job it claimed: both are working at once.
    distinct = "SELECT DISTINCT j.keeper FROM settlement_jobs j JOIN settlement_job_txs t USING (auction_id)"
    setup.wait_for(lambda: len(setup.query(distinct)) == 2, "both keepers with a transaction in flight")
    mine_and_automine(net)
    setup.wait_for(lambda: setup.all_finished(auction_ids), "every job finished")
    assert [k.stop() for k in keepers] == [0, 0]

    settled = settled_logs(net)
    assert Counter(a for a, _ in settled) == Counter(auction_ids)
    statuses = setup.statuses()
    assert {s for s, _ in statuses.values()} == {"settled"}
    solver = net.manifest.account("solver").address
    assert {k for _, k in statuses.values()} == {solver, second_address}
    for auction_id, tx_hash in settled:  # each job was sent by the keeper that claimed it, and only by it
        sender = call(net.w3, "eth_getTransactionByHash", tx_hash)["from"]
        assert sender.lower() == (statuses[auction_id][1] or "").lower()
    reported = [{e["auction_id"] for e in k.events("settlement_finished")} for k in keepers]
    assert reported[0].isdisjoint(reported[1]) and reported[0] | reported[1] == set(auction_ids)
    assert_no_key_logged(keepers[1], second_key)


class CrashAfterSigning(MemoryJobQueue):
    """A queue whose first write-ahead of a signed transaction never lands: the keeper dies after it
    reserved (and stored) a nonce and signed, before the signed transaction was stored or sent."""

    crashed = False

    async def save(self, job: SettlementJob) -> SettlementJob:
        if job.sent and not self.crashed:
            self.crashed = True
            raise KeyboardInterrupt("keeper killed")
        return await super().save(job)


def test_a_keeper_killed_between_reserving_a_nonce_and_storing_the_transaction_reuses_that_nonce(
    chain: Devnet,
) -> None:
    queue = CrashAfterSigning()

    async def crash(keepers: list[Keeper], q: MemoryJobQueue, outcomes: Outcomes) -> None:
        await q.add(cow_job(chain, 60))
        with contextlib.suppress(KeyboardInterrupt):
            await keepers[0].run_once()

    asyncio.run(with_keepers(chain, [solver_key(chain)], crash, queue))
    job = asyncio.run(queue.get(60))
    assert job is not None and job.status is JobStatus.SENDING and job.nonce is not None and job.sent == ()

    async def restart(keepers: list[Keeper], q: MemoryJobQueue, outcomes: Outcomes) -> None:
        await keepers[0].recover()

    ((done, receipt),) = asyncio.run(with_keepers(chain, [solver_key(chain)], restart, queue))
    assert done.status is JobStatus.SETTLED and done.nonce == job.nonce and len(done.sent) == 1
    assert receipt is not None and receipt.tx_hash == done.sent[0].tx_hash
    assert [a for a, _ in settled_logs(chain)] == [60]
