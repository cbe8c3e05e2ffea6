"""Executed amounts and limit checks at uniform clearing prices, exactly as ClearingLib.sol computes them.

A token's clearing price is its value in a common unit per base unit: one base unit of sell token buys
p_sell / p_buy base units of buy token. Every rounding favours the intent's owner.
"""

from __future__ import annotations

from .intent import Intent, IntentKind


def respects_limit(sell_amount: int, buy_amount: int, p_sell: int, p_buy: int) -> bool:
    """sell_amount * p_sell >= buy_amount * p_buy: the owner gets at least the signed rate."""
    return sell_amount * p_sell >= buy_amount * p_buy


def mul_div_up(a: int, b: int, d: int) -> int:
    return -((-a * b) // d)


def buy_for_sell(executed_sell: int, p_sell: int, p_buy: int) -> int:
    """Buy units owed for executed_sell of a sell intent; rounds up, in favour of the owner."""
    return mul_div_up(executed_sell, p_sell, p_buy)


def sell_for_buy(executed_buy: int, p_sell: int, p_buy: int) -> int:
    """Sell units charged for executed_buy of a buy intent; rounds down, in favour of the owner."""
    return executed_buy * p_buy // p_sell


def executed_amounts(intent: Intent, executed_amount: int, p_sell: int, p_buy: int) -> tuple[int, int]:
    """(executed sell, executed buy) for `executed_amount` of the intent's exact side."""
    if intent.kind is IntentKind.SELL:
        return executed_amount, buy_for_sell(executed_amount, p_sell, p_buy)
    return sell_for_buy(executed_amount, p_sell, p_buy), executed_amount
