"""Quote ids over HTTP (ASGI): a quote is stored under the id it answers, an intent may cite it, a bad citation
is refused with its code and stores nothing, and the settled fill reports slippage against the cited quote."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import httpx
import pytest

from solver.adapters.storage.memory import MemoryStorage
from solver.api.app import create_app
from solver.domain.fills import Fill, PoolFlow
from solver.domain.intake import IntakePolicy
from solver.domain.intent import Intent, IntentKind
from solver.domain.lifecycle import IntentStatus
from solver.domain.quoting import PoolSnapshot
from solver.domain.records import AuctionRecord, BidRecord, BidStatus, FillFilter
from solver.domain.settlement_job import JobStatus, SettlementJob
from solver.keeper.ports import Receipt
from solver.services.accounting import Accounting
from solver.services.intake import IntakeService
from solver.services.quotes import QUOTE_TTL_S, QuoteService

from .test_intake_api import ALICE, DOMAIN, NOW, FixedOwnerStates, body_for
from .test_quote_api import BLOCK, DAI, DAI_WETH, ETH, USD6, USDC, WETH, WETH_USDC

QUOTE_ID = bytes(range(16))
SOLVER = "0x00000000000000000000000000000000005017e3"


@dataclass
class Venue:
    client: httpx.AsyncClient
    storage: MemoryStorage
    clock: list[float]  # [now]: tests move time forward

    def post(self, path: str, body: Any) -> httpx.Response:
        return asyncio.run(self.client.post(path, json=body))

    def quote(self, **body: Any) -> dict[str, Any]:
        response = self.post("/v1/quote", {"sellToken": WETH, "buyToken": USDC, "kind": "sell", "amount": str(ETH),
                                           **body})  # fmt: skip
        assert response.status_code == 200, response.json()
        reply: dict[str, Any] = response.json()
        return reply

    def stored(self) -> int:
        return len(asyncio.run(self.storage.intents.by_owner(ALICE.address)))


@pytest.fixture
def venue() -> Iterator[Venue]:
    storage, clock = MemoryStorage(), [float(NOW)]
    policy = IntakePolicy(DOMAIN, frozenset({WETH, USDC, DAI}))
    intake = IntakeService(storage.intents, FixedOwnerStates(), policy, clock=lambda: clock[0])

    async def liquidity() -> PoolSnapshot:
        return PoolSnapshot(BLOCK, (WETH_USDC, DAI_WETH))

    async def ready() -> bool:
        return True

    quotes = QuoteService(liquidity, policy.supported_tokens, store=storage.quotes, book=storage.quote_book,
                          clock=lambda: clock[0], new_id=lambda: QUOTE_ID)  # fmt: skip
    app = create_app(intake, ready, rate_per_s=1000, burst=1000, fills=storage.fills, quotes=quotes)
    yield Venue(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://venue"), storage, clock)


def selling(quoted: dict[str, Any], **kw: Any) -> Intent:
    """Alice's intent to sell the quoted amount of WETH at the quote's suggested limit."""
    limit = quoted["suggestedLimit"]
    base = Intent(ALICE.address, WETH, USDC, int(limit["sellAmount"]), int(limit["buyAmount"]), NOW + 600, 7)
    return replace(base, **kw)


def test_a_quote_is_stored_under_the_id_it_answers_until_it_expires(venue: Venue) -> None:
    quoted = venue.quote()
    out = WETH_USDC.amount_out(WETH, ETH)
    assert (quoted["quoteId"], quoted["expiresAt"]) == ("0x" + QUOTE_ID.hex(), NOW + QUOTE_TTL_S)
    stored = asyncio.run(venue.storage.quotes.get(QUOTE_ID))
    assert stored is not None
    assert (stored.sell_token, stored.buy_token, stored.kind, stored.block) == (WETH, USDC, IntentKind.SELL, BLOCK)
    assert stored.price == Fraction(out, ETH) and stored.expires_at == NOW + QUOTE_TTL_S


def test_an_intent_citing_its_quote_is_accepted_and_its_quoted_price_recorded(venue: Venue) -> None:
    quoted = venue.quote()
    intent = selling(quoted)
    response = venue.post("/v1/intents", body_for(intent, quoteId=quoted["quoteId"]))
    assert response.status_code == 201, response.json()
    intent_id = bytes.fromhex(response.json()["id"][2:])
    price = asyncio.run(venue.storage.quote_book.quoted_price(intent_id))
    assert price == Fraction(int(quoted["buyAmount"]), int(quoted["sellAmount"]))


def test_an_intent_without_a_quote_id_has_no_quoted_price(venue: Venue) -> None:
    response = venue.post("/v1/intents", body_for(selling(venue.quote())))
    assert response.status_code == 201
    assert asyncio.run(venue.storage.quote_book.quoted_price(bytes.fromhex(response.json()["id"][2:]))) is None


def test_a_quote_may_be_cited_until_the_instant_it_expires(venue: Venue) -> None:
    quoted = venue.quote()
    venue.clock[0] = NOW + QUOTE_TTL_S
    response = venue.post("/v1/intents", body_for(selling(quoted, valid_to=NOW + 1_200), quoteId=quoted["quoteId"]))
    assert response.status_code == 201, response.json()


BAD_CITATIONS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    # name, quote request changes, intent changes, code
    ("unknown quote id", {}, {"quoteId": "0x" + "ee" * 16}, "unknown_quote"),
    ("a quote id of another length", {}, {"quoteId": "0x" + "00" * 32}, "unknown_quote"),
    ("other tokens", {"buyToken": DAI}, {}, "quote_mismatch"),
    ("reversed tokens", {"sellToken": USDC, "buyToken": WETH, "amount": str(3_000 * USD6)}, {}, "quote_mismatch"),
    ("the other kind", {"kind": "buy", "amount": str(2_000 * USD6)}, {}, "quote_mismatch"),
]


@pytest.mark.parametrize(("name", "request_", "cite", "code"), BAD_CITATIONS, ids=[c[0] for c in BAD_CITATIONS])
def test_a_bad_citation_is_refused_with_its_code_and_stores_nothing(
    venue: Venue, name: str, request_: dict[str, Any], cite: dict[str, Any], code: str
) -> None:
    quoted = venue.quote(**request_)
    intent = Intent(ALICE.address, WETH, USDC, ETH, 2_000 * USD6, NOW + 600, 7)
    response = venue.post("/v1/intents", body_for(intent, **{"quoteId": quoted["quoteId"], **cite}))
    assert (response.status_code, response.json()["code"]) == (400, code), response.json()
    assert response.json()["reason"]
    assert venue.stored() == 0
    assert asyncio.run(venue.storage.quote_book.quoted_price(intent.digest(DOMAIN))) is None


def test_an_expired_quote_is_refused_and_nothing_is_stored(venue: Venue) -> None:
    quoted = venue.quote()
    venue.clock[0] = NOW + QUOTE_TTL_S + 1
    intent = selling(quoted, valid_to=NOW + 1_200)
    response = venue.post("/v1/intents", body_for(intent, quoteId=quoted["quoteId"]))
    assert (response.status_code, response.json()["code"]) == (400, "quote_expired")
    assert venue.stored() == 0
    assert asyncio.run(venue.storage.quote_book.quoted_price(intent.digest(DOMAIN))) is None


def test_a_malformed_quote_id_is_malformed(venue: Venue) -> None:
    response = venue.post("/v1/intents", body_for(selling(venue.quote()), quoteId="q-1"))
    assert (response.status_code, response.json()["code"]) == (400, "malformed")
    assert venue.stored() == 0


def test_a_venue_that_answers_no_quotes_knows_no_quote_ids() -> None:
    storage = MemoryStorage()
    intake = IntakeService(storage.intents, FixedOwnerStates(), IntakePolicy(DOMAIN, frozenset({WETH, USDC})),
                           clock=lambda: float(NOW))  # fmt: skip

    async def ready() -> bool:
        return True

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(intake, ready)), base_url="http://venue")
    intent = Intent(ALICE.address, WETH, USDC, ETH, 2_000 * USD6, NOW + 600, 7)
    response = asyncio.run(client.post("/v1/intents", json=body_for(intent, quoteId="0x" + QUOTE_ID.hex())))
    assert (response.status_code, response.json()["code"]) == (400, "unknown_quote")


def test_the_settled_fill_reports_its_slippage_against_the_cited_quote(venue: Venue) -> None:
    quoted = venue.quote()
    intent = selling(quoted)
    intent_id = bytes.fromhex(venue.post("/v1/intents", body_for(intent, quoteId=quoted["quoteId"])).json()["id"][2:])
    job = _won(venue.storage, intent_id)
    bought = int(quoted["buyAmount"]) - 1_234  # the batch paid 1,234 USDC units less than quoted
    fill = Fill(intent_id, intent.owner, WETH, USDC, ETH, bought)
    asyncio.run(_accounting(venue.storage, fill).on_outcome(job, Receipt("0x" + "ab" * 32, BLOCK + 1, 1, 150_000,
                                                                             10**9, logs=())))  # fmt: skip
    [record] = asyncio.run(venue.storage.fills.fills(FillFilter(intent_id=intent_id)))
    quoted_price = Fraction(int(quoted["buyAmount"]), ETH)
    assert record.slippage_bps == (Fraction(bought, ETH) - quoted_price) / quoted_price * 10_000
    assert record.slippage_bps == Fraction(-1_234 * 10_000, int(quoted["buyAmount"]))
    summary = asyncio.run(venue.client.get("/v1/fills/summary")).json()
    slippage = record.slippage_bps
    assert summary["averageSlippageBps"]["fraction"] == f"{slippage.numerator}/{slippage.denominator}"


def _won(storage: MemoryStorage, intent_id: bytes, auction_id: int = 7) -> SettlementJob:
    """The intent, won by SOLVER in a recorded auction; the keeper's finished job for it."""
    stored = asyncio.run(storage.intents.get(intent_id))
    assert stored is not None
    in_auction = asyncio.run(storage.intents.set_status(intent_id, IntentStatus.IN_AUCTION, stored.version))
    asyncio.run(storage.intents.set_status(intent_id, IntentStatus.WON, in_auction.version))
    prices = {WETH: 3_000 * 10**18, USDC: 10**30}
    asyncio.run(storage.auctions.record_auction(AuctionRecord(auction_id, BLOCK, NOW, (intent_id,), prices)))
    asyncio.run(storage.auctions.record_bid(BidRecord(auction_id, SOLVER, BidStatus.WON, 10**38)))
    return SettlementJob(auction_id, b"", (intent_id,), deadline_block=BLOCK + 5, status=JobStatus.SETTLED)


def _accounting(storage: MemoryStorage, fill: Fill) -> Accounting:
    async def block_time(block: int) -> float:
        return float(NOW + 12)

    def decode(receipt: Receipt) -> tuple[list[Fill], list[PoolFlow], str]:
        return [fill], [], SOLVER

    return Accounting(storage.intents, storage.auctions, storage.fills, decode, block_time, lambda s, m: None,
                      quotes=storage.quote_book, clock=lambda: float(NOW))  # fmt: skip
