"""The baseline solver as a venue client, against the real solver endpoint (serve_solver, SolverHub) served by
uvicorn on a loopback socket: it logs in, bids what baseline.solve gives, answers pings, skips auctions it
cannot settle, and resumes its session after the venue drops it."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest
import uvicorn
from eth_account import Account
from fastapi import FastAPI, WebSocket

from solver.adapters.chain.encoder import UniswapEncoder
from solver.api.protocol import AuctionDto
from solver.api.ws import WsLimits, serve_solver
from solver.domain.auction import Auction, Solution
from solver.domain.baseline import solve
from solver.services.solver_hub import Connection, Message, Outgoing, SolverHub
from solver.solvers.baseline_client import BaselineClient, ClientConfig, LoginRefused

from ..unit.builders import ALICE, BOB, CAROL, DAI, SETTLEMENT, USDC, WETH, a_pool, a_v3_pool, an_auction, an_order

SOLVER = Account.from_key("0x" + "77" * 32)
STRANGER = Account.from_key("0x" + "88" * 32)
CHAIN = 31337
E18, E16, E6 = 10**18, 10**16, 10**6
TIMEOUT_S = 3.0

ALICE_SELLS_WETH = an_order(owner=ALICE, sell_amount=E18, buy_amount=2_900 * E6)
BOB_SELLS_USDC = an_order(owner=BOB, sell_token=USDC, buy_token=WETH, sell_amount=3_000 * E6, buy_amount=95 * E16)
CAROL_SELLS_WETH_FOR_DAI = an_order(owner=CAROL, buy_token=DAI, sell_amount=E18, buy_amount=2_900 * E18)
POOLS = (a_pool(WETH, 1_000 * E18, USDC, 3_000_000 * E6), a_v3_pool(WETH, 1_000 * E18, DAI, 3_000_000 * E18))
# Alice and Bob match each other on the V2 pair's tokens; Carol is routed alone through the V3 pool.
AUCTION = an_auction(ALICE_SELLS_WETH, BOB_SELLS_USDC, CAROL_SELLS_WETH_FOR_DAI, pools=POOLS, auction_id=1)
# A limit no pool and no counterparty meets: nothing to bid.
HOPELESS = an_auction(an_order(owner=CAROL, sell_amount=E18, buy_amount=10_000 * E6), pools=POOLS, auction_id=2)


class RecordingHub(SolverHub):
    """The real hub, remembering each connection and the session it asked to resume."""

    def __init__(self) -> None:
        super().__init__(queue_size=16)
        self.attached: list[Connection] = []
        self.resumes: list[str | None] = []

    async def attach(self, solver: str, resume: str | None) -> tuple[Connection, list[Outgoing]]:
        self.resumes.append(resume)
        conn, replay = await super().attach(solver, resume)
        self.attached.append(conn)
        return conn, replay


class RecordingBids:
    def __init__(self) -> None:
        self.solutions: list[Solution] = []

    async def receive_bid(self, solution: Solution) -> str:
        self.solutions.append(solution)
        return f"b-{len(self.solutions)}"


@dataclass
class Venue:
    url: str
    hub: RecordingHub
    bids: RecordingBids


@asynccontextmanager
async def running_venue(limits: WsLimits) -> AsyncIterator[Venue]:
    hub, bids = RecordingHub(), RecordingBids()
    app = FastAPI()

    async def allowed(address: str) -> bool:
        return bool(address.lower() == SOLVER.address.lower())

    @app.websocket("/solvers/v1")
    async def endpoint(ws: WebSocket) -> None:
        await serve_solver(ws, hub, bids, CHAIN, allowed, limits)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port, held from the start: no race with other tests
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await until(lambda: server.started)
        yield Venue(f"ws://127.0.0.1:{port}/solvers/v1", hub, bids)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, TIMEOUT_S)
        sock.close()


@asynccontextmanager
async def running_client(client: BaselineClient) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(client.run())
    try:
        yield task
    finally:
        task.cancel()
        with pytest.raises((asyncio.CancelledError, LoginRefused)):
            await task


async def until(condition: Callable[[], bool], timeout: float = TIMEOUT_S) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await asyncio.sleep(0.005)


def auction_message(auction: Auction) -> Message:
    return {"type": "auction", "auction": AuctionDto.from_domain(auction).model_dump(by_alias=True, mode="json")}


def config(url: str) -> ClientConfig:
    return ClientConfig(
        url=url, settlement=SETTLEMENT, chain_id=CHAIN, reconnect_initial_s=0.02,
        reconnect_max_s=0.1, login_timeout_s=TIMEOUT_S, open_timeout_s=TIMEOUT_S, use_proxy=False,
    )  # fmt: skip


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, Any]]:
    found = []
    for record in caplog.records:
        if record.name == "solver.baseline":
            fields = json.loads(record.getMessage())
            if fields["event"] == name:
                found.append(fields)
    return found


async def test_the_client_bids_the_baseline_solution_answers_pings_and_resumes_after_a_drop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="solver.baseline")
    limits = WsLimits(login_timeout_s=TIMEOUT_S, ping_interval_s=0.05, missed_pongs=2)
    async with running_venue(limits) as venue:
        client = BaselineClient(config(venue.url), SOLVER)
        async with running_client(client):
            await until(lambda: client.stats.connections == 1)
            venue.hub.broadcast(auction_message(AUCTION))
            await until(lambda: len(venue.bids.solutions) == 1 and client.stats.acks == 1)

            encoder = UniswapEncoder(SETTLEMENT)
            direct = solve(AUCTION, encoder, solver=SOLVER.address, settlement=SETTLEMENT)
            assert venue.bids.solutions == [direct]
            assert len(direct.fulfillments) == 3 and len(direct.interactions) == 1  # V3: the pool's swap

            # The venue pings every 50 ms and closes after two unanswered pings: six pongs on one
            # connection show they were answered and counted.
            await until(lambda: client.stats.pongs >= 6)
            assert client.stats.connections == 1 and venue.hub.solvers == [SOLVER.address]

            # The venue drops the client (as it drops one that cannot keep up) and a result arrives meanwhile.
            first_session = client.stats.sessions[0]
            venue.hub.attached[0].close()
            venue.hub.notify(SOLVER.address, {"type": "result", "auctionId": 1, "outcome": "won", "score": "5"})
            await until(lambda: client.stats.connections == 2)
            assert venue.hub.resumes == [None, first_session]
            await until(lambda: len(events(caplog, "bid_result")) == 1)  # replayed on resumption
            assert events(caplog, "bid_result")[0] | {"ts": 0} == {
                "event": "bid_result", "ts": 0, "auction_id": 1, "outcome": "won", "score": "5",
                "winning_score": None, "code": None, "reason": None, "seq": 1,
            }  # fmt: skip

            # The replayed open auction was acknowledged already: not bid again. An auction the baseline
            # cannot settle is not bid either; the next one is.
            venue.hub.broadcast(auction_message(HOPELESS))
            await until(lambda: any(e["auction_id"] == 2 for e in events(caplog, "bid_skipped")))
            venue.hub.broadcast(auction_message(replace(AUCTION, auction_id=3)))
            await until(lambda: len(venue.bids.solutions) == 2)
            assert [s.auction_id for s in venue.bids.solutions] == [1, 3]
            assert venue.bids.solutions[1] == replace(direct, auction_id=3)
    skipped = {e["auction_id"]: e["reason"] for e in events(caplog, "bid_skipped")}
    assert skipped == {1: "already acknowledged", 2: "nothing to settle"}
    assert all(bytes(SOLVER.key).hex() not in r.getMessage() for r in caplog.records)


async def test_a_solver_off_the_allow_list_stops_instead_of_retrying() -> None:
    async with running_venue(WsLimits(login_timeout_s=TIMEOUT_S)) as venue:
        client = BaselineClient(config(venue.url), STRANGER)
        with pytest.raises(LoginRefused) as refused:
            await asyncio.wait_for(client.run(), TIMEOUT_S)
        assert refused.value.code == "not_allowed" and venue.hub.resumes == []  # never admitted


async def test_a_client_whose_session_the_venue_no_longer_holds_logs_in_afresh(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="solver.baseline")
    async with running_venue(WsLimits(login_timeout_s=TIMEOUT_S)) as venue:
        client = BaselineClient(config(venue.url), SOLVER)
        client.session = "s-" + "00" * 12  # e.g. expired, or opened on a venue that restarted since
        async with running_client(client):
            await until(lambda: client.stats.connections == 1)
        assert venue.hub.resumes == ["s-" + "00" * 12, None]  # refused, then a fresh login
        assert [e["code"] for e in events(caplog, "solver_login_rejected")] == ["unknown_session"]
        assert client.session == client.stats.sessions[0]
