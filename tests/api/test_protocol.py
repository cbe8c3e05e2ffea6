"""The solver protocol's messages: schemas are current, bids parse into domain solutions, junk is refused."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from solver.api.protocol import (
    AuctionDto,
    AuctionMsg,
    BidMsg,
    SolutionDto,
    SolverMessage,
    VenueMessage,
    bid_from_json,
    bid_to_json,
)
from solver.api.schemas import render, schemas
from solver.domain.auction import Auction, Fulfillment, Order, TokenInfo
from solver.domain.batch import Interaction, SigningScheme, Trade
from solver.domain.intent import IntentKind
from solver.domain.liquidity.concentrated import ConcentratedLiquidityPool, OutsideSnapshot
from solver.domain.liquidity.constant_product import ConstantProductPool
from solver.domain.liquidity.v3_math import bitmap_from_ticks, compress, get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio
from solver.domain.primitives import ZERO_ADDRESS

from ..unit.builders import (
    BOB,
    DAI,
    INVENTORY,
    SOLVER,
    USDC,
    WETH,
    a_pool,
    a_solution,
    a_v3_pool,
    an_auction,
    an_intent,
    an_order,
)

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
    assert solution.claimed_score == 999  # recorded with the bid; the venue scores it itself
    assert bid_from_json(bid_to_json(solution)) == solution  # as the shared bid book stores it


def test_a_claimed_score_beyond_uint256_is_refused() -> None:
    bid = SolverMessage.validate_python({"type": "bid", "auctionId": 7, "solution": {
        "prices": {WETH: "1"}, "fulfillments": [], "claimedScore": str(2**256)}})  # fmt: skip
    assert isinstance(bid, BidMsg)
    with pytest.raises(ValueError, match="claimedScore"):
        bid.solution.to_domain(bid.auction_id, "0x" + "03" * 20)


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


# ---- wire -> domain: what a solver rebuilds from the messages ----------------------------------------

E18, E6 = 10**18, 10**6


def _wire_auction() -> Auction:
    """Both pool kinds, with the V3 edge cases a rebuild can get wrong: a tick initialized with a net of 0,
    slot0's tick one below the price's tick (just after a downward crossing), and a windowed snapshot."""
    v2 = a_pool(WETH, 1_000 * E18, USDC, 3_000_000 * E6)
    v3 = a_v3_pool(WETH, 1_000 * E18, DAI, 3_000_000 * E18, extra_ticks={-80_100: 10**21, -79_980: -(10**21)})
    v3 = replace(v3, ticks={**v3.ticks, -79_800: 0}, bitmap=bitmap_from_ticks([*v3.ticks, -79_800], 60))
    stable = a_v3_pool(USDC, 3_000_000 * E6, DAI, 3_000_000 * E18, fee=500, spacing=10, address="0x" + "0c" * 20)
    crossed = stable.tick // 10 * 10  # the price just fell through this initialized tick: its position is out
    stable = a_v3_pool(USDC, 3_000_000 * E6, DAI, 3_000_000 * E18, fee=500, spacing=10, address="0x" + "0c" * 20,
                       extra_ticks={crossed: 10**20, crossed + 200: -(10**20)})  # fmt: skip
    at_boundary = replace(
        stable, sqrt_price_x96=get_sqrt_ratio_at_tick(crossed), tick=crossed - 1, liquidity=max(stable.ticks.values())
    )
    near = {t: n for t, n in v3.ticks.items() if abs(t) < 100_000}
    here = compress(v3.tick, 60) >> 8
    windowed = replace(
        ConcentratedLiquidityPool.from_ticks(
            "0x" + "0d" * 20, v3.token0, v3.token1, 3000, 60, v3.sqrt_price_x96, v3.liquidity, near, tick=v3.tick
        ),
        bitmap_words=(here - 1, here + 1),
    )
    partial = an_order(sell_amount=E18, buy_amount=2_900 * E6, partially_fillable=True, remaining=E18 // 2)
    orders = (
        partial,
        an_order(kind=IntentKind.BUY, sell_token=DAI, buy_token=WETH, sell_amount=3_100 * E18, buy_amount=E18,
                 receiver=BOB, app_data=b"\x07" * 32),
        replace(partial, scheme=SigningScheme.EIP1271, signature=b"\x99" * 7),
    )  # fmt: skip
    return an_auction(*orders, pools=(v2, v3, at_boundary, windowed), auction_id=9, deadline=1_764_060_004.5)


def _through_the_wire(auction: Auction) -> Auction:
    raw = json.dumps({"type": "auction", "auction": AuctionDto.from_domain(auction).model_dump(by_alias=True)})
    msg = TypeAdapter(Annotated[VenueMessage, Field(discriminator="type")]).validate_json(raw)
    assert isinstance(msg, AuctionMsg)
    return msg.auction.to_domain()


def test_an_auction_rebuilt_from_the_wire_equals_the_venues() -> None:
    auction = _wire_auction()
    assert _through_the_wire(auction) == auction


def test_pools_rebuilt_from_the_wire_quote_to_the_wei_as_the_venues() -> None:
    auction = _wire_auction()
    for ours, venues in zip(_through_the_wire(auction).pools, auction.pools, strict=True):
        for token in (venues.token0, venues.token1):
            for amount in (1, 10**6, 10**15, 3 * 10**18, 5 * 10**19, 10**20 + 7, 10**21, 10**24, 10**26):
                try:
                    expected: int | str = venues.amount_out(token, amount)
                except OutsideSnapshot:
                    expected = "outside"
                try:
                    got: int | str = ours.amount_out(token, amount)
                except OutsideSnapshot:
                    got = "outside"
                assert got == expected, (venues.address, token, amount)
    windowed = auction.pools[3]
    with pytest.raises(OutsideSnapshot):  # the window is real: a large swap walks out of it
        windowed.amount_out(windowed.token0, 10**27)


def test_the_slot0_tick_travels_even_when_it_is_not_the_prices_tick() -> None:
    pool = _through_the_wire(_wire_auction()).pools[2]
    assert isinstance(pool, ConcentratedLiquidityPool)
    assert pool.tick == get_tick_at_sqrt_ratio(pool.sqrt_price_x96) - 1


def test_a_v2_fee_the_solver_cannot_quote_is_refused() -> None:
    dto = AuctionDto.from_domain(an_auction(pools=(a_pool(WETH, E18, USDC, 3_000 * E6),)))
    dto.liquidity[0].fee = 500
    with pytest.raises(ValueError, match="fee"):
        dto.to_domain()


def test_a_solution_travels_as_a_bid_and_comes_back_equal() -> None:
    pair = "0x" + "ab" * 20
    bought = an_intent(owner=INVENTORY, kind=IntentKind.BUY, nonce=5)
    inventory = Trade(bought, b"\x05" * 65, bought.buy_amount, SigningScheme.EIP1271, pair)
    solution = a_solution(
        Fulfillment(b"\x01" * 32, E18, pair), Fulfillment(b"\x02" * 32, 5 * E6),
        prices={WETH: 3_000 * E6, USDC: E18}, solver=SOLVER, auction_id=12, inventory_trades=(inventory,),
        pre_interactions=(Interaction(WETH, b"\x01", 0),), interactions=(Interaction(pair, b"\x02\x03", 7),),
        post_interactions=(Interaction(USDC, b"", 0),),
    )  # fmt: skip
    raw = BidMsg(type="bid", auction_id=12, solution=SolutionDto.from_domain(solution)).model_dump_json(by_alias=True)
    bid = SolverMessage.validate_json(raw)
    assert isinstance(bid, BidMsg)
    assert json.loads(raw)["solution"]["fulfillments"][0]["sellTo"] == pair
    assert bid.solution.to_domain(bid.auction_id, SOLVER) == solution


def test_a_fulfillment_without_sell_to_sends_the_sell_amount_to_the_settlement() -> None:
    fulfillment = {"id": "0x" + "01" * 32, "executedAmount": "5"}
    raw = {"type": "bid", "auctionId": 1, "solution": {"prices": {WETH: "1"}, "fulfillments": [fulfillment]}}
    bid = SolverMessage.validate_python(raw)
    assert isinstance(bid, BidMsg)
    assert bid.solution.to_domain(1, SOLVER).fulfillments[0].sell_to == ZERO_ADDRESS
