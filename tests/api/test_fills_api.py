"""The fill read API over HTTP (ASGI, in-memory twins): fills, filters, the summary and fills in intent reads."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import httpx
import pytest

from solver.adapters.storage.memory import MemoryFillLog, MemoryIntentStore
from solver.api.app import create_app
from solver.domain.batch import SigningScheme
from solver.domain.fills import Attribution
from solver.domain.intake import IntakePolicy
from solver.domain.intent import Eip712Domain, Intent, IntentKind
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.primitives import address
from solver.domain.records import FillRecord
from solver.services.intake import IntakeService

from .test_intake_api import FixedOwnerStates

SETTLEMENT = address("0x5FbDB2315678afecb367f032d93F642f64180aa3")
WETH, USDC, POOL, SOLVER, KEEPER = (address("0x" + c * 40) for c in ("e", "a", "b", "5", "c"))
ALICE, BOB = address("0x" + "a1" * 20), address("0x" + "b0" * 20)
NOW = 1_900_000_000.0
ETH, USD6 = 10**18, 10**6
WETH_REF, USDC_REF = 3_000 * 10**18, 10**30  # 1e-36 USD per base unit


def a_fill(n: int = 1, **overrides: Any) -> FillRecord:
    """Alice's fill of 1 WETH for 3,000 USDC (limit 2,900, quoted 2,990), half internalized."""
    base = FillRecord(
        intent_id=bytes([n]) * 32, auction_id=7, solver=SOLVER, tx_hash=bytes([0xA0 + n]) * 32, block_number=101,
        owner=ALICE, sell_token=WETH, buy_token=USDC, kind=IntentKind.SELL, executed_sell=ETH,
        executed_buy=3_000 * USD6, clearing_price=Fraction(3_000 * USD6, ETH), limit_price=Fraction(2_900 * USD6, ETH),
        reference_price=Fraction(WETH_REF, USDC_REF), surplus=100 * USD6, surplus_value=100 * USD6 * USDC_REF,
        volume_value=ETH * WETH_REF, slippage_bps=Fraction(10 * 10_000, 2_990),
        attribution=Attribution(cow=1_000 * USD6, inventory=500 * USD6, amm={POOL: 1_500 * USD6}),
        gas_used=100_000, gas_cost=100_000 * 2 * 10**9, settled_at=NOW, submitter=KEEPER,
    )  # fmt: skip
    return replace(base, **overrides)


# Bob's fill: 1,000 USDC of volume, all matched with other users, never quoted, an hour later.
BOBS = a_fill(
    2, owner=BOB, auction_id=8, settled_at=NOW + 3_600, volume_value=1_000 * USD6 * USDC_REF,
    surplus_value=20 * USD6 * USDC_REF, slippage_bps=None,
    attribution=Attribution(cow=3_000 * USD6, inventory=0, amm={}),
)  # fmt: skip


@dataclass
class Venue:
    client: httpx.AsyncClient
    store: MemoryIntentStore

    def get(self, path: str, **params: Any) -> httpx.Response:
        return asyncio.run(self.client.get(path, params=params))


@pytest.fixture
def venue() -> Iterator[Venue]:
    store, fills = MemoryIntentStore(), MemoryFillLog()
    for fill in (a_fill(), BOBS):
        asyncio.run(fills.add(fill))
    policy = IntakePolicy(Eip712Domain(31337, SETTLEMENT), frozenset({WETH, USDC}))
    intake = IntakeService(store, FixedOwnerStates(), policy, clock=lambda: NOW)

    async def ready() -> bool:
        return True

    app = create_app(intake, ready, rate_per_s=1000, burst=1000, fills=fills)
    yield Venue(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://venue"), store)


def test_a_fill_reads_as_decimal_strings_exact_ratios_and_its_sources(venue: Venue) -> None:
    response = venue.get("/v1/fills", intentId="0x" + "01" * 32)
    assert response.status_code == 200
    (view,) = response.json()
    assert view["intentId"] == "0x" + "01" * 32 and view["txHash"] == "0x" + "a1" * 32
    assert (view["owner"], view["auctionId"], view["solver"], view["kind"]) == (ALICE, 7, SOLVER, "sell")
    assert view["submitter"] == KEEPER  # the account that sent the settle transaction, apart from the winner
    assert (view["executedSell"], view["executedBuy"]) == (str(ETH), str(3_000 * USD6))
    assert view["clearingPrice"] == {"fraction": "3/1000000000", "decimal": "0.000000003"}
    assert view["limitPrice"] == {"fraction": "29/10000000000", "decimal": "0.0000000029"}
    assert view["referencePrice"]["fraction"] == "3/1000000000"
    assert (view["surplus"], view["surplusValue"]) == (str(100 * USD6), str(100 * USD6 * USDC_REF))
    assert view["slippageBps"] == {"fraction": "10000/299", "decimal": "33.4448160535117057"}
    assert view["attribution"] == {"cow": str(1_000 * USD6), "inventory": str(500 * USD6),
                                   "amm": {POOL: str(1_500 * USD6)}}  # fmt: skip
    assert view["gas"] == {"used": 100_000, "costWei": str(2 * 10**14)}
    assert view["settledAt"] == NOW


@pytest.mark.parametrize(
    ("params", "intents"),
    [({}, ["01", "02"]), ({"owner": BOB.lower()}, ["02"]), ({"auctionId": 7}, ["01"]),
     ({"since": NOW + 1}, ["02"]), ({"until": NOW + 3_600}, ["01"]),
     ({"since": NOW, "until": NOW + 3_601}, ["01", "02"]), ({"owner": ALICE, "auctionId": 8}, [])],
)  # fmt: skip
def test_fills_are_filtered_by_intent_owner_auction_and_time(
    venue: Venue, params: dict[str, Any], intents: list[str]
) -> None:
    found = venue.get("/v1/fills", **params).json()
    assert [f["intentId"][2:4] for f in found] == intents


def test_the_summary_weighs_internalization_by_volume_and_averages_surplus_and_slippage(venue: Venue) -> None:
    summary = venue.get("/v1/fills/summary").json()
    assert (summary["fills"], summary["volume"]) == (2, str(4_000 * 10**36))
    assert summary["surplus"] == str(120 * 10**36)
    assert summary["internalizationRate"] == {"fraction": "5/8", "decimal": "0.625"}  # (3,000 * 1/2 + 1,000) / 4,000
    assert summary["averageSurplus"]["fraction"] == str(60 * 10**36) + "/1"
    assert summary["averageSlippageBps"]["fraction"] == "10000/299"  # only Alice's fill had a quote
    only_bob = venue.get("/v1/fills/summary", owner=BOB).json()
    assert only_bob["averageSlippageBps"] is None and only_bob["internalizationRate"]["fraction"] == "1/1"


def test_an_intent_read_includes_its_fills(venue: Venue) -> None:
    intent = Intent(ALICE, WETH, USDC, ETH, 2_900 * USD6, int(NOW) + 600, 1, IntentKind.SELL)
    record = IntentRecord(bytes([1]) * 32, intent, b"\x01" * 65, SigningScheme.EIP712, IntentStatus.SETTLED, ETH, NOW)
    asyncio.run(venue.store.add(record))
    view = venue.get("/v1/intents/0x" + "01" * 32).json()
    assert view["status"] == "settled"
    assert [f["txHash"] for f in view["fills"]] == ["0x" + "a1" * 32]


BAD_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("short intent id", {"intentId": "0x1234"}),
    ("non-hex intent id", {"intentId": "0x" + "zz" * 32}),
    ("bad owner", {"owner": "alice"}),
    ("negative auction id", {"auctionId": -1}),
    ("non-numeric auction id", {"auctionId": "first"}),
    ("non-numeric since", {"since": "yesterday"}),
]


@pytest.mark.parametrize(("name", "params"), BAD_QUERIES, ids=[q[0] for q in BAD_QUERIES])
@pytest.mark.parametrize("path", ["/v1/fills", "/v1/fills/summary"])
def test_a_bad_filter_is_a_malformed_request(venue: Venue, path: str, name: str, params: dict[str, Any]) -> None:
    response = venue.get(path, **params)
    assert (response.status_code, response.json()["code"]) == (400, "malformed"), response.json()
