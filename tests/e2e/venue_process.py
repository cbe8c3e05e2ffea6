"""The venue as real processes for crash tests: `scripts/venue.py --role api` (intake, solvers' WebSocket,
auction rounds and the in-process keeper) and `scripts/baseline_solver.py`, on a devnet the test owns and a
database that outlives every process (a SQLite file, or the test session's PostgreSQL).

`VenueStack` starts and SIGKILLs them, reads the database as another process would, and polls conditions
(never sleeps as synchronisation); every wait fails early, with the processes' output, if one of them died
without the test killing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx

from solver.adapters.chain.anvil import free_port
from solver.adapters.chain.devnet import Devnet
from solver.adapters.chain.rpc import call
from solver.adapters.chain.settlement import FILL_TOPIC, SETTLED_TOPIC, LogDecoder
from solver.domain.fills import Fill
from tests.processes import Process

ROOT = Path(__file__).resolve().parents[2]
VENUE = ROOT / "scripts" / "venue.py"
SOLVER = ROOT / "scripts" / "baseline_solver.py"
TIMEOUT_S = 120.0  # a failure guard only: a healthy run needs a few rounds of a few seconds each
POLL_S = 0.02

T = TypeVar("T")


@dataclass
class VenueStack:
    net: Devnet
    tmp_path: Path
    database_url: str  # SQLite file in tmp_path, or the session's PostgreSQL (postgres_dsn set)
    postgres_dsn: str | None = None
    bid_window_s: float = 3.0
    api_port: int = field(default_factory=free_port)
    started: list[Process] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def manifest_path(self) -> Path:
        path = self.tmp_path / "manifest.json"
        if not path.exists():
            self.net.manifest.save(path)
        return path

    # ---- processes ------------------------------------------------------------------------------------

    def start_venue(self, name: str) -> Process:
        """The API role with the keeper in-process (the solver account signs: it is allow-listed)."""
        env = {
            "VENUE_RPC_URL": self.net.rpc_url, "VENUE_MANIFEST_PATH": str(self.manifest_path),
            "VENUE_DATABASE_URL": self.database_url, "VENUE_API_PORT": str(self.api_port),
            "VENUE_KEEPER_KEY": self.net.manifest.account("solver").private_key,
            "VENUE_ROUND_INTERVAL_S": "1", "VENUE_BID_WINDOW_S": str(self.bid_window_s),
            "VENUE_BID_EARLY_CLOSE": "false",  # the kill must land while the round still takes bids
            "VENUE_RATE_LIMIT_BURST": "1000",
        }  # fmt: skip
        venue = self._start(name, [str(VENUE), "--role", "api"], env)
        self.wait_for(lambda: self._healthy(), f"{name} serving /healthz")
        return venue

    def start_solver(self, key: str | None = None) -> Process:
        """The bundled baseline solver, connected over the venue's WebSocket like any third party; by default
        with the keeper's key (the devnet's allow-listed solver account)."""
        env = {"VENUE_SOLVER_KEY": key or self.net.manifest.account("solver").private_key}
        url = f"ws://127.0.0.1:{self.api_port}/solvers/v1"
        args = [str(SOLVER), "--url", url, "--manifest", str(self.manifest_path)]
        return self._start("solver", args, env)

    def _start(self, name: str, args: list[str], extra: dict[str, str]) -> Process:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VENUE_")} | extra
        log = self.tmp_path / f"{name}.log"
        with log.open("wb") as out:
            command = [sys.executable, *args]
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        started = Process(name, process, log)
        self.started.append(started)
        return started

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def stop_all(self) -> None:
        for process in self.started:
            process.stop()

    def wait_for(self, condition: Callable[[], T | None], what: str, timeout_s: float = TIMEOUT_S) -> T:
        """Poll `condition` until it is truthy; fail early if a process died that the test did not end."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if value := condition():
                return value
            for p in self.started:
                if not p.ended_by_test and not p.alive():
                    raise AssertionError(f"{p.name} exited ({p.process.returncode}):\n{p.output()[-5000:]}")
            time.sleep(POLL_S)
        raise AssertionError(f"timed out waiting for {what}\n{self.outputs()}")

    def outputs(self) -> str:
        return "\n".join(f"---- {p.name}\n{p.output()[-4000:]}" for p in self.started)

    # ---- HTTP -----------------------------------------------------------------------------------------

    def post_intent(self, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.base_url}/v1/intents", json=body, timeout=30)

    def intent(self, intent_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.base_url}/v1/intents/{intent_id}", timeout=30)
        assert response.status_code == 200, (intent_id, response.status_code, response.text)
        found: dict[str, Any] = response.json()
        return found

    def fills(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.base_url}/v1/fills", timeout=30)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    # ---- the database, read as another process would --------------------------------------------------

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.postgres_dsn is not None:
            return asyncio.run(_postgres_rows(self.postgres_dsn, sql))
        path = self.database_url.removeprefix("sqlite+aiosqlite:///")
        with contextlib.closing(sqlite3.connect(path, timeout=10)) as db:
            return db.execute(sql).fetchall()

    def execute(self, sql: str) -> None:
        """A write (DDL) by the test itself: fault injection."""
        if self.postgres_dsn is not None:
            asyncio.run(_postgres_execute(self.postgres_dsn, sql))
            return
        path = self.database_url.removeprefix("sqlite+aiosqlite:///")
        with contextlib.closing(sqlite3.connect(path, timeout=10)) as db, db:
            db.executescript(sql)

    def statuses(self) -> dict[str, tuple[str, int]]:
        """Intent id (0x hex) -> (status, version), straight from the database."""
        return {_hex(i): (s, int(v)) for i, s, v in self.query("SELECT intent_id, status, version FROM intents")}

    def jobs(self) -> dict[int, tuple[str, list[str]]]:
        """Auction id -> (job status, intent ids it carries)."""
        return {int(a): (s, _intent_ids(ids)) for a, s, ids in
                self.query("SELECT auction_id, status, intent_ids FROM settlement_jobs")}  # fmt: skip

    def signed_transactions(self) -> dict[int, list[str]]:
        """Auction id -> its job's stored signed transactions, in order."""
        by_job: dict[int, list[str]] = {}
        for auction_id, tx_hash in self.query("SELECT auction_id, tx_hash FROM settlement_job_txs ORDER BY position"):
            by_job.setdefault(int(auction_id), []).append(str(tx_hash).lower())
        return by_job

    # ---- the chain ------------------------------------------------------------------------------------

    def pending(self, tx_hash: str) -> bool:
        """The node knows the transaction (in its mempool, or mined)."""
        return call(self.net.w3, "eth_getTransactionByHash", tx_hash) is not None

    def pause_mining(self) -> None:
        """Transactions wait in the mempool until `resume_mining` (rounds go on: they need no new block)."""
        call(self.net.w3, "evm_setIntervalMining", 0)
        call(self.net.w3, "evm_setAutomine", False)

    def resume_mining(self) -> None:
        call(self.net.w3, "evm_setIntervalMining", 1)

    def settled_events(self) -> list[tuple[int, str]]:
        """(auction id, transaction hash) of every Settled event of the settlement, over all blocks."""
        return [(int(log["topics"][2], 16), log["transactionHash"]) for log in self._logs(SETTLED_TOPIC)]

    def fill_events(self) -> list[tuple[str, Fill]]:
        """(transaction hash, fill) of every Fill event of the settlement, over all blocks."""
        decoder = LogDecoder.for_manifest(self.net.manifest)
        return [(log["transactionHash"], decoder.decode([log]).fills[0]) for log in self._logs(FILL_TOPIC)]

    def _logs(self, topic: bytes) -> list[dict[str, Any]]:
        logs: list[dict[str, Any]] = call(self.net.w3, "eth_getLogs", {
            "fromBlock": "0x0", "toBlock": "latest", "address": self.net.manifest.contracts["settlement"],
            "topics": ["0x" + topic.hex()],
        })  # fmt: skip
        return logs


def _hex(value: Any) -> str:
    text = value.hex() if isinstance(value, bytes | bytearray | memoryview) else str(value)
    return "0x" + text.lower().removeprefix("0x")


def _intent_ids(stored: str) -> list[str]:
    """The job's intent ids as stored: space-separated 0x hex (schema.HexList)."""
    return [i.lower() for i in stored.split()]


async def _postgres_rows(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def _postgres_execute(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
