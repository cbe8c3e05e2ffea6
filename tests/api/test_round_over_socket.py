"""A whole round as solvers live it, over real WebSockets against the venue's app (uvicorn on a loopback
socket; in-memory stores, a scripted chain): login, the auction, bids (one claiming a score, junk, one the
venue discards, a late one), the results and the settlement notice. Every message the venue sends is
checked against the published JSON Schema (docs/schemas), and the round's record over HTTP shows each bid's
claimed score beside the venue's own, and the winning solver apart from the keeper that settled."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import uvicorn
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import WebSocket
from websockets.asyncio.client import ClientConnection, connect

from solver.adapters.inprocess import MemoryBidBook, SoleLease
from solver.adapters.storage.memory import MemoryStorage
from solver.api.app import create_app
from solver.api.protocol import AuctionDto, BidMsg, SolutionDto
from solver.api.ws import WsLimits, serve_solver
from solver.domain.auction import Auction
from solver.domain.batch import SigningScheme
from solver.domain.fills import Fill, PoolFlow
from solver.domain.intake import IntakePolicy
from solver.domain.intent import Eip712Domain
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.primitives import address
from solver.domain.settlement_job import JobStatus
from solver.domain.solver_auth import Challenge
from solver.keeper.ports import Receipt
from solver.services.accounting import Accounting
from solver.services.auctions import AuctionConfig, AuctionHouse
from solver.services.intake import IntakeService
from solver.services.solver_hub import SolverHub
from tests.schema_check import check_venue_message
from tests.unit.test_auction_house import (
    ALICE_SELLS,
    BOB_BUYS,
    E6,
    E18,
    FakeChain,
    FakeSimulator,
    StaticLiquidity,
    StaticPrices,
    cow_bid,
    encode,
)

from .test_intake_api import FixedOwnerStates

WINNER, LOSER = Account.from_key("0x" + "a1" * 32), Account.from_key("0x" + "b2" * 32)
KEEPER = address("0x00000000000000000000000000000000000B0b01")
CHAIN = 31337
SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TX = "0x" + "ab" * 32
TIMEOUT_S = 5.0


def auction_wire(auction: Auction) -> dict[str, Any]:
    """What the composition root broadcasts (solver.bootstrap.auction_wire)."""
    return AuctionDto.from_domain(auction).model_dump(by_alias=True, mode="json")


@dataclass
class Venue:
    url: str
    storage: MemoryStorage
    house: AuctionHouse
    hub: SolverHub


@asynccontextmanager
async def running_venue() -> AsyncIterator[Venue]:
    storage, hub = MemoryStorage(), SolverHub()
    config = AuctionConfig(bid_window_s=TIMEOUT_S, simulation_sender=KEEPER)  # early close ends the round
    house = AuctionHouse(
        storage.intents, storage.auctions, storage.jobs, FakeChain(), StaticLiquidity(), StaticPrices(),
        FakeSimulator(), hub, encode, auction_wire, config, MemoryBidBook(), SoleLease(),
    )  # fmt: skip
    policy = IntakePolicy(Eip712Domain(CHAIN, SETTLEMENT), frozenset())
    intake = IntakeService(storage.intents, FixedOwnerStates(), policy)

    async def ready() -> bool:
        return True

    async def allowed(solver: str) -> bool:
        return solver in (WINNER.address, LOSER.address)

    app = create_app(intake, ready, fills=storage.fills, auctions=storage.auctions)

    @app.websocket("/solvers/v1")
    async def solvers(ws: WebSocket) -> None:
        await serve_solver(ws, hub, house, CHAIN, allowed, WsLimits(ping_interval_s=0.05))

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.005)
        yield Venue(f"127.0.0.1:{sock.getsockname()[1]}", storage, house, hub)
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, TIMEOUT_S)
        sock.close()


@dataclass
class SolverClient:
    """A solver's connection: every message the venue sends is kept (and checked against the schema by the
    test); pings are answered as they come."""

    ws: ClientConnection
    received: list[dict[str, Any]] = field(default_factory=list)

    async def next(self, kind: str) -> dict[str, Any]:
        async with asyncio.timeout(TIMEOUT_S):
            while True:
                message = json.loads(await self.ws.recv())
                self.received.append(message)
                if message["type"] == "ping":
                    await self.ws.send(json.dumps({"type": "pong", "t": message["t"]}))
                if message["type"] == kind:
                    return message  # type: ignore[no-any-return]

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))


@asynccontextmanager
async def solver(venue: Venue, account: Any) -> AsyncIterator[SolverClient]:
    async with connect(f"ws://{venue.url}/solvers/v1", proxy=None) as ws:
        client = SolverClient(ws)
        challenge = await client.next("challenge")
        text = Challenge(bytes.fromhex(challenge["challenge"][2:]), CHAIN, challenge["expiresAt"]).text()
        signature = account.sign_message(encode_defunct(text=text)).signature
        await client.send({"type": "authenticate", "address": account.address, "signature": "0x" + signature.hex()})
        await client.next("authenticated")
        yield client


def a_bid(auction_id: int, price: int, claimed: int) -> dict[str, Any]:
    solution = replace(cow_bid(auction_id, "0x" + "00" * 20, price), claimed_score=claimed)  # solver: the login
    return BidMsg(type="bid", auction_id=auction_id, solution=SolutionDto.from_domain(solution)).model_dump(
        by_alias=True, exclude_none=True, mode="json"
    )


async def test_every_message_of_a_round_matches_the_published_schema_and_the_record_keeps_claims() -> None:
    async with running_venue() as venue, solver(venue, WINNER) as winner, solver(venue, LOSER) as loser:
        for intent in (ALICE_SELLS, BOB_BUYS):
            record = IntentRecord(intent.struct_hash(), intent, b"\x01" * 65, SigningScheme.EIP712,
                                  IntentStatus.OPEN, 0, time.time())  # fmt: skip
            await venue.storage.intents.add(record)
        round_ = asyncio.create_task(venue.house.run_round())
        auction_id = (await winner.next("auction"))["auction"]["id"]
        assert (await loser.next("auction"))["auction"]["id"] == auction_id

        await winner.send(a_bid(auction_id, 3_000, claimed=123))
        assert (await winner.next("ack"))["auctionId"] == auction_id
        await loser.send("{not json")
        assert (await loser.next("bid_rejected"))["code"] == "malformed"
        await loser.send(a_bid(auction_id, 2_800, claimed=10**40))  # below Alice's limit: discarded at scoring
        await loser.next("ack")
        report = await asyncio.wait_for(round_, TIMEOUT_S)  # closed early: both connected solvers have bid
        assert report is not None and report.winner == WINNER.address

        won, discarded = await winner.next("result"), await loser.next("result")
        assert (won["outcome"], discarded["outcome"], discarded["code"]) == ("won", "discarded", "limit_violated")
        await loser.send(a_bid(auction_id, 3_001, claimed=1))
        assert (await loser.next("bid_rejected"))["code"] == "late"

        job = await venue.storage.jobs.get(auction_id)
        assert job is not None and job.solver == WINNER.address
        await settle(venue, replace(job, status=JobStatus.SETTLED, keeper=KEEPER))
        settled = await winner.next("settlement")
        assert (settled["outcome"], settled["txHash"]) == ("settled", TX)

        for message in (*winner.received, *loser.received):
            check_venue_message(message)
        kinds = {m["type"] for m in (*winner.received, *loser.received)}
        assert kinds >= {"challenge", "authenticated", "auction", "ack", "bid_rejected", "result", "settlement"}

        async with httpx.AsyncClient(base_url=f"http://{venue.url}", trust_env=False) as http:
            record = (await http.get(f"/v1/auctions/{auction_id}")).json()
            fills = (await http.get("/v1/fills", params={"auctionId": auction_id})).json()
        bids = {b["solver"]: b for b in record["bids"]}
        assert (bids[WINNER.address]["status"], bids[WINNER.address]["claimedScore"]) == ("won", "123")
        assert bids[WINNER.address]["score"] == won["score"]  # the venue's own score, beside the claim
        assert (bids[LOSER.address]["status"], bids[LOSER.address]["claimedScore"]) == ("discarded", str(10**40))
        assert [(s["solver"], s["submitter"]) for s in record["settlements"]] == [(WINNER.address, KEEPER)]
        assert {(f["solver"], f["submitter"]) for f in fills} == {(WINNER.address, KEEPER)}


async def settle(venue: Venue, job: Any) -> None:
    """The keeper's report of the job's transaction, mined with Alice's and Bob's fills at 3,000 USDC."""
    alice, bob = ALICE_SELLS, BOB_BUYS
    fills = [Fill(alice.struct_hash(), alice.owner, alice.sell_token, alice.buy_token, E18, 3_000 * E6),
             Fill(bob.struct_hash(), bob.owner, bob.sell_token, bob.buy_token, 3_000 * E6, E18)]  # fmt: skip

    def decode(receipt: Receipt) -> tuple[list[Fill], list[PoolFlow], str]:
        return fills, [], KEEPER

    async def block_time(block: int) -> float:
        return time.time()

    accounting = Accounting(venue.storage.intents, venue.storage.auctions, venue.storage.fills, decode, block_time,
                            venue.hub.notify)  # fmt: skip
    await accounting.on_outcome(job, Receipt(TX, 101, 1, 200_000, 10**9, logs=()))
