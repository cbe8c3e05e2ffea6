"""Two API processes behind one Redis + PostgreSQL pair serve one venue: intents posted to either land in
the same auction, whichever process leads the rounds, a solver connected to one process hears auctions
cut by the other, and the CoW between the two is settled once.

Real parts throughout: anvil with the official Uniswap pools, two `scripts/venue.py --role api` processes
(one with the keeper's key, one without), the bundled baseline solver as its own process, a redis-server
and a PostgreSQL server started by the test.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from solver.adapters.chain.anvil import free_port
from solver.adapters.chain.devnet import Devnet, running_devnet
from solver.adapters.storage.migrations import migrate
from solver.venue_demo import wave
from tests.e2e.venue_process import VENUE, Process, VenueStack
from tests.postgres import PostgresServer, bindir, running_postgres
from tests.redis_server import RedisServer

ROUND_S, BID_WINDOW_S = 1.0, 1.0


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    binaries = bindir()
    if binaries is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found")
    with running_postgres(binaries) as server:
        yield asyncio.run(_fresh_database(server))


async def _fresh_database(server: PostgresServer) -> str:
    connection = await asyncpg.connect(server.dsn())
    try:
        await connection.execute("CREATE DATABASE venue_two_apis")
    finally:
        await connection.close()
    url = server.url("venue_two_apis")
    await migrate(url)
    return url


@pytest.fixture
def net() -> Iterator[Devnet]:
    with running_devnet(free_port(), block_time=1.0) as devnet:
        yield devnet


def test_intents_posted_to_two_api_processes_land_in_one_auction_and_settle_once(
    net: Devnet, postgres_url: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    first = VenueStack(net, tmp_path / "a", postgres_url, bid_window_s=BID_WINDOW_S)
    second = VenueStack(net, tmp_path / "b", postgres_url, bid_window_s=BID_WINDOW_S)
    prefix = f"two-{uuid.uuid4().hex[:6]}"
    try:
        keeper = net.manifest.account("solver")
        api_a = _start_api(first, "api-a", prefix, redis_server, {"VENUE_KEEPER_KEY": keeper.private_key})
        api_b = _start_api(second, "api-b", prefix, redis_server, {"VENUE_KEEPER_ADDRESS": keeper.address})
        demo = {item.label: item for item in wave(net.manifest, int(time.time()), 1)}
        sell, buy = demo["CoW: user0 sells 1 WETH"], demo["CoW: user1 buys 1 WETH"]

        posted_a, posted_b = first.post_intent(sell.body), second.post_intent(buy.body)
        assert (posted_a.status_code, posted_b.status_code) == (201, 201), (posted_a.text, posted_b.text)
        sell_id, buy_id = posted_a.json()["id"], posted_b.json()["id"]
        assert second.intent(sell_id)["id"] == sell_id and first.intent(buy_id)["id"] == buy_id  # one record

        # No solver yet: rounds go by without bids and return both intents to the pool. Any round cut after
        # both were accepted holds both; two full rounds from now, every round in flight is such a round.
        time.sleep(2 * (ROUND_S + BID_WINDOW_S))
        second.start_solver()  # connected to process b only

        settled = first.wait_for(
            lambda: all(first.intent(i)["status"] == "settled" for i in (sell_id, buy_id)), "both intents settled"
        )
        assert settled
        fills = {f["intentId"]: f for f in first.fills()}
        assert fills.keys() == {sell_id, buy_id}
        assert fills[sell_id]["auctionId"] == fills[buy_id]["auctionId"]  # the same auction
        assert fills[sell_id]["txHash"] == fills[buy_id]["txHash"]  # one settlement
        assert int(fills[sell_id]["attribution"]["cow"]) > 0  # matched against each other, not routed alone
        assert len(first.settled_events()) == 1 and len(first.fill_events()) == 2  # settled exactly once

        # One leader: process a took the lease first and kept it, so every auction was cut by a; the solver,
        # connected to b, heard them through Redis pub/sub and its bids reached a through the Redis bid book.
        rounds_a, rounds_b = _auction_ids(api_a.output()), _auction_ids(api_b.output())
        assert fills[sell_id]["auctionId"] in rounds_a and rounds_b == set()
        statuses = httpx.get(f"{second.base_url}/v1/intents/{buy_id}", timeout=10).json()["status"]
        assert statuses == "settled"
    finally:
        first.stop_all()
        second.stop_all()


def _start_api(stack: VenueStack, name: str, prefix: str, redis: RedisServer, keeper: dict[str, str]) -> Process:
    """`scripts/venue.py --role api` on the shared PostgreSQL and Redis; the keeper runs where its key is."""
    stack.tmp_path.mkdir(parents=True, exist_ok=True)
    env = {
        "VENUE_RPC_URL": stack.net.rpc_url, "VENUE_MANIFEST_PATH": str(stack.manifest_path),
        "VENUE_DATABASE_URL": stack.database_url, "VENUE_API_PORT": str(stack.api_port),
        "VENUE_REDIS_URL": redis.url(), "VENUE_REDIS_PREFIX": prefix, "VENUE_ROUND_INTERVAL_S": str(ROUND_S),
        "VENUE_BID_WINDOW_S": str(BID_WINDOW_S), **keeper,
    }  # fmt: skip
    process = stack._start(name, [str(VENUE), "--role", "api"], env)
    stack.wait_for(stack._healthy, f"{name} serving /healthz")
    return process


def _auction_ids(output: str) -> set[int]:
    return {int(line.split()[1].rstrip(":")) for line in output.splitlines() if line.startswith("round ")}
