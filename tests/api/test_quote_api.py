"""The quote API over HTTP (ASGI): best route over a pool snapshot, a limit with slippage, 4xx on bad input."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from solver.adapters.storage.memory import MemoryIntentStore, MemoryStorage
from solver.api.app import create_app
from solver.domain.intake import IntakePolicy
from solver.domain.intent import Eip712Domain
from solver.domain.liquidity.constant_product import ConstantProductPool
from solver.domain.primitives import address
from solver.domain.quoting import PoolSnapshot
from solver.services.intake import IntakeService
from solver.services.quotes import QuoteService

from .test_intake_api import FixedOwnerStates

SETTLEMENT = address("0x5FbDB2315678afecb367f032d93F642f64180aa3")
USDC, DAI, WETH, LONELY, UNLISTED = (address("0x" + c * 40) for c in ("a", "d", "e", "c", "f"))
ETH, USD6 = 10**18, 10**6
BLOCK = 42
NOW = 1_900_000_000
QUOTE_ID = bytes(range(16))
# 100 WETH / 300,000 USDC and 50 WETH / 150,000 DAI: DAI reaches USDC only through WETH.
WETH_USDC = ConstantProductPool(address("0x" + "01" * 20), USDC, WETH, 300_000 * USD6, 100 * ETH)
DAI_WETH = ConstantProductPool(address("0x" + "02" * 20), DAI, WETH, 150_000 * ETH, 50 * ETH)


@dataclass
class Venue:
    client: httpx.AsyncClient
    snapshots: list[int]

    def quote(self, **body: Any) -> httpx.Response:
        return asyncio.run(self.client.post("/v1/quote", json=body))


@pytest.fixture
def venue() -> Iterator[Venue]:
    policy = IntakePolicy(Eip712Domain(31337, SETTLEMENT), frozenset({WETH, USDC, DAI, LONELY}))
    intake = IntakeService(MemoryIntentStore(), FixedOwnerStates(), policy)
    snapshots: list[int] = []

    async def liquidity() -> PoolSnapshot:
        snapshots.append(BLOCK)
        return PoolSnapshot(BLOCK, (WETH_USDC, DAI_WETH))

    async def ready() -> bool:
        return True

    storage = MemoryStorage()
    quotes = QuoteService(liquidity, policy.supported_tokens, store=storage.quotes, book=storage.quote_book,
                          clock=lambda: float(NOW), new_id=lambda: QUOTE_ID)  # fmt: skip
    app = create_app(intake, ready, rate_per_s=1000, burst=1000, quotes=quotes)
    yield Venue(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://venue"), snapshots)


def test_a_sell_quote_is_the_pools_exact_output_with_a_limit_rounded_down(venue: Venue) -> None:
    response = venue.quote(sellToken=WETH, buyToken=USDC, kind="sell", amount=str(ETH))
    assert response.status_code == 200, response.json()
    out = WETH_USDC.amount_out(WETH, ETH)
    assert response.json() == {
        "quoteId": "0x" + QUOTE_ID.hex(), "expiresAt": NOW + 600, "sellAmount": str(ETH), "buyAmount": str(out),
        "route": [{"pool": WETH_USDC.address, "tokenIn": WETH, "tokenOut": USDC, "amountIn": str(ETH),
                   "amountOut": str(out)}],
        "suggestedLimit": {"sellAmount": str(ETH), "buyAmount": str(out * 9_950 // 10_000)},
        "block": BLOCK,
    }  # fmt: skip
    assert venue.snapshots == [BLOCK]


def test_a_buy_quote_needs_the_least_input_and_its_limit_rounds_up(venue: Venue) -> None:
    body = venue.quote(sellToken=WETH, buyToken=USDC, kind="buy", amount=str(3_000 * USD6), slippageBps=100).json()
    sell = int(body["sellAmount"])
    assert WETH_USDC.amount_out(WETH, sell) >= 3_000 * USD6 > WETH_USDC.amount_out(WETH, sell - 1)
    assert body["buyAmount"] == str(3_000 * USD6)
    assert body["suggestedLimit"] == {"sellAmount": str(-(-sell * 10_100 // 10_000)), "buyAmount": str(3_000 * USD6)}


def test_a_pair_without_a_common_pool_is_quoted_through_an_intermediate(venue: Venue) -> None:
    body = venue.quote(sellToken=DAI, buyToken=USDC, kind="sell", amount=str(3_000 * ETH)).json()
    hops = body["route"]
    assert [(h["pool"], h["tokenIn"], h["tokenOut"]) for h in hops] == [
        (DAI_WETH.address, DAI, WETH), (WETH_USDC.address, WETH, USDC),
    ]  # fmt: skip
    assert hops[0]["amountOut"] == hops[1]["amountIn"] and hops[1]["amountOut"] == body["buyAmount"]


def dust() -> int:
    """The least WETH the pool pays exactly one USDC unit for: a 0.5 % limit of it rounds to nothing."""
    return WETH_USDC.amount_in(WETH, 1)


BAD_QUOTES: list[tuple[str, dict[str, Any], int, str]] = [
    ("unsupported token", {"buyToken": UNLISTED}, 400, "unsupported_token"),
    ("same token", {"buyToken": WETH}, 400, "same_token"),
    ("bad address", {"sellToken": "weth"}, 400, "malformed"),
    ("zero amount", {"amount": "0"}, 400, "invalid_amount"),
    ("fractional amount", {"amount": "1.5"}, 400, "invalid_amount"),
    ("amount beyond uint256", {"amount": str(2**256)}, 400, "invalid_amount"),
    ("amount as a JSON number", {"amount": ETH}, 400, "malformed"),
    ("unknown kind", {"kind": "swap"}, 400, "malformed"),
    ("slippage of 100 %", {"slippageBps": 10_000}, 400, "malformed"),
    ("negative slippage", {"slippageBps": -1}, 400, "malformed"),
    ("unknown field", {"receiver": WETH}, 400, "malformed"),
    ("no pool for the token", {"buyToken": LONELY}, 422, "no_route"),
    ("an amount the pool pays nothing for", {"amount": "1"}, 422, "no_route"),
    ("a buy beyond the pool's reserve", {"kind": "buy", "amount": str(300_000 * USD6)}, 422, "no_route"),
    ("a limit that rounds to nothing", {"amount": str(dust())}, 400, "invalid_amount"),
]


@pytest.mark.parametrize(("name", "change", "status", "code"), BAD_QUOTES, ids=[q[0] for q in BAD_QUOTES])
def test_bad_quote_requests_get_their_code(
    venue: Venue, name: str, change: dict[str, Any], status: int, code: str
) -> None:
    body = {"sellToken": WETH, "buyToken": USDC, "kind": "sell", "amount": str(ETH), **change}
    response = venue.quote(**body)
    assert (response.status_code, response.json()["code"]) == (status, code), response.json()
    assert response.json()["reason"]
