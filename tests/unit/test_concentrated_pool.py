"""A V3 pool snapshot swaps as UniswapV3Pool.swap: never better than exact real arithmetic, and only by rounding.

The on-chain tests (tests/adapters/test_v3_math_on_chain.py) pin the results to QuoterV2 to the wei;
these check the swap loop on random pools against an independent rational-number model of the same
liquidity, plus the loop's own rules (word-boundary steps, price limits, snapshot windows).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from solver.domain.liquidity import Pool
from solver.domain.liquidity.concentrated import (
    DEFAULT_LIMIT_ONE_FOR_ZERO,
    DEFAULT_LIMIT_ZERO_FOR_ONE,
    ConcentratedLiquidityPool,
    OutsideSnapshot,
    initialized_ticks,
    word_range,
)
from solver.domain.liquidity.v3_math import (
    MAX_TICK,
    MIN_TICK,
    PIPS,
    Q96,
    V3MathError,
    bitmap_from_ticks,
    get_sqrt_ratio_at_tick,
)

TOKEN0, TOKEN1 = "0x" + "00" * 19 + "0a", "0x" + "00" * 19 + "0b"
TIERS = [(1, 100), (10, 500), (60, 3000), (200, 10_000)]  # (tick spacing, fee in pips)


@dataclass(frozen=True)
class Position:
    lower: int
    upper: int
    liquidity: int


def make_pool(spacing: int, fee: int, positions: list[Position], sqrt_price_x96: int) -> ConcentratedLiquidityPool:
    """The pool these positions make, at `sqrt_price_x96` (ticks and in-range liquidity as the pool books them)."""
    nets: dict[int, int] = defaultdict(int)
    for p in positions:
        nets[p.lower] += p.liquidity
        nets[p.upper] -= p.liquidity
    probe = ConcentratedLiquidityPool.from_ticks("pool", TOKEN0, TOKEN1, fee, spacing, sqrt_price_x96, 0, {})
    tick = probe.tick
    liquidity = sum(p.liquidity for p in positions if p.lower <= tick < p.upper)
    return ConcentratedLiquidityPool.from_ticks("pool", TOKEN0, TOKEN1, fee, spacing, sqrt_price_x96, liquidity, nets)


def full_range(spacing: int) -> tuple[int, int]:
    return -(MAX_TICK // spacing) * spacing, (MAX_TICK // spacing) * spacing


@st.composite
def random_pools(draw: st.DrawFn) -> ConcentratedLiquidityPool:
    spacing, fee = draw(st.sampled_from(TIERS))
    center = draw(st.integers(-200_000, 200_000))
    low, high = full_range(spacing)
    positions = [Position(low, high, draw(st.integers(10**9, 10**22)))]  # always some liquidity everywhere
    for _ in range(draw(st.integers(0, 5))):
        a = draw(st.integers(-300, 300)) * spacing + center // spacing * spacing
        b = a + draw(st.integers(1, 300)) * spacing
        positions.append(Position(max(a, low), min(b, high), draw(st.integers(10**9, 10**24))))
    tick = draw(st.integers(center - 30 * spacing, center + 30 * spacing))
    sqrt_price = draw(st.integers(get_sqrt_ratio_at_tick(tick), get_sqrt_ratio_at_tick(tick + 1) - 1))
    return make_pool(spacing, fee, positions, sqrt_price)


def ideal_amount_out(pool: ConcentratedLiquidityPool, zero_for_one: bool, amount_in: int) -> Fraction:
    """Exact real-number output for `amount_in` (fee proportional, no rounding) over the same liquidity."""
    net = Fraction(amount_in * (PIPS - pool.fee), PIPS)
    s, liquidity, out = Fraction(pool.sqrt_price_x96, Q96), pool.liquidity, Fraction(0)
    if zero_for_one:
        stops = sorted((t for t in pool.ticks if t <= pool.tick), reverse=True)
        limit = DEFAULT_LIMIT_ZERO_FOR_ONE
    else:
        stops = sorted(t for t in pool.ticks if t > pool.tick)
        limit = DEFAULT_LIMIT_ONE_FOR_ZERO
    for stop in [*stops, None]:
        target = Fraction(limit if stop is None else get_sqrt_ratio_at_tick(stop), Q96)
        if liquidity:
            need = liquidity * (1 / target - 1 / s) if zero_for_one else liquidity * (target - s)
            if net < need:
                after = 1 / (1 / s + net / liquidity) if zero_for_one else s + net / liquidity
                return out + (liquidity * (s - after) if zero_for_one else liquidity * (1 / s - 1 / after))
            out += liquidity * (s - target) if zero_for_one else liquidity * (1 / s - 1 / target)
            net -= need
        if stop is None:
            return out
        s = target
        liquidity += -pool.ticks[stop] if zero_for_one else pool.ticks[stop]
    return out


@settings(max_examples=300, deadline=None)
@given(pool=random_pools(), zero_for_one=st.booleans(), amount_exponent=st.integers(0, 30), mantissa=st.integers(1, 9))
def test_the_pool_never_pays_more_than_exact_arithmetic_and_loses_only_rounding(
    pool: ConcentratedLiquidityPool, zero_for_one: bool, amount_exponent: int, mantissa: int
) -> None:
    amount = mantissa * 10**amount_exponent
    token_in = TOKEN0 if zero_for_one else TOKEN1
    result = pool.swap(token_in, amount)
    ideal = ideal_amount_out(pool, zero_for_one, amount)
    event(f"initialized ticks crossed: {min(result.ticks_crossed, 3)}+, word boundaries: {min(result.boundaries, 1)}+")
    assert result.amount_out <= ideal
    # Each step rounds its input and fee up by under a wei each and its output down by under a wei; a wei
    # of input is worth at most the starting rate of output (the rate only worsens along the swap).
    price = Fraction(pool.sqrt_price_x96, Q96) ** 2
    rate = price if zero_for_one else 1 / price
    assert ideal - result.amount_out <= result.steps * (3 * rate + 1) + ideal / 10**12


@settings(max_examples=100, deadline=None)
@given(pool=random_pools(), zero_for_one=st.booleans(), a=st.integers(1, 10**24), b=st.integers(1, 10**24))
def test_more_input_never_buys_less_output(pool: ConcentratedLiquidityPool, zero_for_one: bool, a: int, b: int) -> None:
    token_in = TOKEN0 if zero_for_one else TOKEN1
    small, large = sorted((a, b))
    assert pool.amount_out(token_in, small) <= pool.amount_out(token_in, large)


@settings(max_examples=100, deadline=None)
@given(pool=random_pools(), zero_for_one=st.booleans(), amount_in=st.integers(10**6, 10**22))
def test_an_exact_output_swap_of_what_an_input_buys_costs_at_most_that_input(
    pool: ConcentratedLiquidityPool, zero_for_one: bool, amount_in: int
) -> None:
    token_in = TOKEN0 if zero_for_one else TOKEN1
    bought = pool.swap(token_in, amount_in)
    assume(bought.amount_out > 0 and bought.amount_in == amount_in)
    cost = pool.amount_in(token_in, bought.amount_out)
    # Both directions round per step, in the pool's favour; one base unit of output rounded at a step can
    # cost up to the price (input units per output unit) at that step, so a multi-step exact-output swap
    # may cost slightly more than the exact input that bought the same output.
    price = Fraction(bought.sqrt_price_x96**2, 2**192)  # token1 per token0 at the end: the extreme step
    per_output_unit = price if not zero_for_one else 1 / price
    assert cost <= amount_in + bought.steps * (math.ceil(per_output_unit) + 1)
    assert pool.amount_out(token_in, cost) >= bought.amount_out


def test_a_swap_stops_at_every_bitmap_word_boundary_even_with_no_tick_there() -> None:
    spacing = 60
    pool = make_pool(spacing, 3000, [Position(*full_range(spacing), 10**20)], Q96)  # tick 0, word 0
    # Push the price past three word boundaries (a word is 256 * 60 ticks) going up, through empty words.
    target_tick = 3 * 256 * spacing + 100
    needed = 10**20 * (get_sqrt_ratio_at_tick(target_tick) - Q96) // Q96 * PIPS // (PIPS - 3000)
    result = pool.swap(TOKEN1, needed)
    assert result.crossed == ()
    assert result.boundaries == 3
    assert result.steps == 4
    assert result.tick >= 3 * 256 * spacing


def test_crossing_an_initialized_tick_down_subtracts_its_liquidity_net_and_up_adds_it() -> None:
    spacing = 10
    inner = Position(-100, 100, 10**21)
    pool = make_pool(spacing, 500, [Position(*full_range(spacing), 10**18), inner], Q96)
    assert pool.liquidity == 10**18 + 10**21
    down = pool.swap(TOKEN0, 10**22)
    assert down.crossed == (-100,) and down.liquidity == 10**18
    up = pool.swap(TOKEN1, 10**22)
    assert up.crossed == (100,) and up.liquidity == 10**18
    assert down.tick < -100 and up.tick >= 100


def test_after_a_downward_crossing_the_tick_is_one_below_the_crossed_tick() -> None:
    spacing = 10
    pool = make_pool(spacing, 500, [Position(*full_range(spacing), 10**18), Position(-100, 100, 10**21)], Q96)
    limit = get_sqrt_ratio_at_tick(-100)
    result = pool.swap(TOKEN0, 10**24, limit)  # stops exactly on tick -100's price, after crossing it
    assert result.sqrt_price_x96 == limit
    assert result.tick == -101  # the pool's convention: the price sits on -100, the tick is below it
    assert result.amount_in < 10**24  # the limit stopped the swap: only part of the input was used
    assert result.crossed == (-100,)


def test_chained_swaps_continue_from_the_state_the_first_left() -> None:
    pool = make_pool(60, 3000, [Position(*full_range(60), 10**20), Position(-600, 600, 10**22)], Q96)
    first = pool.swap(TOKEN0, 10**21)
    moved = pool.after(first)
    assert (moved.sqrt_price_x96, moved.tick, moved.liquidity) == (first.sqrt_price_x96, first.tick, first.liquidity)
    back = moved.swap(TOKEN1, first.amount_out)
    assert back.amount_out < first.amount_in  # a round trip pays two fees
    assert moved.ticks is pool.ticks and moved.bitmap is pool.bitmap


def test_a_price_limit_on_the_wrong_side_reverts_like_the_pool() -> None:
    pool = make_pool(60, 3000, [Position(*full_range(60), 10**20)], Q96)
    with pytest.raises(V3MathError, match="SPL"):
        pool.swap(TOKEN0, 10**18, Q96 + 1)
    with pytest.raises(V3MathError, match="SPL"):
        pool.swap(TOKEN1, 10**18, Q96 - 1)
    with pytest.raises(V3MathError, match="AS"):
        pool.swap(TOKEN1, 0)


def test_an_exact_output_larger_than_the_pool_can_pay_raises() -> None:
    pool = make_pool(60, 3000, [Position(-600, 600, 10**18)], Q96)
    with pytest.raises(ValueError, match="can pay only"):
        pool.amount_in(TOKEN0, 10**30)


def test_a_windowed_snapshot_refuses_to_walk_out_of_its_words() -> None:
    spacing = 1
    full = make_pool(spacing, 100, [Position(*full_range(spacing), 10**20)], Q96)
    windowed = ConcentratedLiquidityPool(
        full.address, TOKEN0, TOKEN1, 100, spacing, full.sqrt_price_x96, full.tick, full.liquidity,
        full.ticks, full.bitmap, (-1, 0),
    )  # fmt: skip
    small = windowed.swap(TOKEN0, 10**15)
    assert small == full.swap(TOKEN0, 10**15)
    with pytest.raises(OutsideSnapshot):
        windowed.swap(TOKEN0, 10**19)  # walks below word -1


def test_pool_protocol_basics() -> None:
    pool: Pool = make_pool(60, 3000, [Position(*full_range(60), 10**20)], Q96)
    assert pool.amount_out(TOKEN0, 0) == 0
    assert pool.amount_out(TOKEN0, 10**6) == pool.amount_out(TOKEN1, 10**6) == 10**6 * 997 // 1000 - 1
    with pytest.raises(ValueError, match="not in pool"):
        pool.amount_out("0xdead", 1)


def test_the_bitmap_lists_back_the_initialized_ticks_in_order() -> None:
    ticks = {-887220, -120, -60, 0, 60, 15360, 887220}
    assert list(initialized_ticks(bitmap_from_ticks(ticks, 60), 60)) == sorted(ticks)


def test_the_word_range_covers_min_and_max_tick() -> None:
    assert word_range(1) == (MIN_TICK >> 8, (MAX_TICK + 1) >> 8) == (-3466, 3465)
    assert word_range(60) == (-58, 57)
