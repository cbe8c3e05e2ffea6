"""Per-client rate limits: reads have a bucket of their own, probes are exempt, idle clients are forgotten,
and with Redis the limit holds across API processes (and fails open to each process's own bucket when Redis
is down, never to a 503)."""

from __future__ import annotations

import asyncio
import math

import httpx
import pytest
from fastapi import FastAPI

from solver.adapters import redis_state
from solver.adapters.storage.memory import MemoryStorage
from solver.api.app import create_app
from solver.api.ratelimit import LocalLimiter, Rate
from solver.domain.intake import IntakePolicy
from solver.services.intake import IntakeService
from tests.redis_server import RedisServer

from .test_intake_api import DOMAIN, NOW, USDC, WETH, FixedOwnerStates, an_intent, body_for

OWNER_QUERY = {"owner": "0x" + "11" * 20}


def app_with(**limits: float) -> FastAPI:
    storage = MemoryStorage()
    intake = IntakeService(storage.intents, FixedOwnerStates(), IntakePolicy(DOMAIN, frozenset({WETH, USDC})),
                           clock=lambda: float(NOW))  # fmt: skip

    async def ready() -> bool:
        return True

    return create_app(intake, ready, fills=storage.fills, **limits)  # type: ignore[arg-type]


def client(app: FastAPI, address: str = "10.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40_000)), base_url="http://v")


async def statuses(c: httpx.AsyncClient, n: int, path: str = "/v1/intents") -> list[int]:
    return [(await c.get(path, params=OWNER_QUERY)).status_code for _ in range(n)]


def test_reads_are_limited_per_client_in_a_bucket_of_their_own() -> None:
    async def scenario() -> None:
        app = app_with(read_rate_per_s=0.01, read_burst=3, rate_per_s=0.01, burst=2)
        async with client(app) as alice, client(app, "10.0.0.2") as bob:
            assert await statuses(alice, 4) == [200, 200, 200, 429]
            limited = await alice.get("/v1/fills")
            assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
            assert limited.headers["retry-after"] == str(math.ceil(1 / 0.01))  # seconds until one token is back
            assert await statuses(bob, 1) == [200]  # another client's bucket
            posted = await alice.post("/v1/intents", json=body_for(an_intent()))
            assert posted.status_code == 201  # writes draw from their own bucket

    asyncio.run(scenario())


def test_writes_do_not_drain_the_read_bucket() -> None:
    async def scenario() -> None:
        app = app_with(read_rate_per_s=0.01, read_burst=2, rate_per_s=0.01, burst=1)
        async with client(app) as alice:
            codes = [(await alice.post("/v1/intents", json=body_for(an_intent(nonce=n)))).status_code for n in range(3)]
            assert codes == [201, 429, 429]
            assert await statuses(alice, 2) == [200, 200]

    asyncio.run(scenario())


@pytest.mark.parametrize("probe", ["/healthz", "/readyz", "/metrics"])
def test_probes_are_never_rate_limited(probe: str) -> None:
    async def scenario() -> None:
        async with client(app_with(read_rate_per_s=0.01, read_burst=1)) as scraper:
            assert {(await scraper.get(probe)).status_code for _ in range(20)} == {200}

    asyncio.run(scenario())


def test_the_local_limiter_forgets_idle_clients_and_keeps_at_most_its_cap() -> None:
    now = [0.0]
    limiter = LocalLimiter(Rate(per_s=10.0, burst=20), max_clients=1_000, clock=lambda: now[0])
    for i in range(900):
        assert limiter.take_now(f"10.1.{i // 256}.{i % 256}") == 0.0
    assert len(limiter) == 900
    now[0] += Rate(10.0, 20).refill_s  # every bucket is full again: the same as a new one
    assert limiter.take_now("10.9.9.9") == 0.0
    assert len(limiter) == 1
    for i in range(5_000):  # an address flood within one refill window
        limiter.take_now(f"10.2.{i // 256}.{i % 256}")
    assert len(limiter) <= 1_000


def test_a_forgotten_client_is_no_better_off_than_an_idle_one() -> None:
    now = [0.0]
    limiter = LocalLimiter(Rate(per_s=1.0, burst=2), clock=lambda: now[0])
    assert [limiter.take_now("a") for _ in range(3)] == [0.0, 0.0, 1.0]
    now[0] += 0.5
    assert limiter.take_now("a") == 0.5  # still limited: its bucket was not pruned while refilling
    now[0] += 10
    assert [limiter.take_now("a") for _ in range(3)] == [0.0, 0.0, 1.0]


def test_with_redis_two_api_processes_share_one_bucket_per_client_and_fail_open_when_it_is_down(
    own_redis: RedisServer,
) -> None:
    async def scenario() -> None:
        redis = redis_state.connect(own_redis.url())
        shared = redis_state.RedisTokenBuckets(redis, "rl-test")
        limits = {"read_rate_per_s": 0.01, "read_burst": 4}
        first, second = app_with(**limits, shared_limits=shared), app_with(**limits, shared_limits=shared)  # type: ignore[arg-type]
        async with client(first) as a, client(second) as b:
            codes = [*(await statuses(a, 2)), *(await statuses(b, 2)), *(await statuses(a, 1)), *(await statuses(b, 1))]
            assert codes == [200, 200, 200, 200, 429, 429]  # one bucket of 4 across both processes
            own_redis.stop()
            # Redis is down: each process falls back to its own bucket (a limit still, never a 503).
            assert await statuses(a, 5) == [200, 200, 200, 200, 429]
            metrics = (await a.get("/metrics")).text
            assert 'venue_rate_limit_fallbacks_total{bucket="reads"' in metrics
        await redis.aclose()

    asyncio.run(scenario())
