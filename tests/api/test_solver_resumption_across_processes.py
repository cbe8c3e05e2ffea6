"""Resumption across API processes, over real WebSockets: two venue API servers (uvicorn, each with its own
hub, Redis client and relay, as two `scripts/venue.py --role api` processes have) on one real redis-server.
A solver logs in on one, hears a result, drops, and resumes on the other: it gets exactly the notices its
session missed, in order, once each; the session it resumed cannot be resumed again anywhere."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import FastAPI, WebSocket
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from solver.adapters import redis_state
from solver.api.ws import CLOSE_POLICY, serve_solver
from solver.domain.auction import BidRefused, Solution
from solver.domain.solver_auth import Challenge
from solver.services.solver_hub import SolverHub
from tests.redis_server import RedisServer
from tests.schema_check import check_venue_message

SOLVER = Account.from_key("0x" + "77" * 32)
CHAIN = 31337
TIMEOUT_S = 5.0


class NoBids:
    async def receive_bid(self, solution: Solution) -> str:
        raise BidRefused("unknown_auction", "no auctions in this test")


@dataclass
class ApiProcess:
    url: str
    relay: redis_state.RedisSolverRelay


@asynccontextmanager
async def api_process(redis_url: str, prefix: str) -> AsyncIterator[ApiProcess]:
    """One API process's solver endpoint: its own hub, Redis client and relay, on a loopback port."""
    redis = redis_state.connect(redis_url)
    relay = redis_state.RedisSolverRelay(redis, prefix, SolverHub(), presence_s=0.05)
    await relay.start()
    app = FastAPI()

    async def allowed(address: str) -> bool:
        return address == SOLVER.address

    @app.websocket("/solvers/v1")
    async def endpoint(ws: WebSocket) -> None:
        await serve_solver(ws, relay, NoBids(), CHAIN, allowed)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await until(lambda: server.started)
        yield ApiProcess(f"ws://127.0.0.1:{sock.getsockname()[1]}/solvers/v1", relay)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, TIMEOUT_S)
        sock.close()
        await relay.stop()
        await redis.aclose()


async def until(condition: Callable[[], bool], timeout: float = TIMEOUT_S) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def receive(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(TIMEOUT_S):
        message: dict[str, Any] = json.loads(await ws.recv())
    check_venue_message(message)
    return message


async def login(ws: ClientConnection, resume: str | None = None) -> dict[str, Any]:
    challenge = await receive(ws)
    text = Challenge(bytes.fromhex(challenge["challenge"][2:]), CHAIN, challenge["expiresAt"]).text()
    signature = SOLVER.sign_message(encode_defunct(text=text)).signature
    await ws.send(json.dumps({"type": "authenticate", "address": SOLVER.address, "signature": "0x" + signature.hex(),
                              **({"resume": resume} if resume else {})}))  # fmt: skip
    return await receive(ws)


def result(auction_id: int) -> dict[str, Any]:
    return {"type": "result", "auctionId": auction_id, "outcome": "lost", "score": "1"}


async def mark_of(redis: Redis, prefix: str, session: str) -> str | None:
    """The session's mark as stored in Redis ("<solver> <highest notice number written>")."""
    value = await redis.get(f"{prefix}:solvers:session:{session}")
    return None if value is None else value.decode()


async def test_a_session_resumes_on_another_api_process_with_exactly_the_notices_it_missed(
    redis_server: RedisServer,
) -> None:
    prefix = f"resume-{uuid.uuid4().hex[:8]}"
    observer = redis_state.connect(redis_server.url())
    try:
        async with api_process(redis_server.url(), prefix) as a, api_process(redis_server.url(), prefix) as b:
            async with connect(a.url, proxy=None) as ws:
                first = (await login(ws))["session"]
                a.relay.notify(SOLVER.address, result(1))  # the round leader's result, through process a
                assert (await receive(ws))["seq"] == 1
            async with asyncio.timeout(TIMEOUT_S):  # a writes the mark of what it wrote in the background
                while await mark_of(observer, prefix, first) != f"{SOLVER.address} 1":
                    await asyncio.sleep(0.005)
            for auction_id in (2, 3):  # missed while disconnected: a keeper's notices, through process b
                b.relay.notify(SOLVER.address, result(auction_id))

            async with connect(b.url, proxy=None) as ws:
                resumed = await login(ws, resume=first)
                assert resumed["type"] == "authenticated" and resumed["session"] != first
                replayed = [await receive(ws), await receive(ws)]
                assert [(m["auctionId"], m["seq"]) for m in replayed] == [(2, 2), (3, 3)]
                a.relay.notify(SOLVER.address, result(4))
                assert ((live := await receive(ws))["auctionId"], live["seq"]) == (4, 4)

            async with connect(a.url, proxy=None) as ws:  # resumed once already: refused on every process
                refused = await login(ws, resume=first)
                assert (refused["type"], refused["code"]) == ("rejected", "unknown_session")
                try:
                    await asyncio.wait_for(ws.recv(), TIMEOUT_S)
                    raise AssertionError("the venue kept the connection open")
                except ConnectionClosed as closed:
                    assert closed.rcvd is not None and closed.rcvd.code == CLOSE_POLICY
    finally:
        await observer.aclose()
