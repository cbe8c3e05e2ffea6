"""Best single route for one order over an auction's pools: one hop, or two hops through an intermediate.

Exact integers throughout: every quote is the pool's own `amount_out`, hop outputs feed the next hop.
No splitting over several routes. A sell order's best route maximises the output of its sell amount; a
buy order's best route minimises the input that yields at least its buy amount (the pool's `amount_in`
when it has one, as a hint, then a search on the monotonic `amount_out` that makes the input minimal).

Tokens are compared case-insensitively; each pool is called with its own spelling of the token.
Ties between routes: fewer hops, then the pools' addresses in lexicographic order (deterministic).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from .auction import Auction, Fulfillment
from .intent import Intent, IntentKind
from .liquidity import Pool
from .primitives import UINT256_MAX

# What a pool's quote may raise when it cannot quote (unknown token, empty reserves, output above the
# reserve, a V3 swap walking out of its snapshot): that path is simply not a route.
_QUOTE_ERRORS = (ValueError, ArithmeticError, LookupError)


@dataclass(frozen=True, slots=True)
class Route:
    """A path of pools and the exact amount entering each hop; `amounts[-1]` is the final output.

    `tokens[i]` is the token entering `pools[i]`, spelled as that pool spells it; `tokens[-1]` is the
    output token. len(tokens) == len(amounts) == len(pools) + 1.
    """

    pools: tuple[Pool, ...]
    tokens: tuple[str, ...]
    amounts: tuple[int, ...]

    @property
    def amount_in(self) -> int:
        return self.amounts[0]

    @property
    def amount_out(self) -> int:
        return self.amounts[-1]

    @property
    def hops(self) -> int:
        return len(self.pools)


@dataclass(frozen=True, slots=True)
class Path:
    """A candidate route before quoting: pools and the token entering each (as in Route.tokens)."""

    pools: tuple[Pool, ...]
    tokens: tuple[str, ...]

    @property
    def key(self) -> tuple[int, tuple[str, ...]]:
        return len(self.pools), tuple(p.address.lower() for p in self.pools)


def _other(pool: Pool, token: str) -> str | None:
    """The pool's other token (its spelling) if `token` is one of its two tokens."""
    t = token.lower()
    if pool.token0.lower() == t:
        return pool.token1
    if pool.token1.lower() == t:
        return pool.token0
    return None


def _spelling(pool: Pool, token: str) -> str:
    return pool.token0 if pool.token0.lower() == token.lower() else pool.token1


def paths(
    pools: Iterable[Pool],
    sell_token: str,
    buy_token: str,
    *,
    intermediates: Collection[str] | None = None,
    exclude: Collection[str] = (),
) -> list[Path]:
    """Every 1-hop and 2-hop path from sell_token to buy_token, in tie-break order.

    `intermediates` limits the middle token of 2-hop paths (None: any token of the pool set); `exclude`
    holds pool addresses (any case) that may not be used. A 2-hop path uses two different pools.
    """
    excluded = {a.lower() for a in exclude}
    allowed = None if intermediates is None else {t.lower() for t in intermediates}
    sell, buy = sell_token.lower(), buy_token.lower()
    into_buy: dict[str, list[Pool]] = {}  # other token (lowercase) -> usable pools pairing it with buy_token
    from_sell: list[Pool] = []
    for pool in pools:
        if pool.address.lower() in excluded:
            continue
        if _other(pool, sell) is not None:
            from_sell.append(pool)
        other = _other(pool, buy)
        if other is not None:
            into_buy.setdefault(other.lower(), []).append(pool)
    found: list[Path] = []
    for first in from_sell:
        middle = _other(first, sell)
        if middle is None:
            continue
        if middle.lower() == buy:
            found.append(Path((first,), (_spelling(first, sell), middle)))
            continue
        if allowed is not None and middle.lower() not in allowed:
            continue
        for second in into_buy.get(middle.lower(), ()):
            if second is not first:
                found.append(
                    Path((first, second), (_spelling(first, sell), _spelling(second, middle), _spelling(second, buy)))
                )
    found.sort(key=lambda p: p.key)
    return found


def _forward(path: Path, amount_in: int) -> tuple[int, ...] | None:
    """Exact amounts through the path for `amount_in`; None if a pool cannot quote."""
    amounts = [amount_in]
    for pool, token in zip(path.pools, path.tokens, strict=False):
        amount = amounts[-1]
        if amount == 0:
            amounts.append(0)
            continue
        try:
            amounts.append(pool.amount_out(token, amount))
        except _QUOTE_ERRORS:
            return None
    return tuple(amounts)


def quote(path: Path, amount_in: int) -> Route | None:
    amounts = _forward(path, amount_in)
    return None if amounts is None else Route(path.pools, path.tokens, amounts)


def best_sell_route(
    pools: Iterable[Pool],
    sell_token: str,
    buy_token: str,
    amount_in: int,
    *,
    intermediates: Collection[str] | None = None,
    exclude: Collection[str] = (),
) -> Route | None:
    """The route paying the most buy_token for exactly `amount_in` sell_token; None if none pays > 0."""
    best: Route | None = None
    for path in paths(pools, sell_token, buy_token, intermediates=intermediates, exclude=exclude):
        route = quote(path, amount_in)
        if route is not None and route.amount_out > 0 and (best is None or route.amount_out > best.amount_out):
            best = route  # strictly better only: earlier paths win ties
    return best


def _output(path: Path, amount_in: int) -> int:
    amounts = _forward(path, amount_in)
    return -1 if amounts is None else amounts[-1]


def _hint(path: Path, amount_out: int) -> int | None:
    """An input that should suffice, from the pools' exact-output quotes, if every pool offers one."""
    need = amount_out
    for pool, token in zip(reversed(path.pools), reversed(path.tokens[:-1]), strict=True):
        exact_output = getattr(pool, "amount_in", None)
        if exact_output is None:
            return None
        try:
            need = int(exact_output(token, need))
        except _QUOTE_ERRORS:
            return None
    return need


def minimal_input(path: Path, amount_out: int) -> int | None:
    """The least input whose output through `path` is at least `amount_out`; None if none reaches it.

    The output is monotonic in the input, so: an upper bound (the pools' exact-output hint, else doubling),
    then a binary search below it.
    """
    if amount_out <= 0:
        return 0
    hi = _hint(path, amount_out)
    if hi is None or _output(path, hi) < amount_out:
        hi = max(amount_out, 1)
        while _output(path, hi) < amount_out:
            if hi > UINT256_MAX:
                return None
            hi *= 2
    if _output(path, hi - 1) < amount_out:
        return hi  # the usual case: the hint is already minimal
    lo = 0  # invariant: output(lo) < amount_out <= output(hi)
    hi -= 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _output(path, mid) >= amount_out:
            hi = mid
        else:
            lo = mid
    return hi


def best_buy_route(
    pools: Iterable[Pool],
    sell_token: str,
    buy_token: str,
    amount_out: int,
    *,
    intermediates: Collection[str] | None = None,
    exclude: Collection[str] = (),
) -> Route | None:
    """The route needing the least sell_token to pay at least `amount_out` buy_token; amounts are the
    exact hop amounts for that minimal input (the output may exceed `amount_out` by the pools' rounding)."""
    best: Route | None = None
    for path in paths(pools, sell_token, buy_token, intermediates=intermediates, exclude=exclude):
        needed = minimal_input(path, amount_out)
        if needed is None or (best is not None and needed >= best.amount_in):
            continue
        route = quote(path, needed)
        if route is not None and route.amount_out >= amount_out:
            best = route
    return best


def best_direct_amount(
    pools: Iterable[Pool], intent: Intent, executed: int, *, intermediates: Collection[str] | None = None
) -> int | None:
    """EBBO benchmark for `executed` units of the intent's exact side, routed alone.

    SELL: the most buy units the best route pays for the executed sell amount. BUY: the least sell units
    the best route needs for the executed buy amount. None: no route (no benchmark).
    """
    pools = tuple(pools)
    if intent.kind is IntentKind.SELL:
        route = best_sell_route(pools, intent.sell_token, intent.buy_token, executed, intermediates=intermediates)
        return None if route is None else route.amount_out
    route = best_buy_route(pools, intent.sell_token, intent.buy_token, executed, intermediates=intermediates)
    return None if route is None else route.amount_in


def best_direct_amounts(
    auction: Auction, fulfillments: Iterable[Fulfillment], *, intermediates: Collection[str] | None = None
) -> dict[bytes, int]:
    """EBBO benchmarks of a solution's fulfilments over the auction's pools (its block's snapshot).

    Keyed by intent id; fulfilments of unknown orders and orders with no route are left out.
    """
    orders: Mapping[bytes, Intent] = {o.intent_id: o.intent for o in auction.orders}
    result: dict[bytes, int] = {}
    for f in fulfillments:
        intent = orders.get(f.intent_id)
        if intent is None or f.executed_amount <= 0:
            continue
        amount = best_direct_amount(auction.pools, intent, f.executed_amount, intermediates=intermediates)
        if amount is not None:
            result[f.intent_id] = amount
    return result
