"""Uniswap V3 concentrated-liquidity pools: UniswapV3Pool.swap replayed on a snapshot, to the wei.

The swap loop is the pool's own (v3-core UniswapV3Pool.swap): each step runs from the current price to
the next initialized tick *within one bitmap word* (TickBitmap.nextInitializedTickWithinOneWord, so a
step also ends at every word boundary), or to the price limit, whichever is nearer; computeSwapStep
splits the remaining amount; crossing an initialized tick adds its liquidityNet (negated when the price
falls). Steps are not merged: every step boundary rounds amounts and fees, and the pool rounds per step.
The oracle, fee-growth and protocol-fee bookkeeping of the real swap changes no amount and is left out.

A snapshot may hold only a window of bitmap words (`bitmap_words`); a swap that needs a word outside it
raises `OutsideSnapshot` rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

from .v3_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    V3MathError,
    add_delta,
    bitmap_from_ticks,
    compress,
    compute_swap_step,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    next_initialized_tick_within_one_word,
)

# The quoter's and SwapRouter's default price limits (sqrtPriceLimitX96 == 0): one inside the bounds.
DEFAULT_LIMIT_ZERO_FOR_ONE = MIN_SQRT_RATIO + 1
DEFAULT_LIMIT_ONE_FOR_ZERO = MAX_SQRT_RATIO - 1

# getSqrtRatioAtTick is pure and a pool's ticks repeat from quote to quote; a bounded cache saves its
# twenty 256-bit multiplications per step.
_sqrt_ratio_at_tick = lru_cache(maxsize=65_536)(get_sqrt_ratio_at_tick)


class OutsideSnapshot(LookupError):
    """The swap walks into a tick-bitmap word (or an initialized tick) that the snapshot did not read."""


def word_range(tick_spacing: int) -> tuple[int, int]:
    """(lowest, highest) tick-bitmap wordPos any swap of a pool with `tick_spacing` can read."""
    return compress(MIN_TICK, tick_spacing) >> 8, (compress(MAX_TICK, tick_spacing) + 1) >> 8


@dataclass(frozen=True, slots=True)
class SwapResult:
    """What UniswapV3Pool.swap does, in base units of the input and output tokens."""

    amount_in: int  # input taken by the pool, fee included (less than asked if the price limit stopped it)
    amount_out: int  # output paid by the pool
    sqrt_price_x96: int  # Q64.96 price after the swap
    tick: int  # slot0.tick after the swap
    liquidity: int  # in-range liquidity after the swap
    crossed: tuple[int, ...]  # initialized ticks crossed, in order (each changed the liquidity)
    boundaries: int  # steps that ended on an uninitialized tick: a bitmap word boundary (or MIN/MAX_TICK)
    steps: int  # computeSwapStep calls: initialized ticks + boundaries + a final partial step, if any

    @property
    def ticks_crossed(self) -> int:
        """Initialized ticks crossed: what the swap paid gas for (QuoterV2 reports a bitmap estimate)."""
        return len(self.crossed)


@dataclass(frozen=True, slots=True)
class ConcentratedLiquidityPool:
    address: str
    token0: str
    token1: str
    fee: int  # pips (hundredths of a bip): 500 = 0.05 %
    tick_spacing: int
    sqrt_price_x96: int  # slot0.sqrtPriceX96, Q64.96 of token1 per token0 base unit
    tick: int  # slot0.tick (floor of the price's tick, except just after a downward crossing)
    liquidity: int  # in-range liquidity, uint128
    ticks: Mapping[int, int]  # initialized tick -> liquidityNet (int128), every initialized tick in bitmap_words
    bitmap: Mapping[int, int]  # wordPos -> uint256 tick bitmap word; absent words (inside bitmap_words) are 0
    bitmap_words: tuple[int, int] | None = None  # inclusive wordPos window the snapshot read; None = all

    @classmethod
    def from_ticks(
        cls,
        address: str,
        token0: str,
        token1: str,
        fee: int,
        tick_spacing: int,
        sqrt_price_x96: int,
        liquidity: int,
        ticks: Mapping[int, int],
        tick: int | None = None,
    ) -> ConcentratedLiquidityPool:
        """A complete snapshot from its initialized ticks; the tick defaults to getTickAtSqrtRatio(price)."""
        return cls(
            address, token0, token1, fee, tick_spacing, sqrt_price_x96,
            get_tick_at_sqrt_ratio(sqrt_price_x96) if tick is None else tick,
            liquidity, dict(ticks), bitmap_from_ticks(ticks, tick_spacing),
        )  # fmt: skip

    def zero_for_one(self, token_in: str) -> bool:
        """True when `token_in` is token0 (the price falls)."""
        if token_in == self.token0:
            return True
        if token_in == self.token1:
            return False
        raise ValueError(f"{token_in} is not in pool {self.address}")

    def amount_out(self, token_in: str, amount_in: int) -> int:
        """Output for an exact input, as QuoterV2.quoteExactInputSingle with no price limit (rounds down).

        Like the quoter, if the swap reaches the price limit (MIN/MAX_SQRT_RATIO -+ 1: the pool ran out of
        liquidity) before using all the input, this is what the input used buys and the router would take
        only that input; `swap(...).amount_in` tells how much.
        """
        if amount_in < 0:
            raise ValueError("negative input")
        return self.swap(token_in, amount_in).amount_out if amount_in else 0

    def amount_in(self, token_in: str, amount_out: int) -> int:
        """Input (fee included) for an exact output, as QuoterV2.quoteExactOutputSingle (rounds up).

        Raises ValueError when the pool cannot pay `amount_out` in full (the quoter reverts then).
        """
        if amount_out < 0:
            raise ValueError("negative output")
        if amount_out == 0:
            return 0
        result = self.swap(token_in, -amount_out)
        if result.amount_out != amount_out:
            raise ValueError(f"pool {self.address} can pay only {result.amount_out} of {amount_out}")
        return result.amount_in

    def after(self, result: SwapResult) -> ConcentratedLiquidityPool:
        """This pool in the state `result` left it in, to chain swaps (ticks and bitmap do not change)."""
        return replace(self, sqrt_price_x96=result.sqrt_price_x96, tick=result.tick, liquidity=result.liquidity)

    def swap(self, token_in: str, amount_specified: int, sqrt_price_limit_x96: int | None = None) -> SwapResult:
        """UniswapV3Pool.swap: `amount_specified` > 0 is an exact input of `token_in`, < 0 an exact output
        of the other token. `sqrt_price_limit_x96` None is the quoter's / SwapRouter's default (MIN+1, MAX-1).
        Raises V3MathError where the pool reverts, OutsideSnapshot where the snapshot lacks data.
        """
        zero_for_one = self.zero_for_one(token_in)
        if sqrt_price_limit_x96 is None:
            limit = DEFAULT_LIMIT_ZERO_FOR_ONE if zero_for_one else DEFAULT_LIMIT_ONE_FOR_ZERO
        else:
            limit = sqrt_price_limit_x96
        if amount_specified == 0:
            raise V3MathError("AS: zero amount")
        if (
            not MIN_SQRT_RATIO < limit < self.sqrt_price_x96
            if zero_for_one
            else not self.sqrt_price_x96 < limit < MAX_SQRT_RATIO
        ):
            raise V3MathError("SPL: price limit on the wrong side of the price or out of bounds")

        exact_input = amount_specified > 0
        remaining, calculated = amount_specified, 0  # signed, as amountSpecifiedRemaining / amountCalculated
        sqrt_price, tick, liquidity = self.sqrt_price_x96, self.tick, self.liquidity
        spacing, fee, bitmap, words = self.tick_spacing, self.fee, self.bitmap, self.bitmap_words
        crossed: list[int] = []
        boundaries = steps = 0

        while remaining != 0 and sqrt_price != limit:
            steps += 1
            sqrt_price_start = sqrt_price
            if words is not None:
                word_pos = (compress(tick, spacing) + (0 if zero_for_one else 1)) >> 8
                if not words[0] <= word_pos <= words[1]:
                    raise OutsideSnapshot(f"pool {self.address}: bitmap word {word_pos} outside {words}")
            tick_next, initialized = next_initialized_tick_within_one_word(bitmap, tick, spacing, zero_for_one)
            tick_next = min(max(tick_next, MIN_TICK), MAX_TICK)  # the bitmap knows no tick bounds
            sqrt_price_next = _sqrt_ratio_at_tick(tick_next)
            if zero_for_one:
                target = limit if sqrt_price_next < limit else sqrt_price_next
            else:
                target = limit if sqrt_price_next > limit else sqrt_price_next

            sqrt_price, step_in, step_out, step_fee = compute_swap_step(sqrt_price, target, liquidity, remaining, fee)
            if exact_input:
                remaining -= step_in + step_fee
                calculated -= step_out
            else:
                remaining += step_out
                calculated += step_in + step_fee

            if sqrt_price == sqrt_price_next:  # reached the next tick: cross it
                if initialized:
                    try:
                        liquidity_net = self.ticks[tick_next]
                    except KeyError:
                        raise OutsideSnapshot(f"pool {self.address}: no liquidityNet for tick {tick_next}") from None
                    liquidity = add_delta(liquidity, -liquidity_net if zero_for_one else liquidity_net)
                    crossed.append(tick_next)
                else:
                    boundaries += 1
                tick = tick_next - 1 if zero_for_one else tick_next
            elif sqrt_price != sqrt_price_start:  # moved within the range: recompute the tick
                tick = get_tick_at_sqrt_ratio(sqrt_price)

        if exact_input:
            amount_in, amount_out = amount_specified - remaining, -calculated
        else:
            amount_in, amount_out = calculated, remaining - amount_specified
        return SwapResult(amount_in, amount_out, sqrt_price, tick, liquidity, tuple(crossed), boundaries, steps)


def initialized_ticks(bitmap: Mapping[int, int], tick_spacing: int) -> Iterable[int]:
    """Every tick flagged in `bitmap`, ascending."""
    for word_pos in sorted(bitmap):
        word = bitmap[word_pos]
        while word:
            bit = (word & -word).bit_length() - 1
            yield ((word_pos << 8) + bit) * tick_spacing
            word &= word - 1
