"""The venue re-scores every bid itself: CoW's surplus formulas, typed discard reasons, EBBO and ranking."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from solver.domain.auction import Fulfillment, Order
from solver.domain.batch import Trade
from solver.domain.intent import IntentKind
from solver.domain.primitives import address
from solver.domain.scoring import (
    ReasonCode,
    Score,
    Scored,
    SolutionRejected,
    ebbo_violations,
    evaluate,
    rank,
    ranking,
    score,
    surplus,
    to_batch,
)

from .builders import (
    BOB,
    DAI,
    INVENTORY,
    REFERENCE_PRICES,
    SOLVER,
    USDC,
    WETH,
    a_pool,
    a_solution,
    an_auction,
    an_intent,
    an_order,
)

E18, E6 = 10**18, 10**6
# Small numbers so the formulas can be checked by hand: prices WETH 3, USDC 2 (one WETH unit buys 1.5 USDC units).
ALICE_SELLS = an_order(sell_amount=10, buy_amount=13, partially_fillable=True)  # >= 1.3 USDC per WETH
BOB_BUYS = an_order(
    owner=BOB, sell_token=USDC, buy_token=WETH, sell_amount=40, buy_amount=10, kind=IntentKind.BUY,
    partially_fillable=True,
)  # fmt: skip
PRICES = {WETH: 3, USDC: 2}
POOL = a_pool(WETH, 1_000 * E18, USDC, 3_000_000 * E6)


def rejection(excinfo: pytest.ExceptionInfo[SolutionRejected]) -> tuple[ReasonCode, bytes | None]:
    return excinfo.value.reason, excinfo.value.intent_id


def test_sell_order_surplus_is_executed_buy_minus_the_limit_rounded_up() -> None:
    solution = a_solution(Fulfillment(ALICE_SELLS.intent_id, 7), prices=PRICES)
    result = score(an_auction(ALICE_SELLS), solution)
    # executed buy = ceil(7 * 3 / 2) = 11; limit for 7 = ceil(7 * 13 / 10) = 10; surplus 1 USDC unit
    [order] = result.orders
    assert (order.executed_sell, order.executed_buy, order.surplus, order.surplus_token) == (7, 11, 1, address(USDC))
    assert order.value == 1 * REFERENCE_PRICES[USDC] == result.total


def test_buy_order_surplus_is_the_limit_rounded_down_minus_executed_sell() -> None:
    solution = a_solution(Fulfillment(BOB_BUYS.intent_id, 7), prices=PRICES)
    result = score(an_auction(BOB_BUYS), solution)
    # executed sell = floor(7 * 3 / 2) = 10 USDC; limit for 7 WETH = floor(40 * 7 / 10) = 28; surplus 18 USDC
    [order] = result.orders
    assert (order.executed_sell, order.executed_buy, order.surplus, order.surplus_token) == (10, 7, 18, address(USDC))
    assert result.total == 18 * REFERENCE_PRICES[USDC]


def test_the_score_is_the_sum_of_order_values_and_inventory_earns_nothing() -> None:
    inventory = Trade(
        an_intent(owner=INVENTORY, sell_token=USDC, buy_token=WETH, sell_amount=100, buy_amount=10), b"\x02" * 65, 100
    )
    solution = a_solution(
        Fulfillment(ALICE_SELLS.intent_id, 7),
        Fulfillment(BOB_BUYS.intent_id, 7),
        prices=PRICES,
        inventory_trades=(inventory,),
    )
    result = score(an_auction(ALICE_SELLS, BOB_BUYS), solution, inventory_accounts={INVENTORY})
    assert result.total == (1 + 18) * REFERENCE_PRICES[USDC]
    assert [o.intent_id for o in result.orders] == [ALICE_SELLS.intent_id, BOB_BUYS.intent_id]
    assert result.of(BOB_BUYS.intent_id).surplus == 18


def test_surplus_in_another_token_is_valued_at_that_tokens_reference_price() -> None:
    order = an_order(sell_token=USDC, buy_token=DAI, sell_amount=100 * E6, buy_amount=99 * E18)
    solution = a_solution(Fulfillment(order.intent_id, 100 * E6), prices={USDC: 10**12, DAI: 1})
    result = score(an_auction(order), solution)
    assert result.of(order.intent_id).surplus == E18  # 100 DAI for a limit of 99
    assert result.total == E18 * REFERENCE_PRICES[DAI]


def test_the_surplus_formulas_go_negative_below_the_limit() -> None:
    sell = an_intent(sell_amount=10, buy_amount=13)
    assert surplus(sell, 10, 12) == -1
    buy = an_intent(sell_amount=40, buy_amount=10, kind=IntentKind.BUY)
    assert surplus(buy, 41, 10) == -1


def test_to_batch_uses_the_orders_signatures_and_lists_every_priced_token_in_address_order() -> None:
    solution = a_solution(Fulfillment(ALICE_SELLS.intent_id, 7), prices={DAI: 5, **PRICES})
    batch = to_batch(an_auction(ALICE_SELLS), solution)
    assert batch.tokens == tuple(sorted((address(t) for t in (WETH, USDC, DAI)), key=lambda t: int(t, 16)))
    assert batch.price(DAI) == 5 and batch.price(WETH) == PRICES[WETH]
    [trade] = batch.trades
    assert (trade.intent, trade.signature, trade.executed_amount) == (ALICE_SELLS.intent, ALICE_SELLS.signature, 7)


def test_a_limit_violated_at_the_clearing_prices_is_discarded() -> None:
    solution = a_solution(Fulfillment(ALICE_SELLS.intent_id, 7), prices={WETH: 1, USDC: 1})
    with pytest.raises(SolutionRejected) as exc:
        score(an_auction(ALICE_SELLS), solution)
    assert rejection(exc) == (ReasonCode.LIMIT_VIOLATED, ALICE_SELLS.intent_id)


@pytest.mark.parametrize(
    ("order", "executed"),
    [
        (ALICE_SELLS, 11),  # above the signed amount
        (replace(ALICE_SELLS, remaining=5), 7),  # above what remains
        (ALICE_SELLS, 0),
        (an_order(sell_amount=10, buy_amount=13), 7),  # fill-or-kill executed in part
    ],
)
def test_an_invalid_executed_amount_is_discarded(order: Order, executed: int) -> None:
    with pytest.raises(SolutionRejected) as exc:
        score(an_auction(order), a_solution(Fulfillment(order.intent_id, executed), prices=PRICES))
    assert rejection(exc) == (ReasonCode.INVALID_EXECUTED_AMOUNT, order.intent_id)


def test_structural_faults_have_their_own_reason_codes() -> None:
    auction = an_auction(ALICE_SELLS)
    fill = Fulfillment(ALICE_SELLS.intent_id, 7)
    cases = {
        ReasonCode.UNKNOWN_ORDER: a_solution(Fulfillment(b"\x09" * 32, 7), prices=PRICES),
        ReasonCode.DUPLICATE_FULFILLMENT: a_solution(fill, fill, prices=PRICES),
        ReasonCode.WRONG_AUCTION: a_solution(fill, prices=PRICES, auction_id=2),
        ReasonCode.EMPTY_SOLUTION: a_solution(prices=PRICES),
        ReasonCode.INVALID_SELL_TO: a_solution(replace(fill, sell_to=BOB), prices=PRICES),
    }
    for reason, solution in cases.items():
        with pytest.raises(SolutionRejected) as exc:
            to_batch(auction, solution)
        assert exc.value.reason is reason, reason


def test_a_missing_clearing_price_is_discarded_naming_the_order() -> None:
    with pytest.raises(SolutionRejected) as exc:
        to_batch(an_auction(ALICE_SELLS), a_solution(Fulfillment(ALICE_SELLS.intent_id, 7), prices={WETH: 3}))
    assert rejection(exc) == (ReasonCode.INVALID_CLEARING_PRICES, ALICE_SELLS.intent_id)


@pytest.mark.parametrize(
    "prices", [{WETH: 3, USDC: 0}, {WETH: 3, USDC: -2}, {WETH: 2**256, USDC: 2}, {WETH: 3, USDC: 2, DAI: 0}]
)
def test_invalid_clearing_prices_are_discarded_even_on_untraded_tokens(prices: dict[str, int]) -> None:
    with pytest.raises(SolutionRejected) as exc:
        to_batch(an_auction(ALICE_SELLS), a_solution(Fulfillment(ALICE_SELLS.intent_id, 7), prices=prices))
    assert exc.value.reason is ReasonCode.INVALID_CLEARING_PRICES


def test_prices_that_overflow_the_contracts_math_are_discarded() -> None:
    with pytest.raises(SolutionRejected) as exc:
        to_batch(
            an_auction(ALICE_SELLS),
            a_solution(Fulfillment(ALICE_SELLS.intent_id, 7), prices={WETH: 2**254, USDC: 2**250}),
        )
    assert exc.value.reason is ReasonCode.INVALID_CLEARING_PRICES


def test_inventory_trades_must_be_signed_inventory_not_user_intents() -> None:
    auction = an_auction(ALICE_SELLS, BOB_BUYS)
    fill = Fulfillment(ALICE_SELLS.intent_id, 7)
    inventory_intent = an_intent(owner=INVENTORY, sell_token=USDC, buy_token=WETH, sell_amount=100, buy_amount=10)
    cases = [
        Trade(BOB_BUYS.intent, BOB_BUYS.signature, 7),  # a user's intent passed off as inventory
        Trade(inventory_intent, b"", 100),  # unsigned
        Trade(replace(inventory_intent, owner=BOB), b"\x02" * 65, 100),  # not an inventory account
    ]
    for trade in cases:
        solution = a_solution(fill, prices=PRICES, inventory_trades=(trade,))
        with pytest.raises(SolutionRejected) as exc:
            to_batch(auction, solution, inventory_accounts={INVENTORY})
        assert exc.value.reason is ReasonCode.INVALID_INVENTORY_TRADE


def test_a_user_given_less_than_the_best_route_alone_is_an_ebbo_violation() -> None:
    order = an_order(sell_amount=E18, buy_amount=2_900 * E6)
    auction = an_auction(order, pools=(POOL,))
    direct = POOL.amount_out(WETH, E18)
    fair = a_solution(Fulfillment(order.intent_id, E18), prices={WETH: direct, USDC: E18})
    assert ebbo_violations(auction, fair, {order.intent_id: direct}) == []
    short = a_solution(Fulfillment(order.intent_id, E18), prices={WETH: direct - 5, USDC: E18})
    [violation] = ebbo_violations(auction, short, {order.intent_id: direct})
    assert (violation.intent_id, violation.token, violation.shortfall) == (order.intent_id, address(USDC), 5)
    with pytest.raises(SolutionRejected) as exc:
        evaluate(auction, short)
    assert rejection(exc) == (ReasonCode.EBBO_VIOLATED, order.intent_id)
    assert evaluate(auction, fair).total > 0


def test_a_buyer_charged_more_than_the_best_routes_input_is_an_ebbo_violation() -> None:
    order = an_order(sell_token=USDC, buy_token=WETH, sell_amount=4_000 * E6, buy_amount=E18, kind=IntentKind.BUY)
    auction = an_auction(order, pools=(POOL,))
    needed = POOL.amount_in(USDC, E18)
    solution = a_solution(Fulfillment(order.intent_id, E18), prices={USDC: E18, WETH: needed + 7})
    [violation] = ebbo_violations(auction, solution, {order.intent_id: needed})
    assert (violation.token, violation.actual, violation.shortfall) == (address(USDC), needed + 7, 7)


def scored(total: int, solver: str = SOLVER, gas: int | None = None, salt: int = 0) -> Scored:
    solution = a_solution(Fulfillment(ALICE_SELLS.intent_id, 7 - salt), prices=PRICES, solver=solver)
    return Scored(solution, Score(1, solver, total, ()), gas)


def test_the_highest_score_wins() -> None:
    best = scored(10)
    assert rank([scored(5), best, scored(9)]) is best
    assert rank([]) is None


def test_ties_go_to_lower_gas_then_lower_solver_address_then_lower_bid_digest() -> None:
    low_gas = scored(10, gas=100_000)
    high_gas = scored(10, gas=200_000)
    no_gas = scored(10)
    assert ranking([no_gas, high_gas, low_gas]) == [low_gas, high_gas, no_gas]
    a = scored(10, solver="0x00000000000000000000000000000000000000aa", gas=1)
    b = scored(10, solver="0x00000000000000000000000000000000000000BB", gas=1)
    assert rank([b, a]) is a
    c, d = scored(10, gas=1, salt=1), scored(10, gas=1, salt=2)
    winners = {id(rank(list(order))) for order in itertools.permutations([c, d])}
    assert len(winners) == 1  # the bid digest decides, whatever the arrival order


def test_bids_on_one_auction_share_its_benchmarks_and_another_auction_gets_its_own() -> None:
    order = an_order(sell_amount=E18, buy_amount=2_900 * E6)
    auction = an_auction(order, pools=(POOL,))
    direct = POOL.amount_out(WETH, E18)
    fair = a_solution(Fulfillment(order.intent_id, E18), prices={WETH: direct, USDC: E18})
    assert evaluate(auction, fair) == evaluate(auction, fair)  # the second bid reuses the routed benchmark
    deeper = a_pool(WETH, 2_000 * E18, USDC, 6_000_000 * E6, address=POOL.address)  # same id, other pools
    with pytest.raises(SolutionRejected) as exc:
        evaluate(an_auction(order, pools=(deeper,)), fair)
    assert rejection(exc) == (ReasonCode.EBBO_VIOLATED, order.intent_id)
