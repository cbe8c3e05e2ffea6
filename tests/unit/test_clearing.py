"""Clearing math rounds in the owner's favour and never breaks a respected limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from solver.domain.clearing import buy_for_sell, respects_limit, sell_for_buy

amounts = st.integers(1, 2**112)
prices = st.integers(1, 2**128)


@given(executed=amounts, p_sell=prices, p_buy=prices)
def test_buy_for_sell_is_the_smallest_amount_worth_at_least_the_sell(executed: int, p_sell: int, p_buy: int) -> None:
    buy = buy_for_sell(executed, p_sell, p_buy)
    assert buy * p_buy >= executed * p_sell
    assert (buy - 1) * p_buy < executed * p_sell


@given(executed=amounts, p_sell=prices, p_buy=prices)
def test_sell_for_buy_is_the_largest_amount_worth_at_most_the_buy(executed: int, p_sell: int, p_buy: int) -> None:
    sell = sell_for_buy(executed, p_sell, p_buy)
    assert sell * p_sell <= executed * p_buy
    assert (sell + 1) * p_sell > executed * p_buy


@given(sell_amount=amounts, buy_amount=amounts, executed=amounts, p_sell=prices, p_buy=prices)
def test_owner_never_gets_less_than_the_limit_rate(
    sell_amount: int, buy_amount: int, executed: int, p_sell: int, p_buy: int
) -> None:
    if not respects_limit(sell_amount, buy_amount, p_sell, p_buy):
        return
    got = buy_for_sell(executed, p_sell, p_buy)
    assert got * sell_amount >= executed * buy_amount  # sell intent
    paid = sell_for_buy(executed, p_sell, p_buy)
    assert paid * buy_amount <= executed * sell_amount  # buy intent


def test_limit_is_met_exactly_at_the_signed_rate() -> None:
    assert respects_limit(10**18, 3_000 * 10**6, 3_000 * 10**6, 10**18)
    assert not respects_limit(10**18, 3_000 * 10**6 + 1, 3_000 * 10**6, 10**18)
