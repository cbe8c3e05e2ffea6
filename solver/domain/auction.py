"""A batch auction as solvers see it, and the solutions they bid. Scoring lives in `scoring`.

Amounts are token base units; reference prices are value per base unit in the auction's numeraire unit
(1e-36 USD on the devnet, the same unit the demo's clearing prices use), so surplus in different tokens
adds up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .batch import Interaction, SigningScheme, Trade
from .intent import Intent
from .liquidity import Pool
from .primitives import ZERO_ADDRESS

# 10 %: room for the price impact of any order a pool can fill within its owner's slippage tolerance and for
# reference prices a block or more old, while bounding how much value off-market prices can move between the
# users of one batch (README, "Value safety").
DEFAULT_MAX_PRICE_DEVIATION_BPS = 1_000


@dataclass(frozen=True, slots=True)
class TokenInfo:
    address: str
    symbol: str
    decimals: int
    reference_price: int  # numeraire units per base unit


@dataclass(frozen=True, slots=True)
class Order:
    """An open intent offered in an auction; `remaining` is in units of its exact side."""

    intent_id: bytes
    intent: Intent
    signature: bytes
    scheme: SigningScheme
    remaining: int


@dataclass(frozen=True, slots=True)
class Auction:
    auction_id: int
    block_number: int  # the state the auction (pool snapshots, balances) is based on
    deadline: float  # unix seconds: bids after it are discarded
    orders: tuple[Order, ...]
    tokens: dict[str, TokenInfo]  # by address
    pools: tuple[Pool, ...]  # liquidity snapshots at block_number
    # The venue discards a bid in which any trade's clearing rate p_sell / p_buy differs from the reference
    # rate by more than this (basis points either way; see scoring.price_deviation).
    max_price_deviation_bps: int = DEFAULT_MAX_PRICE_DEVIATION_BPS


@dataclass(frozen=True, slots=True)
class Fulfillment:
    """How much of an auction order a solution executes (units of the order's exact side)."""

    intent_id: bytes
    executed_amount: int
    # Where the owner's sell amount goes (batch.Trade.sell_to): ZERO_ADDRESS = the settlement, or an
    # auction pool that the solution's first interaction swaps it through (V2 pairs).
    sell_to: str = ZERO_ADDRESS


@dataclass(frozen=True, slots=True)
class Solution:
    """A solver's bid: uniform clearing prices, fulfilments of auction orders, solver-signed inventory
    trades (JIT), and the interactions that route the rest."""

    auction_id: int
    solver: str
    prices: dict[str, int]  # token address -> clearing price
    fulfillments: tuple[Fulfillment, ...]
    inventory_trades: tuple[Trade, ...] = field(default=())
    pre_interactions: tuple[Interaction, ...] = field(default=())
    interactions: tuple[Interaction, ...] = field(default=())
    post_interactions: tuple[Interaction, ...] = field(default=())
    # What the solver says its solution scores (numeraire units), if it says: recorded with the bid, never used
    # to rank it (the venue scores every bid itself).
    claimed_score: int | None = None


class BidRefused(Exception):
    """A bid the venue will not consider; `code` is the protocol's bid_rejected code."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
