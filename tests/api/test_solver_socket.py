"""Solvers over the WebSocket: login, auctions, bids, and the abuse that must not hurt the venue."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from solver.api.ws import CLOSE_POLICY, WsLimits, serve_solver
from solver.domain.auction import BidRefused, Solution
from solver.domain.solver_auth import Challenge
from solver.services.solver_hub import SolverHub

SOLVER = Account.from_key("0x" + "77" * 32)
OTHER = Account.from_key("0x" + "66" * 32)  # another allow-listed solver
STRANGER = Account.from_key("0x" + "88" * 32)
CHAIN = 31337
WETH = "0x" + "ee" * 20


class RecordingBids:
    def __init__(self) -> None:
        self.solutions: list[Solution] = []

    async def receive_bid(self, solution: Solution) -> str:
        if solution.auction_id != 1:
            raise BidRefused("unknown_auction", f"auction {solution.auction_id} is not open")
        self.solutions.append(solution)
        return f"b-{len(self.solutions)}"


class Venue:
    def __init__(self, limits: WsLimits) -> None:
        self.hub, self.bids = SolverHub(queue_size=8), RecordingBids()
        app = FastAPI()

        async def allowed(address: str) -> bool:
            return address.lower() in (SOLVER.address.lower(), OTHER.address.lower())

        @app.websocket("/solvers/v1")
        async def endpoint(ws: WebSocket) -> None:
            await serve_solver(ws, self.hub, self.bids, CHAIN, allowed, limits)

        self.client = TestClient(app)


@pytest.fixture
def venue() -> Iterator[Venue]:
    yield Venue(WsLimits(login_timeout_s=0.5, max_message_bytes=4096, max_malformed_per_minute=3))


def login(ws: Any, account: Any = SOLVER, resume: str | None = None) -> dict[str, Any]:
    challenge = ws.receive_json()
    assert challenge["type"] == "challenge" and challenge["chainId"] == CHAIN
    text = Challenge(bytes.fromhex(challenge["challenge"][2:]), CHAIN, challenge["expiresAt"]).text()
    signature = account.sign_message(encode_defunct(text=text)).signature
    ws.send_json({"type": "authenticate", "address": account.address, "signature": "0x" + signature.hex(),
                  **({"resume": resume} if resume else {})})  # fmt: skip
    return ws.receive_json()  # type: ignore[no-any-return]


BID = {"type": "bid", "auctionId": 1, "solution": {"prices": {WETH: "1"}, "fulfillments": []}}


def test_an_allow_listed_solver_logs_in_receives_the_open_auction_and_bids(venue: Venue) -> None:
    venue.hub.broadcast({"type": "auction", "auction": {"id": 1, "deadline": time.time() + 60}})
    with venue.client.websocket_connect("/solvers/v1") as ws:
        assert login(ws)["type"] == "authenticated"
        assert ws.receive_json()["auction"]["id"] == 1
        ws.send_json(BID)
        assert ws.receive_json() == {"type": "ack", "auctionId": 1, "bidId": "b-1"}
        ws.send_json({**BID, "auctionId": 2})
        refused = ws.receive_json()
        assert (refused["type"], refused["code"]) == ("bid_rejected", "unknown_auction")
    assert venue.bids.solutions[0].solver == SOLVER.address


def test_a_solver_not_on_the_allow_list_is_refused_and_disconnected(venue: Venue) -> None:
    with venue.client.websocket_connect("/solvers/v1") as ws:
        reply = login(ws, STRANGER)
        assert (reply["type"], reply["code"]) == ("rejected", "not_allowed")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == CLOSE_POLICY


def test_a_solver_silent_at_login_is_disconnected_after_the_timeout(venue: Venue) -> None:
    with venue.client.websocket_connect("/solvers/v1") as ws:
        ws.receive_json()  # the challenge, never answered
        reply = ws.receive_json()
        assert (reply["type"], reply["code"]) == ("rejected", "challenge_expired")


def test_junk_gets_a_reason_and_repeated_junk_disconnects(venue: Venue) -> None:
    with venue.client.websocket_connect("/solvers/v1") as ws:
        login(ws)
        ws.send_text("{not json")
        assert ws.receive_json()["code"] == "malformed"
        ws.send_text(json.dumps({**BID, "solution": {"prices": {WETH: "-5"}, "fulfillments": []}}))
        assert ws.receive_json()["code"] == "malformed"
        ws.send_text("x" * 5000)
        assert ws.receive_json()["code"] == "too_large"
        ws.send_text("{}")  # the fourth strike within a minute
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == CLOSE_POLICY
    assert venue.bids.solutions == []


def test_a_binary_frame_at_login_is_refused_with_a_reason_and_the_policy_close_code(venue: Venue) -> None:
    with venue.client.websocket_connect("/solvers/v1") as ws:
        assert ws.receive_json()["type"] == "challenge"
        ws.send_bytes(b'{"type": "authenticate"}')
        reply = ws.receive_json()
        assert (reply["type"], reply["code"]) == ("rejected", "malformed") and "binary" in reply["reason"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == CLOSE_POLICY


def test_binary_frames_after_login_are_refused_and_counted_as_junk(venue: Venue) -> None:
    with venue.client.websocket_connect("/solvers/v1") as ws:
        login(ws)
        ws.send_bytes(json.dumps(BID).encode())  # a valid bid, but in a binary frame
        refused = ws.receive_json()
        assert (refused["type"], refused["code"]) == ("bid_rejected", "malformed") and "binary" in refused["reason"]
        ws.send_json(BID)  # the connection still works
        assert ws.receive_json()["type"] == "ack"
        for _ in range(2):
            ws.send_bytes(b"\x00\xff")
            assert ws.receive_json()["code"] == "malformed"
        ws.send_bytes(b"\x00")  # the fourth strike within a minute
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == CLOSE_POLICY
    assert len(venue.bids.solutions) == 1


def test_an_auction_whose_deadline_passed_is_not_sent_to_a_solver_that_logs_in(venue: Venue) -> None:
    venue.hub.broadcast({"type": "auction", "auction": {"id": 1, "deadline": time.time() - 0.001}})
    with venue.client.websocket_connect("/solvers/v1") as ws:
        assert login(ws)["type"] == "authenticated"
        venue.hub.notify(SOLVER.address, result(2))  # the next message: the closed auction was not sent
        assert ws.receive_json()["type"] == "result"


def result(auction_id: int) -> dict[str, Any]:
    return {"type": "result", "auctionId": auction_id, "outcome": "lost", "score": "1"}


def test_resumption_replays_only_what_the_session_missed_in_order_and_once(venue: Venue) -> None:
    venue.hub.notify(SOLVER.address, result(1))  # before the first login: owed to no session
    with venue.client.websocket_connect("/solvers/v1") as ws:
        first = login(ws)["session"]
        venue.hub.notify(SOLVER.address, result(2))
        assert ws.receive_json()["auctionId"] == 2  # written to the socket: delivered on `first`
    for auction_id in (3, 4):
        venue.hub.notify(SOLVER.address, result(auction_id))  # missed while disconnected
    with venue.client.websocket_connect("/solvers/v1") as ws:
        second = login(ws, resume=first)["session"]
        assert [(m["auctionId"], m["seq"]) for m in (ws.receive_json(), ws.receive_json())] == [(3, 3), (4, 4)]
        venue.hub.notify(SOLVER.address, result(5))
        assert ws.receive_json()["auctionId"] == 5  # live, after the replay: nothing twice
    with venue.client.websocket_connect("/solvers/v1") as ws:
        login(ws, resume=second)  # nothing missed since: nothing replayed
        venue.hub.notify(SOLVER.address, result(6))
        assert ws.receive_json()["auctionId"] == 6


@pytest.mark.parametrize("case", ["unknown", "already resumed", "another solver's"])
def test_resuming_a_session_the_venue_does_not_hold_for_this_solver_is_refused(venue: Venue, case: str) -> None:
    with venue.client.websocket_connect("/solvers/v1") as ws:
        session = login(ws, OTHER if case == "another solver's" else SOLVER)["session"]
    if case == "already resumed":
        with venue.client.websocket_connect("/solvers/v1") as ws:
            assert login(ws, resume=session)["type"] == "authenticated"
    with venue.client.websocket_connect("/solvers/v1") as ws:
        reply = login(ws, resume="s-0123456789abcdef01234567" if case == "unknown" else session)
        assert (reply["type"], reply["code"]) == ("rejected", "unknown_session")
        assert "without `resume`" in reply["reason"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == CLOSE_POLICY
    with venue.client.websocket_connect("/solvers/v1") as ws:
        assert login(ws)["type"] == "authenticated"  # a fresh login still works
