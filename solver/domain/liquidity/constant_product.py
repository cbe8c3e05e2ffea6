"""Uniswap V2 constant-product math, exactly as UniswapV2Library computes it (0.3 % fee, floors)."""

from __future__ import annotations

from dataclasses import dataclass

FEE_NUMERATOR = 997  # V2 takes 0.3 % of the input: 997/1000 is swapped
FEE_DENOMINATOR = 1000


@dataclass(frozen=True, slots=True)
class ConstantProductPool:
    address: str
    token0: str
    token1: str
    reserve0: int  # token0 base units
    reserve1: int

    def reserves(self, token_in: str) -> tuple[int, int]:
        """(reserve of token_in, reserve of the other token)."""
        if token_in == self.token0:
            return self.reserve0, self.reserve1
        if token_in == self.token1:
            return self.reserve1, self.reserve0
        raise ValueError(f"{token_in} is not in pool {self.address}")

    def amount_out(self, token_in: str, amount_in: int) -> int:
        """Output for an exact input; rounds down, in favour of the pool (getAmountOut)."""
        reserve_in, reserve_out = self.reserves(token_in)
        with_fee = amount_in * FEE_NUMERATOR
        return with_fee * reserve_out // (reserve_in * FEE_DENOMINATOR + with_fee)

    def amount_in(self, token_in: str, amount_out: int) -> int:
        """Input needed for an exact output; rounds up, in favour of the pool (getAmountIn)."""
        reserve_in, reserve_out = self.reserves(token_in)
        if amount_out >= reserve_out:
            raise ValueError("output exceeds the pool's reserve")
        return reserve_in * amount_out * FEE_DENOMINATOR // ((reserve_out - amount_out) * FEE_NUMERATOR) + 1
