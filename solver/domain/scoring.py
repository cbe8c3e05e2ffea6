"""How the venue scores a solver's bid: it rebuilds the batch and re-scores it itself, ignoring any claim.

A bid is checked structurally (`to_batch`), then every trade's clearing rate is held within the auction's
bound around the reference rate (`value_safety.check_price_bounds`), then every user order's surplus is
computed exactly as CoW Protocol computes it and valued at the auction's reference prices (`score`), then
each user's execution is compared with the best route that user would get alone over the auction's pools
(`ebbo_violations`). Any failure discards the bid with a machine-readable `ReasonCode`. `rank` picks the
winner. What the bid would do to the settlement's own balances is measured by the service's simulation
(`value_safety.check_holdings`): surplus can only come from other users, solver inventory and the bid's
own interactions, never from the settlement's buffer.

Surplus, in the token the order is not exact in:
- sell order: executed_buy - ceil(executed_sell * limit_buy / limit_sell), valued at the buy token's price;
- buy order: floor(limit_sell * executed_buy / limit_buy) - executed_sell, valued at the sell token's price;
with the executed amounts the settlement contract computes at the uniform clearing prices. A value is
surplus * reference_price: an exact integer in numeraire units. Inventory (solver-signed) trades earn none.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from .auction import Auction, Fulfillment, Solution
from .batch import Batch, Interaction, Trade
from .clearing import mul_div_up, respects_limit
from .errors import DomainError, InvalidBatch
from .intent import Intent, IntentKind
from .liquidity.constant_product import ConstantProductPool
from .primitives import UINT256_MAX, ZERO_ADDRESS, address
from .rejections import ReasonCode, SolutionRejected
from .routing import best_direct_amount
from .value_safety import check_price_bounds

__all__ = [
    "EbboViolation", "OrderScore", "ReasonCode", "Score", "Scored", "SolutionRejected", "bid_digest", "ebbo_violations",
    "evaluate", "overflows", "rank", "ranking", "score", "surplus", "to_batch",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class OrderScore:
    """One user order's execution and surplus in a bid (what the records keep per order)."""

    intent_id: bytes
    executed_sell: int
    executed_buy: int
    surplus: int  # base units of `surplus_token`
    surplus_token: str  # buy token for sell orders, sell token for buy orders
    value: int  # surplus * reference price of surplus_token, numeraire units


@dataclass(frozen=True, slots=True)
class Score:
    auction_id: int
    solver: str
    total: int  # sum of the orders' values, numeraire units
    orders: tuple[OrderScore, ...]  # in the order of the solution's fulfilments

    def of(self, intent_id: bytes) -> OrderScore:
        for order in self.orders:
            if order.intent_id == intent_id:
                return order
        raise KeyError(intent_id.hex())


@dataclass(frozen=True, slots=True)
class EbboViolation:
    """A user who gets less than the best route alone: `shortfall` base units of `token`.

    Sell orders: `actual` is the executed buy amount, `benchmark` the best route's output for the executed
    sell amount. Buy orders: `actual` is the executed sell amount, `benchmark` the best route's required
    input for the executed buy amount; the user pays more than that.
    """

    intent_id: bytes
    token: str
    benchmark: int
    actual: int
    shortfall: int


@dataclass(frozen=True, slots=True)
class Scored:
    """A bid that passed scoring, as `rank` compares it; gas_estimate comes from the service's simulation."""

    solution: Solution
    score: Score
    gas_estimate: int | None = None


def overflows(intent: Intent, executed: int, p_sell: int, p_buy: int) -> bool:
    """True if the contract's checked multiplications (limit check, executed amounts) would overflow."""
    return (
        intent.sell_amount * p_sell > UINT256_MAX
        or intent.buy_amount * p_buy > UINT256_MAX
        or executed * (p_sell if intent.kind is IntentKind.SELL else p_buy) > UINT256_MAX
    )


def _prices(solution: Solution) -> dict[str, int]:
    prices: dict[str, int] = {}
    for token, price in solution.prices.items():
        try:
            key = address(token)
        except DomainError as exc:
            raise SolutionRejected(ReasonCode.INVALID_CLEARING_PRICES, f"not a token address: {token!r}") from exc
        if key in prices:
            raise SolutionRejected(ReasonCode.INVALID_CLEARING_PRICES, f"two prices for {key}")
        if not isinstance(price, int) or isinstance(price, bool):
            raise SolutionRejected(ReasonCode.INVALID_CLEARING_PRICES, f"price of {key} is not an integer")
        if not 0 < price <= UINT256_MAX:
            raise SolutionRejected(ReasonCode.INVALID_CLEARING_PRICES, f"price of {key} is not in 1..2**256-1")
        prices[key] = price
    return prices


def _pair_prices(prices: Mapping[str, int], intent: Intent, intent_id: bytes | None) -> tuple[int, int]:
    result = []
    for token in (intent.sell_token, intent.buy_token):
        price = prices.get(token)
        if price is None or not 0 < price <= UINT256_MAX:
            raise SolutionRejected(
                ReasonCode.INVALID_CLEARING_PRICES, f"no valid clearing price for traded token {token}", intent_id
            )
        result.append(price)
    return result[0], result[1]


def _sell_to(value: str, pools: Collection[str], intent_id: bytes | None) -> str:
    try:
        sell_to = address(value)
    except DomainError as exc:
        raise SolutionRejected(ReasonCode.INVALID_SELL_TO, f"not an address: {value!r}", intent_id) from exc
    if sell_to != ZERO_ADDRESS and sell_to.lower() not in pools:
        raise SolutionRejected(
            ReasonCode.INVALID_SELL_TO, f"{sell_to} is not a constant-product pair of the auction", intent_id
        )
    return sell_to


def _check_trade(intent: Intent, executed: int, p_sell: int, p_buy: int, intent_id: bytes | None) -> None:
    if overflows(intent, executed, p_sell, p_buy):
        raise SolutionRejected(ReasonCode.INVALID_CLEARING_PRICES, "prices overflow the contract's math", intent_id)
    if not respects_limit(intent.sell_amount, intent.buy_amount, p_sell, p_buy):
        raise SolutionRejected(ReasonCode.LIMIT_VIOLATED, f"clearing prices violate {intent.owner}'s limit", intent_id)


def to_batch(auction: Auction, solution: Solution, *, inventory_accounts: Collection[str] | None = None) -> Batch:
    """The batch a bid settles: its fulfilments as Trades with the orders' signatures (first, in order),
    then its inventory trades; every token the bid prices (traded ones, and any other token its
    interactions move: the contract checks the settlement's balance of each listed token and refuses to
    move an unlisted one), in increasing address order as the contract requires.

    Structure only: signatures are the adapter's to verify. `inventory_accounts`, when given, are the only
    owners an inventory trade may have. Raises SolutionRejected.
    """
    if solution.auction_id != auction.auction_id:
        raise SolutionRejected(
            ReasonCode.WRONG_AUCTION, f"bid for auction {solution.auction_id}, not {auction.auction_id}"
        )
    if not solution.fulfillments:
        raise SolutionRejected(ReasonCode.EMPTY_SOLUTION, "the solution executes no user order")
    prices = _prices(solution)
    orders = {o.intent_id: o for o in auction.orders}
    # Only pools that swap what they hold (Uniswap V2 pairs) may receive a sell amount directly, as on-chain.
    pools = {p.address.lower() for p in auction.pools if isinstance(p, ConstantProductPool)}
    trades: list[Trade] = []
    seen: set[bytes] = set()
    for f in solution.fulfillments:
        order = orders.get(f.intent_id)
        if order is None:
            raise SolutionRejected(ReasonCode.UNKNOWN_ORDER, "no such order in the auction", f.intent_id)
        if f.intent_id in seen:
            raise SolutionRejected(ReasonCode.DUPLICATE_FULFILLMENT, "order fulfilled twice", f.intent_id)
        seen.add(f.intent_id)
        intent, executed = order.intent, f.executed_amount
        if not isinstance(executed, int) or isinstance(executed, bool) or executed <= 0:
            raise SolutionRejected(ReasonCode.INVALID_EXECUTED_AMOUNT, "executed amount must be positive", f.intent_id)
        if executed > order.remaining:
            raise SolutionRejected(
                ReasonCode.INVALID_EXECUTED_AMOUNT, f"executes {executed}, only {order.remaining} remains", f.intent_id
            )
        if not intent.partially_fillable and executed != intent.full_amount:
            raise SolutionRejected(
                ReasonCode.INVALID_EXECUTED_AMOUNT, "a fill-or-kill order executes in full or not at all", f.intent_id
            )
        sell_to = _sell_to(f.sell_to, pools, f.intent_id)
        p_sell, p_buy = _pair_prices(prices, intent, f.intent_id)
        _check_trade(intent, executed, p_sell, p_buy, f.intent_id)
        trades.append(Trade(intent, order.signature, executed, order.scheme, sell_to=sell_to))
    user_intents = {o.intent for o in auction.orders}
    accounts = None if inventory_accounts is None else {address(a) for a in inventory_accounts}
    for trade in solution.inventory_trades:
        intent = trade.intent
        if intent in user_intents:
            raise SolutionRejected(ReasonCode.INVALID_INVENTORY_TRADE, "a user's intent passed as inventory")
        if accounts is not None and intent.owner not in accounts:
            raise SolutionRejected(ReasonCode.INVALID_INVENTORY_TRADE, f"{intent.owner} is not an inventory account")
        if not isinstance(trade.signature, bytes) or not trade.signature:
            raise SolutionRejected(ReasonCode.INVALID_INVENTORY_TRADE, f"unsigned inventory trade of {intent.owner}")
        if any(t.intent == intent for t in trades):
            raise SolutionRejected(ReasonCode.DUPLICATE_FULFILLMENT, f"inventory intent of {intent.owner} twice")
        _sell_to(trade.sell_to, pools, None)
        p_sell, p_buy = _pair_prices(prices, intent, None)
        _check_trade(intent, trade.executed_amount, p_sell, p_buy, None)
        trades.append(trade)
    tokens = tuple(prices)
    try:
        return Batch(
            tokens,
            tuple(prices[t] for t in tokens),
            tuple(trades),
            auction_id=solution.auction_id,
            pre_interactions=solution.pre_interactions,
            interactions=solution.interactions,
            post_interactions=solution.post_interactions,
        )
    except InvalidBatch as exc:  # unreachable after the checks above; kept as a typed refusal
        raise SolutionRejected(ReasonCode.INVALID_CLEARING_PRICES, str(exc)) from exc


def surplus(intent: Intent, executed_sell: int, executed_buy: int) -> int:
    """CoW's surplus over the signed limit, in buy units (sell orders) or sell units (buy orders)."""
    if intent.kind is IntentKind.SELL:
        return executed_buy - mul_div_up(executed_sell, intent.buy_amount, intent.sell_amount)
    return intent.sell_amount * executed_buy // intent.buy_amount - executed_sell


def score(auction: Auction, solution: Solution, *, inventory_accounts: Collection[str] | None = None) -> Score:
    """The venue's own score of a bid: the sum of its user orders' surplus values. Raises SolutionRejected."""
    return _score(auction, solution, to_batch(auction, solution, inventory_accounts=inventory_accounts))


def _score(auction: Auction, solution: Solution, batch: Batch) -> Score:
    reference = {address(t): info.reference_price for t, info in auction.tokens.items()}
    check_price_bounds(batch, reference, auction.max_price_deviation_bps, [f.intent_id for f in solution.fulfillments])
    orders: list[OrderScore] = []
    for f, trade in zip(solution.fulfillments, batch.trades, strict=False):  # fulfilments come first
        intent = trade.intent
        executed_sell, executed_buy = batch.executed(trade)
        gained = surplus(intent, executed_sell, executed_buy)
        if gained < 0:
            raise SolutionRejected(ReasonCode.NEGATIVE_SURPLUS, f"surplus {gained}", f.intent_id)
        token = intent.buy_token if intent.kind is IntentKind.SELL else intent.sell_token
        price = reference.get(token)
        if price is None or price < 0:
            raise SolutionRejected(ReasonCode.MISSING_REFERENCE_PRICE, f"no reference price for {token}", f.intent_id)
        orders.append(OrderScore(f.intent_id, executed_sell, executed_buy, gained, token, gained * price))
    return Score(solution.auction_id, solution.solver, sum(o.value for o in orders), tuple(orders))


def ebbo_violations(
    auction: Auction,
    solution: Solution,
    best_direct_outputs: Mapping[bytes, int],
    *,
    inventory_accounts: Collection[str] | None = None,
) -> list[EbboViolation]:
    """Users the bid gives less than the best route alone (routing.best_direct_amounts at the auction's
    block, for the bid's executed amounts). Orders without a benchmark are not checked."""
    batch = to_batch(auction, solution, inventory_accounts=inventory_accounts)
    return _violations(solution, batch, best_direct_outputs)


def _violations(solution: Solution, batch: Batch, best_direct_outputs: Mapping[bytes, int]) -> list[EbboViolation]:
    violations: list[EbboViolation] = []
    for f, trade in zip(solution.fulfillments, batch.trades, strict=False):
        benchmark = best_direct_outputs.get(f.intent_id)
        if benchmark is None:
            continue
        intent = trade.intent
        executed_sell, executed_buy = batch.executed(trade)
        if intent.kind is IntentKind.SELL and executed_buy < benchmark:
            violations.append(
                EbboViolation(f.intent_id, intent.buy_token, benchmark, executed_buy, benchmark - executed_buy)
            )
        elif intent.kind is IntentKind.BUY and executed_sell > benchmark:
            violations.append(
                EbboViolation(f.intent_id, intent.sell_token, benchmark, executed_sell, executed_sell - benchmark)
            )
    return violations


class _Benchmarks:
    """EBBO benchmarks of one auction, per (order, executed amount), shared by every bid scored against
    the same Auction object: the venue routes each order once per auction, not once per bid. Pure (the
    same answers as routing.best_direct_amounts); the few latest auctions are kept, matched by identity."""

    _latest: ClassVar[deque[_Benchmarks]] = deque(maxlen=4)

    def __init__(self, auction: Auction, intermediates: frozenset[str] | None) -> None:
        self.auction, self.intermediates = auction, intermediates
        self.orders = {o.intent_id: o.intent for o in auction.orders}
        self.amounts: dict[tuple[bytes, int], int | None] = {}

    @classmethod
    def of(cls, auction: Auction, intermediates: Collection[str] | None) -> _Benchmarks:
        via = None if intermediates is None else frozenset(t.lower() for t in intermediates)
        for table in tuple(cls._latest):
            if table.auction is auction and table.intermediates == via:
                return table
        table = cls(auction, via)
        cls._latest.append(table)
        return table

    def for_fulfillments(self, fulfillments: Iterable[Fulfillment]) -> dict[bytes, int]:
        result: dict[bytes, int] = {}
        for f in fulfillments:
            intent = self.orders.get(f.intent_id)
            if intent is None or f.executed_amount <= 0:
                continue
            key = (f.intent_id, f.executed_amount)
            if key not in self.amounts:
                self.amounts[key] = best_direct_amount(
                    self.auction.pools, intent, f.executed_amount, intermediates=self.intermediates
                )
            amount = self.amounts[key]
            if amount is not None:
                result[f.intent_id] = amount
        return result


def evaluate(
    auction: Auction,
    solution: Solution,
    *,
    inventory_accounts: Collection[str] | None = None,
    intermediates: Collection[str] | None = None,
) -> Score:
    """Everything the venue checks before simulation: structure, score and EBBO. Raises SolutionRejected.

    EBBO benchmarks are computed once per auction and order (see `_Benchmarks`), so scoring many bids on
    one auction routes each order once."""
    batch = to_batch(auction, solution, inventory_accounts=inventory_accounts)
    result = _score(auction, solution, batch)
    benchmarks = _Benchmarks.of(auction, intermediates).for_fulfillments(solution.fulfillments)
    violations = _violations(solution, batch, benchmarks)
    if violations:
        v = violations[0]
        raise SolutionRejected(
            ReasonCode.EBBO_VIOLATED,
            f"{v.shortfall} units of {v.token} short of the best route ({v.actual} vs {v.benchmark})",
            v.intent_id,
        )
    return result


def bid_digest(solution: Solution) -> bytes:
    """keccak256 of a canonical encoding of the bid: the last tie-breaker, stable across processes."""
    prices = sorted((token.lower(), price) for token, price in solution.prices.items())
    fulfillments = [(f.intent_id, f.executed_amount, f.sell_to.lower()) for f in solution.fulfillments]
    inventory = [
        (t.intent.struct_hash(), t.signature, t.executed_amount, int(t.scheme), t.sell_to)
        for t in solution.inventory_trades
    ]

    def calls(interactions: Iterable[Interaction]) -> list[tuple[str, int, bytes]]:
        return [(i.target, i.value, i.call_data) for i in interactions]

    payload = encode(
        [
            "uint256",
            "string",
            "(string,uint256)[]",
            "(bytes,uint256,string)[]",
            "(bytes32,bytes,uint256,uint8,address)[]",
            "(address,uint256,bytes)[]",
            "(address,uint256,bytes)[]",
            "(address,uint256,bytes)[]",
        ],
        [
            solution.auction_id,
            solution.solver.lower(),
            prices,
            fulfillments,
            inventory,
            calls(solution.pre_interactions),
            calls(solution.interactions),
            calls(solution.post_interactions),
        ],
    )
    return bytes(keccak(payload))


def _rank_key(entry: Scored) -> tuple[int, int, int, str, bytes]:
    gas = entry.gas_estimate
    return (-entry.score.total, 0 if gas is not None else 1, gas or 0, entry.solution.solver.lower(),
            bid_digest(entry.solution))  # fmt: skip


def ranking(scored: Iterable[Scored]) -> list[Scored]:
    """Bids best first. Highest score wins; ties go to the lower gas estimate (bids without one after
    those with one), then the lower solver address (lowercase hex), then the lower bid digest."""
    return sorted(scored, key=_rank_key)


def rank(scored: Iterable[Scored]) -> Scored | None:
    """The winning bid (see `ranking` for the tie rule); None if there is none."""
    ordered = ranking(scored)
    return ordered[0] if ordered else None
