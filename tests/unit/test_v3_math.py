"""Uniswap V3 core math: v3-core's own test vectors, and properties that must hold for every input."""

from __future__ import annotations

from decimal import Decimal, localcontext
from math import isqrt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.domain.liquidity.v3_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MAX_UINT128,
    MAX_UINT160,
    MAX_UINT256,
    MIN_SQRT_RATIO,
    MIN_TICK,
    PIPS,
    Q96,
    V3MathError,
    add_delta,
    bitmap_from_ticks,
    compress,
    compute_swap_step,
    get_amount0_delta,
    get_amount1_delta,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    mul_div,
    mul_div_rounding_up,
    next_initialized_tick_within_one_word,
    sdiv,
    smod,
)

E18 = 10**18
ticks = st.integers(MIN_TICK, MAX_TICK)
sqrt_prices = st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1)
spacings = st.sampled_from([1, 10, 60, 200])


def encode_price_sqrt(reserve1: int, reserve0: int) -> int:
    """v3-core tests' encodePriceSqrt: floor(sqrt(reserve1 / reserve0) * 2**96)."""
    return isqrt(reserve1 * 2**192 // reserve0)


# --- Solidity integer semantics ---


@given(a=st.integers(-(2**23), 2**23), b=st.integers(-(2**23), 2**23).filter(bool))
def test_signed_division_truncates_toward_zero_and_the_remainder_takes_the_dividends_sign(a: int, b: int) -> None:
    q, r = sdiv(a, b), smod(a, b)
    assert q * b + r == a
    assert abs(r) < abs(b)
    assert r == 0 or (r > 0) == (a > 0)
    assert q == int(a / b) if abs(a) < 2**52 else True


def test_signed_division_of_negative_ticks_differs_from_floor_division() -> None:
    assert (sdiv(-5, 2), smod(-5, 2)) == (-2, -1)
    assert (-5 // 2, -5 % 2) == (-3, 1)


@given(tick=ticks, spacing=spacings)
def test_compressing_a_tick_rounds_toward_negative_infinity(tick: int, spacing: int) -> None:
    assert compress(tick, spacing) == tick // spacing


@given(a=st.integers(0, MAX_UINT256), b=st.integers(0, MAX_UINT256), d=st.integers(1, MAX_UINT256))
def test_mul_div_is_the_floor_and_mul_div_rounding_up_the_ceiling_of_the_512_bit_quotient(
    a: int, b: int, d: int
) -> None:
    if a * b // d > MAX_UINT256:
        with pytest.raises(V3MathError):
            mul_div(a, b, d)
        return
    down = mul_div(a, b, d)
    assert down * d <= a * b < (down + 1) * d
    if -(-a * b // d) > MAX_UINT256:
        with pytest.raises(V3MathError):
            mul_div_rounding_up(a, b, d)
        return
    up = mul_div_rounding_up(a, b, d)
    assert up == down + (1 if a * b % d else 0)


def test_full_math_vectors_from_v3_core() -> None:
    q128 = 2**128
    assert mul_div(MAX_UINT256, MAX_UINT256, MAX_UINT256) == MAX_UINT256
    assert mul_div(q128, 50 * q128 // 100, 150 * q128 // 100) == q128 // 3
    assert mul_div(q128, 35 * q128, 8 * q128) == 4375 * q128 // 1000
    assert mul_div(q128, 1000 * q128, 3000 * q128) == q128 // 3
    assert mul_div_rounding_up(q128, 1000 * q128, 3000 * q128) == q128 // 3 + 1
    with pytest.raises(V3MathError):
        mul_div(q128, 5, 0)
    with pytest.raises(V3MathError):
        mul_div(q128, q128, 1)
    with pytest.raises(V3MathError):
        mul_div_rounding_up(535006138814359, 432862656469423142931042426214547535783388063929571229938474969, 2)


# --- TickMath ---


def test_sqrt_ratio_at_the_tick_bounds_matches_v3_core() -> None:
    assert get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO == 4295128739
    assert get_sqrt_ratio_at_tick(MIN_TICK + 1) == 4295343490
    assert get_sqrt_ratio_at_tick(MAX_TICK - 1) == 1461373636630004318706518188784493106690254656249
    assert get_sqrt_ratio_at_tick(MAX_TICK) == MAX_SQRT_RATIO == 1461446703485210103287273052203988822378723970342
    assert get_sqrt_ratio_at_tick(0) == Q96


@pytest.mark.parametrize("tick", [MIN_TICK - 1, MAX_TICK + 1])
def test_sqrt_ratio_outside_the_tick_bounds_reverts(tick: int) -> None:
    with pytest.raises(V3MathError, match="T"):
        get_sqrt_ratio_at_tick(tick)


def test_tick_at_the_ratio_bounds_matches_v3_core() -> None:
    assert get_tick_at_sqrt_ratio(MIN_SQRT_RATIO) == MIN_TICK
    assert get_tick_at_sqrt_ratio(4295343490) == MIN_TICK + 1
    assert get_tick_at_sqrt_ratio(1461373636630004318706518188784493106690254656249) == MAX_TICK - 1
    assert get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - 1) == MAX_TICK - 1


@pytest.mark.parametrize("ratio", [MIN_SQRT_RATIO - 1, MAX_SQRT_RATIO])
def test_tick_outside_the_ratio_bounds_reverts(ratio: int) -> None:
    with pytest.raises(V3MathError, match="R"):
        get_tick_at_sqrt_ratio(ratio)


@pytest.mark.parametrize(
    "ratio",
    [encode_price_sqrt(10**12, 1), encode_price_sqrt(10**6, 1), encode_price_sqrt(1, 64), encode_price_sqrt(1, 8),
     encode_price_sqrt(1, 2), encode_price_sqrt(1, 1), encode_price_sqrt(2, 1), encode_price_sqrt(8, 1),
     encode_price_sqrt(64, 1), encode_price_sqrt(1, 10**6), encode_price_sqrt(1, 10**12)],
)  # fmt: skip
def test_tick_at_v3_cores_sample_ratios_is_within_one_of_the_real_logarithm(ratio: int) -> None:
    tick = get_tick_at_sqrt_ratio(ratio)
    with localcontext() as ctx:
        ctx.prec = 60
        exact = ((Decimal(ratio) / Decimal(2**96)) ** 2).ln() / Decimal("1.0001").ln()
    assert abs(tick - int(exact.to_integral_value(rounding="ROUND_FLOOR"))) <= 1
    assert get_sqrt_ratio_at_tick(tick) <= ratio < get_sqrt_ratio_at_tick(tick + 1)


@given(tick=st.integers(MIN_TICK, MAX_TICK - 1))
def test_sqrt_ratio_at_tick_strictly_increases_with_the_tick(tick: int) -> None:
    assert get_sqrt_ratio_at_tick(tick) < get_sqrt_ratio_at_tick(tick + 1)


@given(tick=st.integers(MIN_TICK, MAX_TICK - 1))
def test_the_tick_of_a_ticks_sqrt_ratio_is_that_tick(tick: int) -> None:
    assert get_tick_at_sqrt_ratio(get_sqrt_ratio_at_tick(tick)) == tick


@given(ratio=sqrt_prices)
def test_the_tick_at_a_ratio_is_the_greatest_tick_whose_ratio_does_not_exceed_it(ratio: int) -> None:
    tick = get_tick_at_sqrt_ratio(ratio)
    assert get_sqrt_ratio_at_tick(tick) <= ratio
    assert tick == MAX_TICK - 1 or ratio < get_sqrt_ratio_at_tick(tick + 1)


@given(a=sqrt_prices, b=sqrt_prices)
def test_tick_at_sqrt_ratio_never_decreases_as_the_ratio_grows(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert get_tick_at_sqrt_ratio(low) <= get_tick_at_sqrt_ratio(high)


@settings(max_examples=50)
@given(tick=st.integers(-400_000, 400_000))
def test_sqrt_ratio_at_tick_is_within_a_hundredth_of_a_bip_of_the_real_value(tick: int) -> None:
    with localcontext() as ctx:
        ctx.prec = 80
        exact = Decimal("1.0001") ** tick
        exact = exact.sqrt() * Decimal(2**96)
    assert abs(Decimal(get_sqrt_ratio_at_tick(tick)) - exact) / exact < Decimal("1e-6")


# --- SqrtPriceMath: v3-core's SqrtPriceMath.spec.ts vectors ---


def test_next_price_from_input_matches_v3_core() -> None:
    one = encode_price_sqrt(1, 1)
    assert get_next_sqrt_price_from_input(one, E18, E18 // 10, False) == 87150978765690771352898345369
    assert get_next_sqrt_price_from_input(one, E18, E18 // 10, True) == 72025602285694852357767227579
    assert get_next_sqrt_price_from_input(one, 10 * E18, 2**100, True) == 624999999995069620
    assert get_next_sqrt_price_from_input(one, 1, MAX_UINT256 // 2, True) == 1
    assert get_next_sqrt_price_from_input(1, 1, 2**255, True) == 1  # any input: the price cannot underflow
    assert get_next_sqrt_price_from_input(one, E18 // 10, 0, True) == one
    assert get_next_sqrt_price_from_input(one, E18 // 10, 0, False) == one
    liquidity = MAX_UINT128
    max_amount_no_overflow = MAX_UINT256 - (liquidity << 96) // MAX_UINT160
    assert get_next_sqrt_price_from_input(MAX_UINT160, liquidity, max_amount_no_overflow, True) == 1


def test_next_price_from_input_reverts_on_zero_price_zero_liquidity_or_price_overflow() -> None:
    with pytest.raises(V3MathError):
        get_next_sqrt_price_from_input(0, 1, E18 // 10, False)
    with pytest.raises(V3MathError):
        get_next_sqrt_price_from_input(1, 0, E18 // 10, True)
    with pytest.raises(V3MathError):
        get_next_sqrt_price_from_input(MAX_UINT160, 1024, 1024, False)


def test_next_price_from_output_matches_v3_core() -> None:
    one = encode_price_sqrt(1, 1)
    assert get_next_sqrt_price_from_output(one, E18, E18 // 10, False) == 88031291682515930659493278152
    assert get_next_sqrt_price_from_output(one, E18, E18 // 10, True) == 71305346262837903834189555302
    price = 20282409603651670423947251286016
    assert get_next_sqrt_price_from_output(price, 1024, 262143, True) == 77371252455336267181195264
    assert get_next_sqrt_price_from_output(one, E18 // 10, 0, True) == one


@pytest.mark.parametrize(
    ("amount_out", "zero_for_one"), [(4, False), (5, False), (262144, True), (262145, True)]
)  # fmt: skip
def test_taking_out_the_virtual_reserves_or_more_reverts(amount_out: int, zero_for_one: bool) -> None:
    with pytest.raises(V3MathError):
        get_next_sqrt_price_from_output(20282409603651670423947251286016, 1024, amount_out, zero_for_one)


@pytest.mark.parametrize("zero_for_one", [True, False])
def test_an_impossible_output_reverts(zero_for_one: bool) -> None:
    with pytest.raises(V3MathError):
        get_next_sqrt_price_from_output(encode_price_sqrt(1, 1), 1, MAX_UINT256, zero_for_one)


def test_amount_deltas_match_v3_core() -> None:
    one, p121 = encode_price_sqrt(1, 1), encode_price_sqrt(121, 100)
    assert get_amount0_delta(one, encode_price_sqrt(2, 1), 0, True) == 0
    assert get_amount0_delta(one, one, E18, True) == 0
    assert get_amount0_delta(one, p121, E18, True) == 90909090909090910
    assert get_amount0_delta(one, p121, E18, False) == 90909090909090909
    assert get_amount1_delta(one, p121, E18, True) == 100000000000000000
    assert get_amount1_delta(one, p121, E18, False) == 99999999999999999
    high, low = encode_price_sqrt(2**96, 1), encode_price_sqrt(2**90, 1)  # the products overflow 256 bits
    assert get_amount0_delta(low, high, E18, True) == get_amount0_delta(low, high, E18, False) + 1


def test_amount0_rounding_up_rounds_each_of_its_two_divisions_up() -> None:
    # divRoundingUp(mulDivRoundingUp(2**97, 1, 3), 2): 2**97 / 3 = ...890.67 -> ...891, / 2 = ...445.5 -> ...446.
    # Rounding only the last division up would give ...890 / 2 = ...445 exactly.
    assert get_amount0_delta(2, 3, 2, True) == 26409387504754779197847983446
    assert get_amount0_delta(2, 3, 2, False) == 26409387504754779197847983445


def test_a_swap_of_406_token0_matches_v3_core() -> None:
    sqrt_p = 1025574284609383690408304870162715216695788925244
    liquidity = 50015962439936049619261659728067971248
    sqrt_q = get_next_sqrt_price_from_input(sqrt_p, liquidity, 406, True)
    assert sqrt_q == 1025574284609383582644711336373707553698163132913
    assert get_amount0_delta(sqrt_q, sqrt_p, liquidity, True) == 406


# --- SwapMath: v3-core's SwapMath.spec.ts vectors ---


@pytest.mark.parametrize(
    ("target", "amount", "expected"),
    [
        (encode_price_sqrt(101, 100), E18, (9975124224178055, 9925619580021728, 5988667735148)),
        (encode_price_sqrt(101, 100), -E18, (9975124224178055, 9925619580021728, 5988667735148)),
        (encode_price_sqrt(1000, 100), E18, (999400000000000000, 666399946655997866, 600000000000000)),
        (encode_price_sqrt(10000, 100), -E18, (2000000000000000000, E18, 1200720432259356)),
    ],
)
def test_compute_swap_step_one_for_zero_matches_v3_core(
    target: int, amount: int, expected: tuple[int, int, int]
) -> None:
    price, liquidity = encode_price_sqrt(1, 1), 2 * E18
    sqrt_q, amount_in, amount_out, fee = compute_swap_step(price, target, liquidity, amount, 600)
    assert (amount_in, amount_out, fee) == expected
    capped = expected[0] < 10**17
    assert (sqrt_q == target) is capped
    if amount > 0 and not capped:
        assert sqrt_q == get_next_sqrt_price_from_input(price, liquidity, amount - fee, False)
    if amount < 0 and not capped:
        assert sqrt_q == get_next_sqrt_price_from_output(price, liquidity, -amount, False)


def test_compute_swap_step_edge_cases_match_v3_core() -> None:
    # the amount out is capped at the desired amount out
    assert compute_swap_step(
        417332158212080721273783715441582, 1452870262520218020823638996, 159344665391607089467575320103, -1, 1
    ) == (417332158212080721273783715441581, 1, 1, 1)
    # a target price of 1 uses part of the input
    assert compute_swap_step(2, 1, 1, 3915081100057732413702495386755767, 1) == (
        1, 39614081257132168796771975168, 0, 39614120871253040049813
    )  # fmt: skip
    # the entire input is taken as fee
    assert compute_swap_step(2413, 79887613182836312, 1985041575832132834610021537970, 10, 1872) == (2413, 0, 0, 10)
    # intermediate insufficient liquidity, exact output, both directions
    sqrt_p = 20282409603651670423947251286016
    assert compute_swap_step(sqrt_p, sqrt_p * 11 // 10, 1024, -4, 3000) == (sqrt_p * 11 // 10, 26215, 0, 79)
    assert compute_swap_step(sqrt_p, sqrt_p * 9 // 10, 1024, -263000, 3000) == (sqrt_p * 9 // 10, 1, 26214, 1)


# Prices away from the extremes so that random liquidity and amounts stay inside uint256 math.
step_prices = st.integers(get_sqrt_ratio_at_tick(-400_000), get_sqrt_ratio_at_tick(400_000))
fees = st.sampled_from([1, 100, 500, 3000, 10_000, 100_000, 999_999])


@given(current=step_prices, target=step_prices, liquidity=st.integers(1, MAX_UINT128),
       remaining=st.integers(1, 2**200), fee=fees)  # fmt: skip
def test_an_exact_input_step_never_spends_more_than_remains_nor_passes_the_target(
    current: int, target: int, liquidity: int, remaining: int, fee: int
) -> None:
    sqrt_q, amount_in, amount_out, fee_amount = compute_swap_step(current, target, liquidity, remaining, fee)
    assert amount_in + fee_amount <= remaining
    assert min(current, target) <= sqrt_q <= max(current, target)
    if sqrt_q != target:  # stopped short: the whole input is used
        assert amount_in + fee_amount == remaining
    zero_for_one = current >= target
    # input rounds up, output rounds down: the step never pays more than the price move is worth
    if zero_for_one:
        assert amount_in >= get_amount0_delta(sqrt_q, current, liquidity, False)
        assert amount_out <= get_amount1_delta(sqrt_q, current, liquidity, False)
    else:
        assert amount_in >= get_amount1_delta(current, sqrt_q, liquidity, False)
        assert amount_out <= get_amount0_delta(current, sqrt_q, liquidity, False)
    assert fee_amount * (PIPS - fee) >= amount_in * fee  # the fee is at least the fee rate of the input


@given(current=step_prices, target=step_prices, liquidity=st.integers(1, MAX_UINT128),
       remaining=st.integers(1, 2**200), fee=fees)  # fmt: skip
def test_an_exact_output_step_never_pays_more_than_asked_nor_passes_the_target(
    current: int, target: int, liquidity: int, remaining: int, fee: int
) -> None:
    sqrt_q, _amount_in, amount_out, _fee_amount = compute_swap_step(current, target, liquidity, -remaining, fee)
    assert amount_out <= remaining
    assert min(current, target) <= sqrt_q <= max(current, target)
    if sqrt_q != target:
        assert amount_out == remaining


# --- TickBitmap ---


def reference_next_tick(initialized: set[int], tick: int, spacing: int, lte: bool) -> tuple[int, bool]:
    """The definition of nextInitializedTickWithinOneWord, by search over the set, with floor division."""
    compressed = tick // spacing
    if lte:
        word = compressed // 256
        candidates = [t for t in initialized if t // spacing // 256 == word and t <= tick]
        return (max(candidates), True) if candidates else (word * 256 * spacing, False)
    word = (compressed + 1) // 256
    candidates = [t for t in initialized if t // spacing // 256 == word and t > tick]
    return (min(candidates), True) if candidates else ((word * 256 + 255) * spacing, False)


@given(
    spacing=spacings,
    compressed=st.sets(st.integers(-1200, 1200), max_size=40),
    tick=st.integers(-1200 * 200, 1200 * 200),
    lte=st.booleans(),
)
def test_next_initialized_tick_within_one_word_finds_the_nearest_flag_in_the_word(
    spacing: int, compressed: set[int], tick: int, lte: bool
) -> None:
    initialized = {c * spacing for c in compressed}
    bitmap = bitmap_from_ticks(initialized, spacing)
    assert next_initialized_tick_within_one_word(bitmap, tick, spacing, lte) == reference_next_tick(
        initialized, tick, spacing, lte
    )


def test_next_initialized_tick_handles_negative_ticks_between_spacings() -> None:
    bitmap = bitmap_from_ticks({-120, -60, 60}, 60)
    assert next_initialized_tick_within_one_word(bitmap, -61, 60, True) == (-120, True)  # -61 // 60 = -2
    assert next_initialized_tick_within_one_word(bitmap, -60, 60, True) == (-60, True)
    assert next_initialized_tick_within_one_word(bitmap, -61, 60, False) == (-60, True)
    assert next_initialized_tick_within_one_word(bitmap, -1, 60, False) == (60, True)
    assert next_initialized_tick_within_one_word(bitmap, 59, 60, True) == (0, False)  # -60 is in word -1
    # word -1 holds compressed ticks -256..-1: going down from -121 finds nothing else there
    assert next_initialized_tick_within_one_word(bitmap, -121, 60, True) == (-256 * 60, False)
    # word 0 holds 0..255: going up from 60 stops at the word's last tick
    assert next_initialized_tick_within_one_word(bitmap, 60, 60, False) == (255 * 60, False)


def test_a_tick_off_the_spacing_cannot_be_flagged() -> None:
    with pytest.raises(V3MathError):
        bitmap_from_ticks({61}, 60)


def test_liquidity_cannot_go_below_zero_or_above_uint128() -> None:
    assert add_delta(5, -5) == 0
    with pytest.raises(V3MathError, match="LS"):
        add_delta(5, -6)
    with pytest.raises(V3MathError, match="LA"):
        add_delta(MAX_UINT128, 1)
