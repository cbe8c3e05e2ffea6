"""The solver protocol's messages: schemas are current, bids parse into domain solutions, junk is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from solver.api.protocol import AuctionDto, BidMsg, SolverMessage
from solver.api.schemas import render, schemas
from solver.domain.auction import Auction, Order, TokenInfo
from solver.domain.batch import SigningScheme
from solver.domain.liquidity.concentrated import ConcentratedLiquidityPool
from solver.domain.liquidity.constant_product import ConstantProductPool

from ..unit.builders import USDC, WETH, an_intent

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def test_the_published_json_schemas_match_the_code() -> None:
    for name, schema in schemas().items():
        assert (DOCS / name).read_text() == render(schema), f"run scripts/export_schemas.py ({name} is stale)"


def test_an_auction_serializes_orders_and_both_pool_kinds_with_exact_integers() -> None:
    intent = an_intent(sell_amount=2**256 - 1)
    v2 = ConstantProductPool("0x" + "01" * 20, WETH, USDC, 10**21, 3 * 10**12)
    v3 = ConcentratedLiquidityPool.from_ticks("0x" + "02" * 20, WETH, USDC, 500, 10, 2**96, 10**18, {-10: 5, 10: -5})
    auction = Auction(
        7, 100, 1.5, (Order(b"\x01" * 32, intent, b"\x02" * 65, SigningScheme.EIP712, 5),),
        {WETH: TokenInfo(WETH, "WETH", 18, 3_000 * 10**18)}, (v2, v3),
    )  # fmt: skip
    wire = AuctionDto.from_domain(auction).model_dump(by_alias=True)
    assert wire["orders"][0]["sellAmount"] == str(2**256 - 1) and wire["orders"][0]["remaining"] == "5"
    assert [p["kind"] for p in wire["liquidity"]] == ["constantProduct", "concentratedLiquidity"]
    assert wire["liquidity"][1]["liquidityNet"] == {"-10": "5", "10": "-5"}


def test_a_bid_becomes_a_domain_solution() -> None:
    raw = {
        "type": "bid", "auctionId": 7,
        "solution": {
            "prices": {WETH: "3000", USDC: "1"}, "fulfillments": [{"id": "0x" + "01" * 32, "executedAmount": "5"}],
            "interactions": {"intra": [{"target": WETH, "callData": "0xa9059cbb"}]}, "claimedScore": "999",
        },
    }  # fmt: skip
    bid = SolverMessage.validate_python(raw)
    assert isinstance(bid, BidMsg)
    solution = bid.solution.to_domain(bid.auction_id, "0x" + "03" * 20)
    assert solution.prices == {WETH: 3000, USDC: 1}
    assert solution.fulfillments[0].executed_amount == 5 and solution.interactions[0].call_data == b"\xa9\x05\x9c\xbb"


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "bid", "auctionId": 1, "solution": {"prices": {WETH: "-1"}, "fulfillments": []}},
        {"type": "bid", "auctionId": 1, "solution": {"prices": {WETH: 1.5}, "fulfillments": []}},
        {"type": "steal", "everything": True},
        {"type": "pong"},
    ],
)
def test_malformed_messages_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SolverMessage.validate_python(raw)
