"""The round-record read API: an auction as offered, every bid with the venue's own score or its discard
reason, and the settlement transaction; unknown or malformed ids are 4xx."""

from __future__ import annotations

import asyncio

import httpx

from solver.adapters.storage.memory import MemoryAuctionLog, MemoryIntentStore
from solver.api.app import create_app
from solver.domain.intake import IntakePolicy
from solver.domain.intent import Eip712Domain
from solver.domain.records import BidStatus, SettlementOutcome, SettlementRecord
from solver.services.intake import IntakeService
from tests.adapters.storage_builders import SOLVER, a_bid, an_auction

from .test_intake_api import FixedOwnerStates

OTHER = "0x00000000000000000000000000000000005017e3"
KEEPER = "0x00000000000000000000000000000000000B0b01"
SETTLEMENT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def client_over(log: MemoryAuctionLog) -> httpx.AsyncClient:
    intake = IntakeService(MemoryIntentStore(), FixedOwnerStates(), IntakePolicy(Eip712Domain(31337, SETTLEMENT),
                                                                                   frozenset()))  # fmt: skip

    async def ready() -> bool:
        return True

    app = create_app(intake, ready, auctions=log)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://venue")


def test_an_auction_reads_with_its_bids_scores_discard_reasons_and_settlement() -> None:
    async def scenario() -> None:
        log = MemoryAuctionLog()
        await log.record_auction(an_auction(7))
        await log.record_bids([
            a_bid(SOLVER, score=10**30, claimed_score=2 * 10**30),
            a_bid(OTHER, score=None, status=BidStatus.DISCARDED, claimed_score=None, reason_code="limit_violated",
                  reason="clearing prices violate a limit"),
        ])  # fmt: skip
        await log.record_settlement(SettlementRecord(b"\xab" * 32, 7, SOLVER, 101, 150_000, 2 * 10**9,
                                                     SettlementOutcome.SUCCESS, submitter=KEEPER))  # fmt: skip
        async with client_over(log) as client:
            found = await client.get("/v1/auctions/7")
            missing = await client.get("/v1/auctions/8")
            malformed = await client.get("/v1/auctions/seven")
        assert found.status_code == 200
        view = found.json()
        assert (view["id"], view["block"], view["orders"]) == (7, 99, ["0x" + "01" * 32, "0x" + "02" * 32])
        assert view["referencePrices"] == {k: str(v) for k, v in an_auction(7).reference_prices.items()}
        won, discarded = view["bids"]
        assert (won["solver"], won["status"], won["score"], won["claimedScore"]) == (
            SOLVER, "won", str(10**30), str(2 * 10**30))  # the venue's score, not the claim, ranks
        assert (discarded["status"], discarded["score"], discarded["reasonCode"]) == (
            "discarded", None, "limit_violated")
        assert view["settlements"] == [{"txHash": "0x" + "ab" * 32, "solver": SOLVER, "submitter": KEEPER,
                                        "block": 101, "gasUsed": 150_000, "effectiveGasPrice": str(2 * 10**9),
                                        "outcome": "success"}]  # the winner, and apart from it the keeper  # fmt: skip
        assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
        assert malformed.status_code == 400 and malformed.json()["code"] == "malformed"

    asyncio.run(scenario())
