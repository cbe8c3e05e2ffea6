"""A batch: the tokens, one uniform clearing price per token, the trades and the interactions of one settle call."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .clearing import executed_amounts, respects_limit
from .errors import InvalidBatch
from .intent import Intent
from .primitives import ZERO_ADDRESS, address, uint256


class SigningScheme(enum.IntEnum):
    EIP712 = 0  # 65-byte r || s || v from an externally owned account
    EIP1271 = 1  # bytes the owner contract's isValidSignature accepts


@dataclass(frozen=True, slots=True)
class Trade:
    """One signed intent and how much of its exact side this batch executes."""

    intent: Intent
    signature: bytes
    executed_amount: int
    scheme: SigningScheme = SigningScheme.EIP712
    # Where the sell amount goes: ZERO_ADDRESS = the settlement; a Uniswap V2 pair that the batch then
    # swaps through receives it directly (saves one transfer). The owner is paid the same either way.
    sell_to: str = ZERO_ADDRESS

    def __post_init__(self) -> None:
        object.__setattr__(self, "sell_to", address(self.sell_to))
        if self.executed_amount <= 0:
            raise InvalidBatch("executed_amount must be positive")
        if not self.intent.partially_fillable and self.executed_amount != self.intent.full_amount:
            raise InvalidBatch("a fill-or-kill intent executes exactly its signed amount")
        if self.executed_amount > self.intent.full_amount:
            raise InvalidBatch("executed_amount exceeds the signed amount")


@dataclass(frozen=True, slots=True)
class Interaction:
    """A call the settlement makes: an AMM swap, an approval, an unwrap."""

    target: str
    call_data: bytes
    value: int = 0  # wei from the settlement's own balance

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", address(self.target))
        uint256(self.value, "value")


@dataclass(frozen=True, slots=True)
class Batch:
    """One settle call. Tokens are kept in strictly increasing address order (each with its price), as the
    contract requires: that is how it enforces one price per token."""

    tokens: tuple[str, ...]
    prices: tuple[int, ...]  # uniform clearing price per token, in any common unit
    trades: tuple[Trade, ...]
    auction_id: int = 0
    pre_interactions: tuple[Interaction, ...] = field(default=())
    interactions: tuple[Interaction, ...] = field(default=())  # between pulling and paying out
    post_interactions: tuple[Interaction, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.tokens) != len(self.prices):
            raise InvalidBatch("one clearing price per token")
        pairs = zip((address(t) for t in self.tokens), self.prices, strict=True)
        ordered = sorted(pairs, key=lambda pair: int(pair[0], 16))
        object.__setattr__(self, "tokens", tuple(t for t, _ in ordered))
        object.__setattr__(self, "prices", tuple(p for _, p in ordered))
        if len(set(self.tokens)) != len(self.tokens):
            raise InvalidBatch("tokens must be distinct")
        if any(p <= 0 for p in self.prices):
            raise InvalidBatch("clearing prices must be positive")
        for trade in self.trades:
            self._check_trade(trade.intent)

    def price(self, token: str) -> int:
        return self.prices[self.index(token)]

    def index(self, token: str) -> int:
        try:
            return self.tokens.index(address(token))
        except ValueError as exc:
            raise InvalidBatch(f"token {token} is not in the batch") from exc

    def executed(self, trade: Trade) -> tuple[int, int]:
        """(sell units pulled from the owner, buy units paid to the receiver) for `trade`."""
        intent = trade.intent
        return executed_amounts(
            intent, trade.executed_amount, self.price(intent.sell_token), self.price(intent.buy_token)
        )

    def _check_trade(self, intent: Intent) -> None:
        p_sell, p_buy = self.price(intent.sell_token), self.price(intent.buy_token)
        if not respects_limit(intent.sell_amount, intent.buy_amount, p_sell, p_buy):
            raise InvalidBatch(f"clearing prices violate the limit of {intent.owner}'s intent")
