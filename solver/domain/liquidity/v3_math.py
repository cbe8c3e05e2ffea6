"""Uniswap V3 core math in exact integers, step for step as v3-core's libraries compute it.

Written from the Solidity of @uniswap/v3-core 1.0 (contracts/libraries): FullMath, UnsafeMath, TickMath,
SqrtPriceMath, SwapMath, TickBitmap, BitMath, LiquidityMath. Python ints do not overflow, so wherever the
Solidity result depends on a 256-bit overflow (a `require` that reverts, or a branch taken on overflow)
the check is spelled out; every `require` that can fail raises `V3MathError`.

Units: sqrt prices are Q64.96 fixed point (sqrt(token1 base units per token0 base unit) * 2**96, a
uint160); liquidity is a uint128 (sqrt(x * y) of virtual reserves in base units); token amounts are base
units; fees are in hundredths of a bip (pips: 3000 = 0.3 %). Ticks are int24, price = 1.0001**tick.
Solidity's signed `/` and `%` truncate toward zero; Python's `//` and `%` floor: `sdiv`/`smod` mirror
Solidity where the two differ for negative ticks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MIN_TICK = -887272  # TickMath.MIN_TICK: log base sqrt(1.0001) of 2**-64, rounded
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739  # getSqrtRatioAtTick(MIN_TICK)
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342  # getSqrtRatioAtTick(MAX_TICK)

Q96 = 1 << 96  # FixedPoint96.Q96
RESOLUTION = 96
PIPS = 1_000_000  # fee denominator: 1e6 pips = 100 %
MAX_UINT128 = (1 << 128) - 1
MAX_UINT160 = (1 << 160) - 1
MAX_UINT256 = (1 << 256) - 1


class V3MathError(ArithmeticError):
    """A `require` of the Solidity code fails: the on-chain call would revert."""


# --- Solidity integer semantics -------------------------------------------------------------------------


def sdiv(a: int, b: int) -> int:
    """Signed division truncating toward zero, as Solidity's `/` on intN."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def smod(a: int, b: int) -> int:
    """Signed remainder with the sign of the dividend, as Solidity's `%` on intN (a == sdiv(a, b) * b + smod)."""
    return a - sdiv(a, b) * b


# --- FullMath / UnsafeMath ------------------------------------------------------------------------------


def mul_div(a: int, b: int, denominator: int) -> int:
    """FullMath.mulDiv: floor(a * b / denominator) with a 512-bit product; reverts if the result needs > 256 bits."""
    if denominator == 0:
        raise V3MathError("mulDiv: division by zero")
    result = a * b // denominator
    if result > MAX_UINT256:
        raise V3MathError("mulDiv: result overflows uint256")
    return result


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """FullMath.mulDivRoundingUp: ceil(a * b / denominator); reverts if the result needs > 256 bits."""
    result = mul_div(a, b, denominator)
    if a * b % denominator:
        if result >= MAX_UINT256:  # require(result < type(uint256).max) before result++
            raise V3MathError("mulDivRoundingUp: result overflows uint256")
        result += 1
    return result


def div_rounding_up(x: int, y: int) -> int:
    """UnsafeMath.divRoundingUp: ceil(x / y) for unsigned x, y (y > 0; the EVM gives 0 for y == 0, never used)."""
    return x // y + (1 if x % y else 0)


# --- BitMath --------------------------------------------------------------------------------------------


def most_significant_bit(x: int) -> int:
    """BitMath.mostSignificantBit: index of the highest set bit of a uint256 x > 0 (bit 0 = least significant)."""
    if x <= 0:
        raise V3MathError("mostSignificantBit of 0")
    return x.bit_length() - 1


def least_significant_bit(x: int) -> int:
    """BitMath.leastSignificantBit: index of the lowest set bit of a uint256 x > 0."""
    if x <= 0:
        raise V3MathError("leastSignificantBit of 0")
    return (x & -x).bit_length() - 1


# --- TickMath -------------------------------------------------------------------------------------------

# 2**128 / sqrt(1.0001)**(2**i) for bits 1..19 of |tick| (Q128.128), as hard-coded in getSqrtRatioAtTick.
_RATIO_FACTORS: tuple[tuple[int, int], ...] = (
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)


def get_sqrt_ratio_at_tick(tick: int) -> int:
    """TickMath.getSqrtRatioAtTick: sqrt(1.0001**tick) * 2**96 as Q64.96, rounded up from the Q128.128 value."""
    abs_tick = -tick if tick < 0 else tick
    if abs_tick > MAX_TICK:
        raise V3MathError("T")
    ratio = 0xFFFCB933BD6FAD37AA2D162D1A594001 if abs_tick & 0x1 else 1 << 128  # Q128.128
    for bit, factor in _RATIO_FACTORS:
        if abs_tick & bit:
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = MAX_UINT256 // ratio  # invert: the factors are for negative ticks
    # Q128.128 -> Q128.96, rounding up so that getTickAtSqrtRatio(getSqrtRatioAtTick(t)) == t.
    return (ratio >> 32) + (1 if ratio & 0xFFFFFFFF else 0)


_LOG_SQRT10001_FACTOR = 255738958999603826347141  # 2**64 / log2(sqrt(1.0001)): Q64.64 log2 -> Q128.128 log_sqrt(1.0001)
_TICK_LOW_OFFSET = 3402992956809132418596140100660247210  # error bounds of the log approximation (Q128.128)
_TICK_HIGH_OFFSET = 291339464771989622907027621153398088495


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """TickMath.getTickAtSqrtRatio: the greatest tick with getSqrtRatioAtTick(tick) <= sqrt_price_x96.

    Requires MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO. log2 by the same 14 squaring rounds as the
    Solidity (so the candidates tickLow / tickHi are identical), then one getSqrtRatioAtTick to choose.
    """
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise V3MathError("R")
    ratio = sqrt_price_x96 << 32  # Q128.128
    msb = ratio.bit_length() - 1
    r = ratio >> (msb - 127) if msb >= 128 else ratio << (127 - msb)  # normalised: bit 127 set
    log_2 = (msb - 128) << 64  # Q64.64, integer part; Python's | on negatives is two's complement like the EVM's
    for shift in range(63, 49, -1):  # 14 fractional bits, as the assembly blocks
        r = (r * r) >> 127
        f = r >> 128
        log_2 |= f << shift
        r >>= f
    log_sqrt10001 = log_2 * _LOG_SQRT10001_FACTOR  # Q128.128
    tick_low = (log_sqrt10001 - _TICK_LOW_OFFSET) >> 128  # arithmetic shift: floors, as the EVM's SAR
    tick_high = (log_sqrt10001 + _TICK_HIGH_OFFSET) >> 128
    if tick_low == tick_high:
        return tick_low
    return tick_high if get_sqrt_ratio_at_tick(tick_high) <= sqrt_price_x96 else tick_low


# --- SqrtPriceMath --------------------------------------------------------------------------------------


def get_next_sqrt_price_from_amount0_rounding_up(sqrt_p_x96: int, liquidity: int, amount: int, add: bool) -> int:
    """Price after adding (removing) `amount` of token0: L * sqrtP / (L +- amount * sqrtP), rounded UP.

    Exact-input zeroForOne (price falls): rounding up moves the price less, never too much output. When
    amount * sqrtP or the denominator overflows 256 bits, Solidity switches to the less precise
    L / (L / sqrtP + amount); the same branch is taken here.
    """
    if amount == 0:
        return sqrt_p_x96
    numerator1 = liquidity << RESOLUTION
    product = amount * sqrt_p_x96
    if add:
        if product <= MAX_UINT256:
            denominator = numerator1 + product
            if denominator <= MAX_UINT256:  # always fits in 160 bits
                return mul_div_rounding_up(numerator1, sqrt_p_x96, denominator)
        fallback = numerator1 // sqrt_p_x96 + amount
        if fallback > MAX_UINT256:  # LowGasSafeMath.add
            raise V3MathError("getNextSqrtPriceFromAmount0RoundingUp: add overflow")
        return div_rounding_up(numerator1, fallback)
    if product > MAX_UINT256 or numerator1 <= product:
        raise V3MathError("getNextSqrtPriceFromAmount0RoundingUp: denominator underflow")
    result = mul_div_rounding_up(numerator1, sqrt_p_x96, numerator1 - product)
    if result > MAX_UINT160:  # SafeCast.toUint160
        raise V3MathError("getNextSqrtPriceFromAmount0RoundingUp: price overflows uint160")
    return result


def get_next_sqrt_price_from_amount1_rounding_down(sqrt_p_x96: int, liquidity: int, amount: int, add: bool) -> int:
    """Price after adding (removing) `amount` of token1: sqrtP +- amount / L, rounded DOWN.

    Adding rounds the quotient down, removing rounds it up (both keep the price low). The Solidity
    picks a shift or a mulDiv by the size of `amount`; both give the same floor/ceil of amount * 2**96 / L.
    """
    if add:
        quotient = (amount << RESOLUTION) // liquidity
        result = sqrt_p_x96 + quotient
        if result > MAX_UINT160:  # LowGasSafeMath.add then SafeCast.toUint160
            raise V3MathError("getNextSqrtPriceFromAmount1RoundingDown: price overflows uint160")
        return result
    quotient = div_rounding_up(amount << RESOLUTION, liquidity)
    if amount > MAX_UINT160 and quotient > MAX_UINT256:  # the mulDivRoundingUp branch reverts on overflow
        raise V3MathError("getNextSqrtPriceFromAmount1RoundingDown: quotient overflow")
    if sqrt_p_x96 <= quotient:
        raise V3MathError("getNextSqrtPriceFromAmount1RoundingDown: price underflow")
    return sqrt_p_x96 - quotient


def get_next_sqrt_price_from_input(sqrt_p_x96: int, liquidity: int, amount_in: int, zero_for_one: bool) -> int:
    """Price after swapping `amount_in` (fee already taken) in; rounds so the price never passes the target."""
    if sqrt_p_x96 <= 0 or liquidity <= 0:
        raise V3MathError("getNextSqrtPriceFromInput: zero price or liquidity")
    if zero_for_one:
        return get_next_sqrt_price_from_amount0_rounding_up(sqrt_p_x96, liquidity, amount_in, True)
    return get_next_sqrt_price_from_amount1_rounding_down(sqrt_p_x96, liquidity, amount_in, True)


def get_next_sqrt_price_from_output(sqrt_p_x96: int, liquidity: int, amount_out: int, zero_for_one: bool) -> int:
    """Price after taking `amount_out` out; rounds so the price moves at least far enough to pay it."""
    if sqrt_p_x96 <= 0 or liquidity <= 0:
        raise V3MathError("getNextSqrtPriceFromOutput: zero price or liquidity")
    if zero_for_one:
        return get_next_sqrt_price_from_amount1_rounding_down(sqrt_p_x96, liquidity, amount_out, False)
    return get_next_sqrt_price_from_amount0_rounding_up(sqrt_p_x96, liquidity, amount_out, False)


def get_amount0_delta(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int, round_up: bool) -> int:
    """Token0 between two prices: L * (sqrtB - sqrtA) / (sqrtB * sqrtA), in base units, rounded as asked.

    Two divisions, each rounded in the requested direction (mulDiv by sqrtB, then divide by sqrtA).
    """
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    if sqrt_ratio_a_x96 <= 0:
        raise V3MathError("getAmount0Delta: zero price")
    numerator1 = liquidity << RESOLUTION
    numerator2 = sqrt_ratio_b_x96 - sqrt_ratio_a_x96
    if round_up:
        return div_rounding_up(mul_div_rounding_up(numerator1, numerator2, sqrt_ratio_b_x96), sqrt_ratio_a_x96)
    return mul_div(numerator1, numerator2, sqrt_ratio_b_x96) // sqrt_ratio_a_x96


def get_amount1_delta(sqrt_ratio_a_x96: int, sqrt_ratio_b_x96: int, liquidity: int, round_up: bool) -> int:
    """Token1 between two prices: L * (sqrtB - sqrtA) / 2**96, in base units, rounded as asked."""
    if sqrt_ratio_a_x96 > sqrt_ratio_b_x96:
        sqrt_ratio_a_x96, sqrt_ratio_b_x96 = sqrt_ratio_b_x96, sqrt_ratio_a_x96
    if round_up:
        return mul_div_rounding_up(liquidity, sqrt_ratio_b_x96 - sqrt_ratio_a_x96, Q96)
    return mul_div(liquidity, sqrt_ratio_b_x96 - sqrt_ratio_a_x96, Q96)


# --- SwapMath -------------------------------------------------------------------------------------------


def compute_swap_step(
    sqrt_ratio_current_x96: int, sqrt_ratio_target_x96: int, liquidity: int, amount_remaining: int, fee_pips: int
) -> tuple[int, int, int, int]:
    """SwapMath.computeSwapStep: (sqrtRatioNextX96, amountIn, amountOut, feeAmount) of one step.

    The direction follows from current vs target (current >= target: zeroForOne). `amount_remaining` > = 0
    is an exact input (fee included), < 0 an exact output. Input amounts round up, output amounts round
    down, the fee rounds up; for an exact input amountIn + feeAmount never exceeds amount_remaining, and
    the next price never passes the target.
    """
    zero_for_one = sqrt_ratio_current_x96 >= sqrt_ratio_target_x96
    exact_in = amount_remaining >= 0
    amount_in = amount_out = 0

    if exact_in:
        amount_remaining_less_fee = mul_div(amount_remaining, PIPS - fee_pips, PIPS)
        amount_in = (
            get_amount0_delta(sqrt_ratio_target_x96, sqrt_ratio_current_x96, liquidity, True)
            if zero_for_one
            else get_amount1_delta(sqrt_ratio_current_x96, sqrt_ratio_target_x96, liquidity, True)
        )
        if amount_remaining_less_fee >= amount_in:
            sqrt_ratio_next_x96 = sqrt_ratio_target_x96
        else:
            sqrt_ratio_next_x96 = get_next_sqrt_price_from_input(
                sqrt_ratio_current_x96, liquidity, amount_remaining_less_fee, zero_for_one
            )
    else:
        amount_out = (
            get_amount1_delta(sqrt_ratio_target_x96, sqrt_ratio_current_x96, liquidity, False)
            if zero_for_one
            else get_amount0_delta(sqrt_ratio_current_x96, sqrt_ratio_target_x96, liquidity, False)
        )
        if -amount_remaining >= amount_out:
            sqrt_ratio_next_x96 = sqrt_ratio_target_x96
        else:
            sqrt_ratio_next_x96 = get_next_sqrt_price_from_output(
                sqrt_ratio_current_x96, liquidity, -amount_remaining, zero_for_one
            )

    reached_target = sqrt_ratio_target_x96 == sqrt_ratio_next_x96

    if zero_for_one:
        if not (reached_target and exact_in):
            amount_in = get_amount0_delta(sqrt_ratio_next_x96, sqrt_ratio_current_x96, liquidity, True)
        if not (reached_target and not exact_in):
            amount_out = get_amount1_delta(sqrt_ratio_next_x96, sqrt_ratio_current_x96, liquidity, False)
    else:
        if not (reached_target and exact_in):
            amount_in = get_amount1_delta(sqrt_ratio_current_x96, sqrt_ratio_next_x96, liquidity, True)
        if not (reached_target and not exact_in):
            amount_out = get_amount0_delta(sqrt_ratio_current_x96, sqrt_ratio_next_x96, liquidity, False)

    if not exact_in and amount_out > -amount_remaining:  # never pay out more than asked
        amount_out = -amount_remaining

    if exact_in and sqrt_ratio_next_x96 != sqrt_ratio_target_x96:
        fee_amount = amount_remaining - amount_in  # the target was not reached: the rest of the input is fee
    else:
        fee_amount = mul_div_rounding_up(amount_in, fee_pips, PIPS - fee_pips)
    return sqrt_ratio_next_x96, amount_in, amount_out, fee_amount


# --- TickBitmap / LiquidityMath -------------------------------------------------------------------------


def compress(tick: int, tick_spacing: int) -> int:
    """tick / tickSpacing rounded toward negative infinity, as nextInitializedTickWithinOneWord computes it."""
    compressed = sdiv(tick, tick_spacing)  # Solidity truncates toward zero ...
    if tick < 0 and smod(tick, tick_spacing) != 0:
        compressed -= 1  # ... then rounds toward negative infinity
    return compressed


def position(compressed_tick: int) -> tuple[int, int]:
    """TickBitmap.position: (wordPos, bitPos) of a compressed tick: int16(tick >> 8), uint8(tick % 256)."""
    return compressed_tick >> 8, compressed_tick & 0xFF  # >> floors like SAR; & 0xFF == two's-complement low byte


def next_initialized_tick_within_one_word(
    bitmap: Mapping[int, int], tick: int, tick_spacing: int, lte: bool
) -> tuple[int, bool]:
    """TickBitmap.nextInitializedTickWithinOneWord: (next tick, initialized) at most one bitmap word away.

    lte (zeroForOne): the greatest initialized tick <= `tick` in the word of `tick`, else the word's lowest
    tick. Otherwise the least initialized tick > `tick` in the word of the next compressed tick, else that
    word's highest tick. A swap step therefore stops at every word boundary, initialized or not.
    `bitmap` maps wordPos -> uint256 word; a missing word is zero (the caller checks its snapshot covers it).
    """
    compressed = compress(tick, tick_spacing)
    if lte:
        word_pos, bit_pos = position(compressed)
        mask = (1 << bit_pos) - 1 + (1 << bit_pos)  # all the 1s at or to the right of bit_pos
        masked = bitmap.get(word_pos, 0) & mask
        if masked:
            return (compressed - (bit_pos - most_significant_bit(masked))) * tick_spacing, True
        return (compressed - bit_pos) * tick_spacing, False
    word_pos, bit_pos = position(compressed + 1)
    mask = MAX_UINT256 ^ ((1 << bit_pos) - 1)  # all the 1s at or to the left of bit_pos
    masked = bitmap.get(word_pos, 0) & mask
    if masked:
        return (compressed + 1 + (least_significant_bit(masked) - bit_pos)) * tick_spacing, True
    return (compressed + 1 + (255 - bit_pos)) * tick_spacing, False


def bitmap_from_ticks(ticks: Iterable[int], tick_spacing: int) -> dict[int, int]:
    """The tick bitmap (wordPos -> uint256, non-zero words only) flagging `ticks`, as TickBitmap.flipTick sets it."""
    words: dict[int, int] = {}
    for tick in ticks:
        if smod(tick, tick_spacing) != 0:
            raise V3MathError(f"tick {tick} is not a multiple of the spacing {tick_spacing}")
        word_pos, bit_pos = position(sdiv(tick, tick_spacing))  # flipTick: exact division, no rounding
        words[word_pos] = words.get(word_pos, 0) | (1 << bit_pos)
    return words


def add_delta(liquidity: int, delta: int) -> int:
    """LiquidityMath.addDelta: uint128 liquidity plus a signed int128 delta; reverts (LS / LA) out of range."""
    result = liquidity + delta
    if result < 0:
        raise V3MathError("LS")
    if result > MAX_UINT128:
        raise V3MathError("LA")
    return result
