"""Value safety in the venue: price bounds around the reference, the settlement's balances, lasting allowances."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solver.domain.auction import Fulfillment
from solver.domain.batch import Batch, Trade
from solver.domain.intent import IntentKind
from solver.domain.primitives import address
from solver.domain.rejections import ReasonCode, SolutionRejected
from solver.domain.scoring import evaluate
from solver.domain.value_safety import (
    ETH,
    Allowance,
    Holding,
    check_allowances,
    check_holdings,
    check_price_bounds,
    revert_reason,
    rounding_dust,
)

from .builders import BOB, DAI, REFERENCE_PRICES, USDC, WETH, a_solution, an_auction, an_intent, an_order

E18, E6 = 10**18, 10**6
REFERENCE = {address(t): p for t, p in REFERENCE_PRICES.items()}  # WETH $3,000, USDC $1 (6 decimals)


def weth_usdc_batch(usdc_per_weth: Fraction) -> Batch:
    """Alice sells 1 WETH at `usdc_per_weth` USDC (whole tokens) per WETH."""
    alice = an_intent(sell_amount=E18, buy_amount=1)
    prices = (usdc_per_weth.numerator * E6, usdc_per_weth.denominator * E18)  # p_weth / p_usdc = rate in base units
    return Batch((WETH, USDC), prices, (Trade(alice, b"\x01" * 65, E18),))


@pytest.mark.parametrize(
    ("rate", "inside"),
    [
        (Fraction(3_000), True),
        (Fraction(3_300), True),  # +10.00 %: on the bound
        (Fraction(3_300_001, 1_000), False),  # just above
        (Fraction(30_000, 11), True),  # 3,000 / 1.1: the same 10 % the other way (symmetric)
        (Fraction(30_000, 11) - Fraction(1, 1_000), False),
    ],
)
def test_a_trade_is_held_within_the_bound_around_the_reference_rate(rate: Fraction, inside: bool) -> None:
    batch = weth_usdc_batch(rate)
    if inside:
        check_price_bounds(batch, REFERENCE, 1_000)
        return
    with pytest.raises(SolutionRejected) as exc:
        check_price_bounds(batch, REFERENCE, 1_000, [b"\x07" * 32])
    assert (exc.value.reason, exc.value.intent_id) == (ReasonCode.PRICE_OUT_OF_BOUNDS, b"\x07" * 32)


def test_a_traded_token_without_a_reference_price_cannot_be_bounded() -> None:
    with pytest.raises(SolutionRejected) as exc:
        check_price_bounds(weth_usdc_batch(Fraction(3_000)), {address(WETH): 1}, 1_000)
    assert exc.value.reason is ReasonCode.MISSING_REFERENCE_PRICE


def test_the_venue_discards_inflated_prices_that_pay_a_colluding_user() -> None:
    """An honest seller of 1 WETH and a colluder buying WETH with a generous limit: matched at $3,600 the
    honest seller's surplus (valued at reference prices) outscores the fair match at $3,000."""
    honest = an_order(sell_amount=E18, buy_amount=2_900 * E6)
    colluder = an_order(owner=BOB, sell_token=USDC, buy_token=WETH, sell_amount=4_000 * E6, buy_amount=E18,
                        kind=IntentKind.BUY, nonce=2)  # fmt: skip
    fills = (Fulfillment(honest.intent_id, E18), Fulfillment(colluder.intent_id, E18))

    def bid(usdc_per_weth: int) -> object:
        auction = an_auction(honest, colluder, max_price_deviation_bps=1_000)
        return evaluate(auction, a_solution(*fills, prices={WETH: usdc_per_weth * E6, USDC: E18}))

    assert bid(3_000)
    with pytest.raises(SolutionRejected) as exc:
        bid(3_600)
    assert exc.value.reason is ReasonCode.PRICE_OUT_OF_BOUNDS


@given(
    trades=st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(1, 10**24)), min_size=1, max_size=6),
    p_weth=st.integers(1, 10**30),
    p_usdc=st.integers(1, 10**30),
)
def test_rounding_never_costs_the_settlement_more_than_its_dust_allowance(
    trades: list[tuple[bool, bool, int]], p_weth: int, p_usdc: int
) -> None:
    """Brute force over random WETH/USDC trades of both kinds and directions: per token, what the settlement
    nets with the contract's integer amounts is at least what it would net at exact rational amounts, less
    `rounding_dust`."""
    prices = {address(WETH): p_weth, address(USDC): p_usdc}
    batch_trades = []
    for i, (sells_weth, buy_kind, amount) in enumerate(trades):
        sell, buy = (WETH, USDC) if sells_weth else (USDC, WETH)
        kind = IntentKind.BUY if buy_kind else IntentKind.SELL
        limits = (10**76, 10**24) if buy_kind else (10**60, 1)  # partially fillable; any price respects them
        intent = an_intent(sell_token=sell, buy_token=buy, sell_amount=limits[0], buy_amount=limits[1], kind=kind,
                           nonce=i, partially_fillable=True)  # fmt: skip
        batch_trades.append(Trade(intent, b"\x01", amount))
    batch = Batch(tuple(prices), tuple(prices.values()), tuple(batch_trades))
    kept = {t: 0 for t in prices}
    exact = {t: Fraction(0) for t in prices}
    for trade in batch.trades:
        i, amount = trade.intent, trade.executed_amount
        pulled, paid = batch.executed(trade)
        kept[i.sell_token] += pulled
        kept[i.buy_token] -= paid
        rate = Fraction(prices[i.sell_token], prices[i.buy_token])  # buy units per sell unit
        exact_sell, exact_buy = (amount, amount * rate) if i.kind is IntentKind.SELL else (amount / rate, amount)
        exact[i.sell_token] += exact_sell
        exact[i.buy_token] -= exact_buy
    dust = rounding_dust(batch)
    for token in prices:
        assert kept[token] >= exact[token] - dust[token]


def test_rounding_dust_counts_one_unit_per_trade_in_the_token_rounded_for_its_owner() -> None:
    sells = an_intent()  # WETH -> USDC, sell kind: its USDC payout rounds up
    buys = an_intent(owner=BOB, sell_token=DAI, buy_token=WETH, kind=IntentKind.BUY)  # DAI paid rounds down
    trades = (Trade(sells, b"", sells.sell_amount), Trade(buys, b"", buys.buy_amount))
    batch = Batch((WETH, USDC, DAI), (1, 1, 1), trades)
    assert rounding_dust(batch) == {address(WETH): 0, address(USDC): 1, address(DAI): 1}


def test_the_settlement_may_lose_its_rounding_dust_and_nothing_more() -> None:
    batch = weth_usdc_batch(Fraction(3_000))  # one sell trade: one unit of USDC dust
    check_holdings(batch, [Holding(address(USDC), 100, 99), Holding(address(WETH), 5, 5), Holding(ETH, 7, 9)])
    for drained in (Holding(address(USDC), 100, 98), Holding(address(WETH), 5, 4), Holding(address(DAI), 3, 2),
                    Holding(ETH, 7, 6)):  # fmt: skip
        with pytest.raises(SolutionRejected) as exc:
            check_holdings(batch, [drained])
        assert exc.value.reason is ReasonCode.BUFFER_DRAINED


def test_an_allowance_left_behind_is_a_lasting_approval() -> None:
    check_allowances([Allowance(address(USDC), BOB, 0)])
    with pytest.raises(SolutionRejected) as exc:
        check_allowances([Allowance(address(USDC), BOB, 1)])
    assert exc.value.reason is ReasonCode.LASTING_APPROVAL


def test_the_contracts_value_safety_errors_have_their_own_discard_codes() -> None:
    assert revert_reason("BalanceDecreased") is ReasonCode.BUFFER_DRAINED
    assert revert_reason("ForbiddenInteraction") is ReasonCode.FORBIDDEN_INTERACTION
    assert revert_reason("InvalidSellTo") is ReasonCode.INVALID_SELL_TO
    assert revert_reason("UnsortedTokens") is ReasonCode.INVALID_CLEARING_PRICES
    assert revert_reason("NonceAlreadyUsed") is ReasonCode.SIMULATION_FAILED
    assert revert_reason(None) is ReasonCode.SIMULATION_FAILED
