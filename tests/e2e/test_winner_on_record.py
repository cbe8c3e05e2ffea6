"""The records name the solver that won, not the keeper that settled: the bundled baseline solver bids with
a key of its own, the venue's keeper sends the settle transaction with another, and the chain's Settled
event names the keeper (its `solver` is the call's sender). Every fill and the settlement must name the
winning solver, and the keeper apart as the submitter, in GET /v1/fills and GET /v1/auctions/{id}.

Real parts: anvil mining a block a second, `scripts/venue.py --role api` (keeper in-process) on SQLite, and
`scripts/baseline_solver.py` as its own process.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_utils.crypto import keccak

from solver.adapters.chain.anvil import free_port
from solver.adapters.chain.devnet import Devnet, running_devnet
from solver.adapters.chain.rpc import send_transaction
from solver.domain.primitives import address
from solver.venue_demo import wave
from tests.e2e.venue_process import VenueStack

pytestmark = pytest.mark.chain

BIDDER = Account.from_key(keccak(text="a solver that is not the keeper"))


@pytest.fixture
def net() -> Iterator[Devnet]:
    with running_devnet(free_port(), block_time=1.0) as devnet:
        yield devnet


def allow_solver(net: Devnet, solver: str) -> None:
    """Settlement.setSolver(solver, true), sent by the owner: the venue admits only allow-listed solvers."""
    data = keccak(text="setSolver(address,bool)")[:4] + encode(["address", "bool"], [solver, True])
    send_transaction(net.w3, {"from": net.manifest.account("deployer").address,
                              "to": net.manifest.contracts["settlement"], "data": "0x" + data.hex()})  # fmt: skip


def test_a_settled_rounds_fills_and_settlement_name_the_winning_solver_and_the_keeper_apart(
    net: Devnet, tmp_path: Path
) -> None:
    keeper = net.manifest.account("solver").address  # the venue's keeper key (start_venue)
    winner = address(BIDDER.address)
    assert winner != address(keeper)
    allow_solver(net, winner)
    stack = VenueStack(net, tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'venue.db'}", bid_window_s=1.0)
    try:
        stack.start_venue("venue")
        stack.start_solver(key="0x" + BIDDER.key.hex())
        demo = {item.label: item for item in wave(net.manifest, int(time.time()), 1)}
        posted = [stack.post_intent(demo[label].body) for label in ("CoW: user0 sells 1 WETH",
                                                                     "CoW: user1 buys 1 WETH")]  # fmt: skip
        assert [r.status_code for r in posted] == [201, 201], [r.text for r in posted]
        ids = [r.json()["id"] for r in posted]
        stack.wait_for(lambda: all(stack.intent(i)["status"] == "settled" for i in ids), "both intents settled")

        fills = stack.fills()
        assert {f["intentId"] for f in fills} == set(ids)
        assert {(f["solver"], f["submitter"]) for f in fills} == {(winner, keeper)}
        (auction_id,) = {f["auctionId"] for f in fills}
        auction = httpx.get(f"{stack.base_url}/v1/auctions/{auction_id}", timeout=10).json()
        assert [(s["solver"], s["submitter"], s["outcome"]) for s in auction["settlements"]] == [
            (winner, keeper, "success")
        ]
        assert [(b["solver"], b["status"]) for b in auction["bids"]] == [(winner, "won")]
        # On chain, the Settled event's solver is the transaction's sender: the keeper, not the winner.
        ((settled_auction, tx_hash),) = stack.settled_events()
        assert (settled_auction, tx_hash) == (auction_id, auction["settlements"][0]["txHash"])
        receipt = net.w3.eth.get_transaction_receipt(tx_hash)
        assert address(receipt["from"]) == address(keeper)
    finally:
        stack.stop_all()
