"""Outages answer 503 with a code and Retry-After, never 500: the venue as the composition root builds it
(solver.bootstrap.venue), served by a real uvicorn, on the devnet, with one part failed by the test: a
stopped PostgreSQL, a stopped Redis, a JSON-RPC endpoint that refuses connections, hangs past the timeout
or answers reads with errors. Requests are real HTTP over loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from solver.adapters.chain.devnet import Devnet
from solver.adapters.chain.rpc import call
from solver.adapters.chain.signer import IntentSigner
from solver.adapters.storage.migrations import migrate
from solver.bootstrap import venue
from solver.domain.intent import Eip712Domain, Intent
from solver.settings import Settings
from solver.venue_demo import body
from tests.postgres import PostgresServer
from tests.redis_server import RedisServer

from .faults import Mode, RpcProxy
from .serving import running_uvicorn

RPC_TIMEOUT_S = 0.5
CENTI_ETH = 10**16


def settings_for(net: Devnet, **overrides: Any) -> Settings:
    base = Settings(
        rpc_url=net.rpc_url, database_url="memory://", keeper_address=net.manifest.account("solver").address,
        rate_limit_burst=10_000, read_rate_limit_burst=10_000, rpc_timeout_s=RPC_TIMEOUT_S,
    )  # fmt: skip
    return replace(base, **overrides)


@asynccontextmanager
async def served(net: Devnet, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        venue(settings, net.manifest) as v,
        running_uvicorn(v.app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client


def signed(net: Devnet, nonce: int, who: str = "user0", **kw: Any) -> dict[str, Any]:
    """`who` sells 0.01 WETH for 25 USDC; each test phase uses nonces in a bitmap word of its own, so the
    owner-state read cannot come from the reader's per-block cache."""
    m = net.manifest
    domain = Eip712Domain(m.chain_id, m.contracts["settlement"])
    account = m.account(who)
    intent = Intent(account.address, m.token("WETH").address, m.token("USDC").address, CENTI_ETH, 25 * 10**6,
                    int(time.time()) + 600, nonce)  # fmt: skip
    return {**body(intent, IntentSigner.from_key(account.private_key).sign(intent, domain), domain), **kw}


def quote_body(net: Devnet) -> dict[str, Any]:
    m = net.manifest
    return {"sellToken": m.token("WETH").address, "buyToken": m.token("USDC").address, "kind": "sell",
            "amount": str(CENTI_ETH)}  # fmt: skip


def assert_outage(response: httpx.Response, code: str) -> None:
    assert (response.status_code, response.json()["code"]) == (503, code), response.text
    assert response.json()["reason"] and int(response.headers["retry-after"]) >= 1


# ---- storage ------------------------------------------------------------------------------------------


async def _database(server: PostgresServer) -> str:
    admin = await asyncpg.connect(server.dsn())
    try:
        await admin.execute("CREATE DATABASE outage")
    finally:
        await admin.close()
    await migrate(server.url("outage"))
    return server.url("outage")


def test_a_stopped_database_answers_503_storage_unavailable_and_recovers(
    chain: Devnet, own_postgres: PostgresServer
) -> None:
    async def scenario() -> None:
        url = await _database(own_postgres)
        async with served(chain, settings_for(chain, database_url=url)) as api:
            first = await api.post("/v1/intents", json=signed(chain, 1))
            assert first.status_code == 201, first.text
            own_postgres.stop()
            second = signed(chain, 2 * 256)
            assert_outage(await api.post("/v1/intents", json=second), "storage_unavailable")
            assert_outage(await api.get(f"/v1/intents/{first.json()['id']}"), "storage_unavailable")
            owner = {"owner": second["owner"]}
            assert_outage(await api.get("/v1/intents", params=owner), "storage_unavailable")
            assert_outage(await api.get("/v1/fills"), "storage_unavailable")
            assert_outage(await api.get("/v1/fills/summary"), "storage_unavailable")
            assert_outage(await api.get("/v1/auctions/1"), "storage_unavailable")
            assert_outage(await api.post("/v1/quote", json=quote_body(chain)), "storage_unavailable")
            own_postgres.start()
            missing = await api.get(f"/v1/intents/0x{'00' * 32}")
            assert missing.status_code == 404  # serving again
            retried = await api.post("/v1/intents", json=second)
            assert retried.status_code == 201, retried.text  # the refused attempt stored nothing

    asyncio.run(scenario())


# ---- the chain node -----------------------------------------------------------------------------------


def test_a_chain_node_that_refuses_hangs_or_errs_answers_503_chain_unavailable(chain: Devnet) -> None:
    async def scenario() -> None:
        proxy = RpcProxy(chain.rpc_url)
        await proxy.start()
        try:
            async with served(chain, settings_for(chain, rpc_url=proxy.url)) as api:
                accepted = await api.post("/v1/intents", json=signed(chain, 1))
                assert accepted.status_code == 201, accepted.text
                wallet = signed(chain, 2, signingScheme="eip1271", signature="0x" + "ab" * 65)

                await proxy.switch(Mode.REFUSE)
                assert_outage(await api.post("/v1/intents", json=signed(chain, 256)), "chain_unavailable")
                assert_outage(await api.post("/v1/intents", json=wallet), "chain_unavailable")  # EIP-1271 read
                assert_outage(await api.post("/v1/quote", json=quote_body(chain)), "chain_unavailable")
                assert (await api.get("/readyz")).json() == {"ready": False}
                assert (await api.get(f"/v1/intents/{accepted.json()['id']}")).status_code == 200  # storage only

                await proxy.switch(Mode.HANG)
                started = time.monotonic()
                assert_outage(await api.post("/v1/intents", json=signed(chain, 2 * 256)), "chain_unavailable")
                assert time.monotonic() - started < RPC_TIMEOUT_S + 5  # the configured timeout, not a hang
                assert_outage(await api.post("/v1/intents", json=wallet), "chain_unavailable")
                assert_outage(await api.post("/v1/quote", json=quote_body(chain)), "chain_unavailable")

                await proxy.switch(Mode.PASS)
                call(chain.w3, "evm_mine")  # a new block: the quote reads the pools again
                await proxy.switch(Mode.CALL_ERRORS)
                assert_outage(await api.post("/v1/intents", json=signed(chain, 3 * 256)), "chain_unavailable")
                assert_outage(await api.post("/v1/quote", json=quote_body(chain)), "chain_unavailable")  # pools

                await proxy.switch(Mode.PASS)
                again = await api.post("/v1/intents", json=signed(chain, 4 * 256))
                assert again.status_code == 201, again.text
        finally:
            await proxy.stop()

    asyncio.run(scenario())


# ---- Redis --------------------------------------------------------------------------------------------


def test_a_stopped_redis_answers_503_state_unavailable_and_reads_go_on(
    chain: Devnet, own_redis: RedisServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        database = f"sqlite+aiosqlite:///{tmp_path / 'venue.db'}"
        async with served(chain, settings_for(chain, database_url=database, redis_url=own_redis.url())) as api:
            first = await api.post("/v1/intents", json=signed(chain, 1))
            assert first.status_code == 201, first.text
            own_redis.stop()
            later = await api.post("/v1/intents", json=signed(chain, 2))
            # Stored in the database, but not in the shared pool the rounds are cut from: the wallet is told to
            # retry (a retry is the same intent again, which puts it in the pool once Redis is back).
            assert_outage(later, "state_unavailable")
            assert (await api.get(f"/v1/intents/{first.json()['id']}")).json()["status"] == "open"  # no Redis
            limited = [(await api.get("/v1/fills")).status_code for _ in range(3)]
            assert limited == [200, 200, 200]  # the rate limiter fell back to this process's buckets

    asyncio.run(scenario())
