"""The baseline solver: coincidences of wants on each token pair, then every other order routed alone.

Pure: given an Auction it returns a Solution; AMM calls come from an injected `InteractionEncoder`.

Algorithm (deterministic):
1. Every executable order becomes a leg: its remaining amount (fill-or-kill: the full amount) and its EBBO
   benchmark (routing.best_direct_amount over the auction's pools, as the venue computes it).
2. CoW phase, one token pair {X, Y} at a time (pairs with orders both ways, most reference value first).
   With r = p_X / p_Y, every X seller needs r >= its bound and every Y seller r <= its bound; a bound is
   the tighter of the signed limit and the EBBO rate, so [L0, U0] is where every limit and every
   user's best-route benchmark hold. The net imbalance at r (the larger side's remainder) is routed through
   the best route over pools no other group uses; r must also let that route's output pay the larger side
   (the funding window). Pricing rule: the geometric midpoint sqrt(L0 * U0) (the same whichever token is
   the numerator; when EBBO binds both ends it is close to the AMM's mid price, when limits bind it is the
   midpoint of the limits), moved into the funding window, whose edges are found by bisection from a
   feasible point (the midpoint, the exact balance point of the users' flows, or an end of [L0, U0]), then
   rounded to the simplest fraction within 2**-40 of it. When no price works, the partially fillable
   orders of the side in excess are first shrunk until the users pay each other at the midpoint (a pure
   CoW), then, if that fails too, the most demanding order of the binding side is dropped and the pair
   retried; dropped orders go to phase 3.
3. Every order not settled yet is routed alone: it gets exactly its best route's output (sell orders) or
   pays exactly its best route's input (buy orders), so its surplus is what the AMM gives and no more. A
   partially fillable order the route cannot fill at its limit gets the largest amount the route can.
4. One price per token: tokens are priced in connected components. A pair in a new or different component
   is priced freely inside its window (components are merged by rescaling one of them, which keeps every
   committed ratio); a pair inside one component already has its ratio and is settled only if everything
   holds at that ratio, otherwise its orders stay out of this round.

Exactness: every candidate is checked with the contract's own rounding (clearing.executed_amounts) and the
pools' exact quotes. A group is accepted only if every limit and EBBO benchmark holds and each token's
payouts are covered by the users' sells plus the route's output; a CoW group may take from the
settlement's buffer at most the rounding dust the contract allows (one base unit of a token per trade whose
owner-favouring rounding is in it: a sell order's buy token, a buy order's sell token), a routed order none.
The contract refuses to move a token that is not in the batch: a route hop that the settlement pays from its
balance (a V3 pool paid in its callback, a V2 pair it transfers to) needs its input token priced, so a
route's intermediate token paid that way is added to the prices (at its reference price relative to the
route's input token; no trade uses it).
Each pool serves at most one group per solution: quotes are from the auction's snapshot, and a second
swap through the same pool would see a moved price (and, for orders on the same side, break EBBO anyway).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from .auction import Auction, Fulfillment, Order, Solution
from .batch import Interaction
from .clearing import executed_amounts, respects_limit
from .intent import Intent, IntentKind
from .liquidity import Pool
from .primitives import UINT256_MAX, ZERO_ADDRESS
from .routing import Route, best_buy_route, best_direct_amount, best_sell_route
from .scoring import overflows
from .value_safety import BPS, rate_within_bound

# Relative distance from the target price within which the simplest fraction is taken as the price.
_PRECISION = Fraction(1, 2**40)
# Bisection steps when searching the edge of a CoW pair's funding window.
_BISECTION_STEPS = 32
# Gas one settlement may use: EIP-7825 caps a transaction at 2**24 gas and the keeper signs 1.5 x the
# estimate + 100k (solver/keeper/service.py), so an estimate above ~11.1M could never be sent.
MAX_SETTLEMENT_GAS = (2**24 - 100_000) * 2 // 3
# Upper estimates per part of a settlement (README gas table: a first-ever intent's trade 54.5k, a V3 hop
# inside settle ~50-60k beyond its trade), used only to size the solution, never to score it.
BASE_GAS, TRADE_GAS, SWAP_GAS = 30_000, 60_000, 160_000


class InteractionEncoder(Protocol):
    """Encodes AMM swaps as settlement interactions (ABI code lives in the adapters)."""

    def accepts_prefunded(self, pool: Pool) -> bool:
        """True if the pool swaps tokens transferred to it beforehand (Uniswap V2 pairs), so a trade's
        `sell_to` or the previous hop can pay it directly."""
        ...

    def swap(
        self, pool: Pool, token_in: str, amount_in: int, amount_out: int, recipient: str, *, prefunded: bool
    ) -> Sequence[Interaction]:
        """Interactions swapping exactly `amount_in` of `token_in` through `pool` for `amount_out` (the
        pool's exact quote at the auction's block) sent to `recipient`. `prefunded`: the input is already
        in the pool; otherwise the settlement holds it."""
        ...


@dataclass(frozen=True, slots=True)
class _Leg:
    """An order as this round would execute it."""

    order: Order
    amount: int  # executed, units of the exact side
    benchmark: int | None  # EBBO: best route's output (sell) / required input (buy) for `amount`
    bound: Fraction  # the least p_sell / p_buy at which the limit and the EBBO benchmark hold

    @property
    def intent(self) -> Intent:
        return self.order.intent

    def lower_bound(self) -> Fraction:
        return self.bound


def _lower_bound(intent: Intent, amount: int, benchmark: int | None) -> Fraction:
    """The least p_sell / p_buy at which the limit and the EBBO benchmark hold."""
    bound = Fraction(intent.buy_amount, intent.sell_amount)
    if benchmark is not None:
        if intent.kind is IntentKind.SELL:
            bound = max(bound, Fraction(benchmark, amount))  # ceil(amount * q) >= benchmark
        elif benchmark > 0:
            bound = max(bound, Fraction(amount, benchmark))  # floor(amount / q) <= benchmark
    return bound


@dataclass(frozen=True, slots=True)
class _Plan:
    legs: tuple[_Leg, ...]
    executed: tuple[tuple[int, int], ...]  # (sell, buy) per leg at the plan's prices
    route: Route | None  # swaps the net imbalance, if any


def simplest_between(lo: Fraction, hi: Fraction) -> Fraction:
    """The fraction with the smallest denominator in [lo, hi], for 0 < lo <= hi (continued fractions)."""
    if not 0 < lo <= hi:
        raise ValueError("need 0 < lo <= hi")
    terms: list[int] = []
    while True:
        whole = math.floor(lo)
        if whole == lo:
            terms.append(whole)
            break
        if whole + 1 <= hi:
            terms.append(whole + 1)
            break
        terms.append(whole)
        lo, hi = 1 / (hi - whole), 1 / (lo - whole)
    result = Fraction(terms[-1])
    for term in reversed(terms[:-1]):
        result = term + 1 / result
    return result


def geometric_midpoint(lo: Fraction, hi: Fraction) -> Fraction:
    """sqrt(lo * hi) to 64 bits: the midpoint whichever token of the pair is the numerator (the arithmetic
    mean of p_x / p_y would differ from that of p_y / p_x). Rounded into [lo, hi]."""
    product = lo * hi
    root = Fraction(math.isqrt(product.numerator * product.denominator * 4**64), product.denominator * 2**64)
    return min(max(root, lo), hi)


def _near(lo: Fraction, hi: Fraction, target: Fraction) -> Fraction:
    return simplest_between(max(lo, target * (1 - _PRECISION)), min(hi, target * (1 + _PRECISION)))


class _PriceBook:
    """Integer prices per connected component of tokens; ratios inside a component never change."""

    def __init__(self, cap: int) -> None:
        self.cap = cap  # no price above this: keeps every amount * price within uint256
        self.component: dict[str, int] = {}
        self.members: dict[int, dict[str, int]] = {}
        self._next = 0

    def copy(self) -> _PriceBook:
        book = _PriceBook(self.cap)
        book.component = dict(self.component)
        book.members = {k: dict(v) for k, v in self.members.items()}
        book._next = self._next
        return book

    def price(self, token: str) -> int:
        return self.members[self.component[token]][token]

    def prices(self) -> dict[str, int]:
        return {t: p for members in self.members.values() for t, p in members.items()}

    def ratio(self, x: str, y: str) -> Fraction | None:
        """p_x / p_y if both are priced in the same component."""
        cx, cy = self.component.get(x), self.component.get(y)
        if cx is None or cx != cy:
            return None
        return Fraction(self.price(x), self.price(y))

    def _members(self, token: str) -> dict[str, int]:
        component = self.component.get(token)
        return {token: 1} if component is None else self.members[component]

    def place(self, x: str, y: str, lo: Fraction, hi: Fraction, target: Fraction) -> bool:
        """Price x and y with p_x / p_y in [lo, hi], near target; False if impossible (book unchanged then
        only if the caller discards it: use on a copy)."""
        fixed = self.ratio(x, y)
        if fixed is not None:
            return lo <= fixed <= hi
        gx, gy = self._members(x), self._members(y)
        scale = Fraction(gy[y], gx[x])  # (a * p_x) / (b * p_y) = r  <=>  a / b = r * p_y / p_x
        q = _near(lo * scale, hi * scale, target * scale)
        merged = {t: p * q.numerator for t, p in gx.items()} | {t: p * q.denominator for t, p in gy.items()}
        common = math.gcd(*merged.values())
        merged = {t: p // common for t, p in merged.items()}
        if max(merged.values()) > self.cap:
            return False
        for token in (x, y):
            self.members.pop(self.component.get(token, -1), None)
        self._next += 1
        self.members[self._next] = merged
        for token in merged:
            self.component[token] = self._next
        return True


class _Round:
    """The mutable state of one solve: prices so far, pools used, what is settled."""

    def __init__(
        self, auction: Auction, encoder: InteractionEncoder, settlement: str, intermediates: Collection[str] | None
    ) -> None:
        self.auction = auction
        self.encoder = encoder
        self.settlement = settlement
        self.intermediates = intermediates
        largest = max((a for o in auction.orders for a in (o.intent.sell_amount, o.intent.buy_amount)), default=1)
        self.book = _PriceBook(UINT256_MAX // largest)
        self.used: set[str] = set()  # pool addresses, lowercase
        self.fulfillments: list[Fulfillment] = []
        self.interactions: list[Interaction] = []
        self.settled: set[bytes] = set()
        self.reference = {t.lower(): info.reference_price for t, info in auction.tokens.items()}
        self.max_bps = auction.max_price_deviation_bps  # the venue discards a trade rated further off
        # Route intermediates the settlement pays into a pool, with the route's input token: each needs a
        # price (the contract moves only the batch's tokens), set from the reference prices at the end.
        self.paid_intermediates: dict[str, str] = {}

    # --- legs -----------------------------------------------------------------------------------------

    def leg(self, order: Order, amount: int | None = None) -> _Leg | None:
        """The order executing `amount` (default: all that remains), with its EBBO benchmark."""
        intent = order.intent
        if order.remaining <= 0:
            return None
        if intent.partially_fillable:
            amount = min(order.remaining, intent.full_amount) if amount is None else amount
        elif order.remaining == intent.full_amount:
            amount = intent.full_amount
        else:
            return None
        if amount <= 0:
            return None
        surplus_token = intent.buy_token if intent.kind is IntentKind.SELL else intent.sell_token
        if surplus_token.lower() not in self.reference:
            return None  # the venue could not value its surplus and would discard the whole bid
        benchmark = best_direct_amount(self.auction.pools, intent, amount, intermediates=self.intermediates)
        return _Leg(order, amount, benchmark, _lower_bound(intent, amount, benchmark))

    def value(self, leg: _Leg) -> int:
        """Reference value of the leg's exact side (priority only)."""
        intent = leg.intent
        token = intent.sell_token if intent.kind is IntentKind.SELL else intent.buy_token
        return leg.amount * self.reference.get(token.lower(), 0)

    # --- the venue's price bound ----------------------------------------------------------------------

    def in_bound(self, sell: str, buy: str, p_sell: int, p_buy: int) -> bool:
        """True if the rate p_sell / p_buy is within the auction's bound of the reference rate (the venue's
        own test, exact integers); False if either token has no reference price."""
        r_sell, r_buy = self.reference.get(sell.lower(), 0), self.reference.get(buy.lower(), 0)
        return r_sell > 0 and r_buy > 0 and rate_within_bound(p_sell, p_buy, r_sell, r_buy, self.max_bps)

    def bound_window(self, x: str, y: str) -> tuple[Fraction, Fraction] | None:
        """[R / (1 + b), R * (1 + b)] for the ratio p_x / p_y, R the reference ratio and b the bound: the
        ratios the venue accepts for trades of x against y (either direction: the bound is symmetric)."""
        r_x, r_y = self.reference.get(x.lower(), 0), self.reference.get(y.lower(), 0)
        if r_x <= 0 or r_y <= 0:
            return None
        widen = Fraction(BPS + self.max_bps, BPS)
        return Fraction(r_x, r_y) / widen, Fraction(r_x, r_y) * widen

    # --- exact check of a group at given prices -------------------------------------------------------

    def evaluate(self, legs: Sequence[_Leg], prices: Mapping[str, int], *, dust: bool, exact: bool) -> _Plan | None:
        """The plan settling `legs` at `prices` (all on one token pair), or None if a limit, an EBBO
        benchmark or the funding fails. `dust`: the group may take from the buffer the rounding dust the
        contract allows, one base unit per trade in the token its rounding favours the owner in (a sell
        order's buy token, a buy order's sell token). `exact`: the prices are the final integers (check the
        contract's overflows)."""
        net: dict[str, int] = {}
        rounding: dict[str, int] = {}  # trades whose owner-favouring rounding is in each token
        executed: list[tuple[int, int]] = []
        for leg in legs:
            intent = leg.intent
            p_sell, p_buy = prices[intent.sell_token], prices[intent.buy_token]
            if exact and overflows(intent, leg.amount, p_sell, p_buy):
                return None
            if not respects_limit(intent.sell_amount, intent.buy_amount, p_sell, p_buy):
                return None
            if not self.in_bound(intent.sell_token, intent.buy_token, p_sell, p_buy):
                return None
            sell, buy = executed_amounts(intent, leg.amount, p_sell, p_buy)
            if leg.benchmark is not None and (
                (intent.kind is IntentKind.SELL and buy < leg.benchmark)
                or (intent.kind is IntentKind.BUY and sell > leg.benchmark)
            ):
                return None
            net[intent.sell_token] = net.get(intent.sell_token, 0) + sell
            net[intent.buy_token] = net.get(intent.buy_token, 0) - buy
            rounded = intent.buy_token if intent.kind is IntentKind.SELL else intent.sell_token
            rounding[rounded] = rounding.get(rounded, 0) + 1
            executed.append((sell, buy))

        def allowance(token: str) -> int:
            return rounding.get(token, 0) if dust else 0

        short = [t for t in net if net[t] < -allowance(t)]
        if not short:
            return _Plan(tuple(legs), tuple(executed), None)
        if len(short) != 1 or len(net) != 2:
            return None
        token_out = short[0]
        token_in = next(t for t in net if t != token_out)
        if net[token_in] <= 0:
            return None
        route = best_sell_route(
            self.auction.pools, token_in, token_out, net[token_in], intermediates=self.intermediates, exclude=self.used
        )
        if route is None or net[token_out] + route.amount_out < -allowance(token_out):
            return None
        return _Plan(tuple(legs), tuple(executed), route)

    # --- committing -----------------------------------------------------------------------------------

    def commit(self, plan: _Plan, book: _PriceBook) -> None:
        self.book = book
        route = plan.route
        prefunded = False
        for leg, (sell, _) in zip(plan.legs, plan.executed, strict=True):
            sell_to = ZERO_ADDRESS
            if (
                route is not None
                and len(plan.legs) == 1
                and route.amount_in == sell
                and self.encoder.accepts_prefunded(route.pools[0])
            ):
                sell_to, prefunded = route.pools[0].address, True  # one order alone feeds the pool
            self.fulfillments.append(Fulfillment(leg.order.intent_id, leg.amount, sell_to))
            self.settled.add(leg.order.intent_id)
        if route is not None:
            self.used.update(p.address.lower() for p in route.pools)
            self.interactions.extend(self._swaps(route, prefunded))

    def _swaps(self, route: Route, prefunded: bool) -> list[Interaction]:
        calls: list[Interaction] = []
        for i, pool in enumerate(route.pools):
            following = route.pools[i + 1] if i + 1 < route.hops else None
            forward = following is not None and self.encoder.accepts_prefunded(following)
            recipient = following.address if following is not None and forward else self.settlement
            if i > 0 and not prefunded:  # the settlement pays this intermediate from its balance
                self.paid_intermediates.setdefault(route.tokens[i].lower(), route.tokens[0])
            calls.extend(
                self.encoder.swap(
                    pool, route.tokens[i], route.amounts[i], route.amounts[i + 1], recipient, prefunded=prefunded
                )
            )
            prefunded = forward
        return calls

    def prices(self) -> dict[str, int]:
        """The book's prices plus one for each paid intermediate the book does not price: its reference
        price relative to the route's input token (any positive price would do: no trade uses it)."""
        prices = self.book.prices()
        priced = {t.lower() for t in prices}  # one price per address, however it is spelled
        for token, source in self.paid_intermediates.items():
            if token.lower() in priced:
                continue
            priced.add(token.lower())
            ref_token, ref_source = self.reference.get(token.lower(), 0), self.reference.get(source.lower(), 0)
            p_source = next((p for t, p in prices.items() if t.lower() == source.lower()), 0)
            consistent = p_source > 0 and ref_token > 0 and ref_source > 0
            price = Fraction(p_source * ref_token, ref_source) if consistent else Fraction(1)
            prices[token] = min(max(round(price), 1), UINT256_MAX)
        return prices

    # --- phase 2: coincidences of wants on one pair ---------------------------------------------------

    def settle_cow(self, x: str, y: str, legs: Sequence[_Leg]) -> None:
        """Settle as many of the pair's orders as possible at one ratio r = p_x / p_y."""
        window = self.bound_window(x, y)
        if window is None:
            return
        floor, ceiling = window  # the venue's price bound: r outside [floor, ceiling] is discarded
        # need r >= their bound (orders whose limit lies above the venue's window can never clear here)
        xs = [leg for leg in legs if leg.intent.sell_token == x and leg.lower_bound() <= ceiling]
        # need r <= 1 / their bound
        ys = [leg for leg in legs if leg.intent.sell_token == y and 1 / leg.lower_bound() >= floor]
        trimmed = False  # no two trims in a row: each retry trims or drops, so the loop ends
        while xs and ys:
            group = [*xs, *ys]
            lows = {id(leg): leg.lower_bound() for leg in xs}
            highs = {id(leg): 1 / leg.lower_bound() for leg in ys}
            top_x = max(xs, key=lambda leg: (lows[id(leg)], leg.order.intent_id))
            top_y = min(ys, key=lambda leg: (highs[id(leg)], leg.order.intent_id))
            low, high = max(lows[id(top_x)], floor), min(highs[id(top_y)], ceiling)
            fixed = self.book.ratio(x, y)
            if fixed is not None:
                if low > fixed or high < fixed:
                    xs = [leg for leg in xs if lows[id(leg)] <= fixed]
                    ys = [leg for leg in ys if highs[id(leg)] >= fixed]
                    continue
                plan = self.evaluate(group, {x: self.book.price(x), y: self.book.price(y)}, dust=True, exact=True)
                if plan is not None:
                    self.commit(plan, self.book)
                    return
                if not trimmed and self._trim(xs, ys, x, fixed):
                    trimmed = True
                    continue
                trimmed = False
                self._drop_excess(xs, ys, top_x, top_y, fixed, x)
                continue
            if low > high:  # no ratio satisfies both sides: drop the smaller of the two extremes
                if self.value(top_x) <= self.value(top_y):
                    xs.remove(top_x)
                else:
                    ys.remove(top_y)
                continue
            if self._settle_free(group, x, y, low, high):
                return
            if not trimmed and self._trim(xs, ys, x, geometric_midpoint(low, high)):
                trimmed = True
                continue
            trimmed = False
            self._drop_excess(xs, ys, top_x, top_y, geometric_midpoint(low, high), x)

    def _drop_excess(self, xs: list[_Leg], ys: list[_Leg], top_x: _Leg, top_y: _Leg, ratio: Fraction, x: str) -> None:
        """Funding failed at `ratio`: drop the most demanding order of the side in excess."""
        if _nets(xs, ys, x, ratio)[0] > 0:
            xs.remove(top_x)
        else:
            ys.remove(top_y)

    def _trim(self, xs: list[_Leg], ys: list[_Leg], x: str, ratio: Fraction) -> bool:
        """Shrink the partially fillable orders of the side in excess until the users pay each other at
        `ratio` (a pure coincidence of wants, nothing to route); True if any order changed."""
        net_x, net_y = _nets(xs, ys, x, ratio)
        side, excess = (xs, net_x) if net_x > 0 else (ys, net_y)
        p_x, p_y = ratio.numerator, ratio.denominator
        replaced: dict[int, _Leg | None] = {}
        for leg in sorted((leg for leg in side if leg.intent.partially_fillable), key=lambda leg: -leg.amount):
            if excess <= 0:
                break
            intent = leg.intent
            p_sell, p_buy = (p_x, p_y) if intent.sell_token == x else (p_y, p_x)
            pulled, _ = executed_amounts(intent, leg.amount, p_sell, p_buy)
            keep = max(pulled - excess, 0)  # sell units this order may still bring
            amount = keep if intent.kind is IntentKind.SELL else keep * p_sell // p_buy
            smaller = self.leg(leg.order, amount) if amount > 0 else None
            excess -= pulled - (executed_amounts(intent, smaller.amount, p_sell, p_buy)[0] if smaller else 0)
            replaced[id(leg)] = smaller
        side[:] = [new for leg in side if (new := replaced.get(id(leg), leg)) is not None]
        return bool(replaced)

    def _settle_free(self, group: Sequence[_Leg], x: str, y: str, low: Fraction, high: Fraction) -> bool:
        """Find and commit a ratio in [low, high] where the group is funded; False if none is found."""
        memo: dict[Fraction, bool] = {}

        def ok(r: Fraction) -> bool:
            if r not in memo:
                prices = {x: r.numerator, y: r.denominator}
                memo[r] = self.evaluate(group, prices, dust=True, exact=False) is not None
            return memo[r]

        mid = geometric_midpoint(low, high)
        candidates = [mid, *_balance_points(group, x), low, high]
        start = next((r for r in candidates if low <= r <= high and ok(r)), None)
        if start is None:
            return False
        upper = high if ok(high) else _bisect(ok, start, high)
        lower = low if ok(low) else _bisect(ok, start, low)
        for target in dict.fromkeys((min(max(mid, lower), upper), (lower + upper) / 2, start)):
            trial = self.book.copy()
            if not trial.place(x, y, lower, upper, target):
                continue
            plan = self.evaluate(group, {x: trial.price(x), y: trial.price(y)}, dust=True, exact=True)
            if plan is not None:
                self.commit(plan, trial)
                return True
        return False

    # --- phase 3: one order alone ---------------------------------------------------------------------

    def settle_alone(self, leg: _Leg) -> None:
        """Route the order alone; a partially fillable order whose limit the route misses at its full
        amount gets the largest amount whose route meets the limit."""
        if self._settle_alone(leg) or not leg.intent.partially_fillable:
            return
        if self.book.ratio(leg.intent.sell_token, leg.intent.buy_token) is not None:
            return  # a fixed ratio, not the size, kept it out: a smaller amount will not help
        if self._route_meets_limit(leg.intent, leg.amount):
            return  # the limit was not what failed
        amount = self._largest_fill(leg)
        smaller = self.leg(leg.order, amount) if 0 < amount < leg.amount else None
        if smaller is not None:
            self._settle_alone(smaller)

    def _route_meets_limit(self, intent: Intent, amount: int) -> bool:
        pools, via, used = self.auction.pools, self.intermediates, self.used
        sell, buy = intent.sell_token, intent.buy_token
        if intent.kind is IntentKind.SELL:
            route = best_sell_route(pools, sell, buy, amount, intermediates=via, exclude=used)
            return route is not None and route.amount_out * intent.sell_amount >= amount * intent.buy_amount
        route = best_buy_route(pools, sell, buy, amount, intermediates=via, exclude=used)
        return route is not None and route.amount_in * intent.buy_amount <= amount * intent.sell_amount

    def _largest_fill(self, leg: _Leg) -> int:
        """The largest amount (binary search: a route's rate worsens with size) whose best route meets the
        order's limit; 0 if none."""
        lo, hi = 0, leg.amount
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._route_meets_limit(leg.intent, mid):
                lo = mid
            else:
                hi = mid
        return lo

    def _settle_alone(self, leg: _Leg) -> bool:
        """Route the order alone: it receives exactly the route's output (pays exactly its input)."""
        intent, amount = leg.intent, leg.amount
        sell, buy = intent.sell_token, intent.buy_token
        pools, via, used = self.auction.pools, self.intermediates, self.used
        if intent.kind is IntentKind.SELL:
            route = best_sell_route(pools, sell, buy, amount, intermediates=via, exclude=used)
            if route is None or (leg.benchmark is not None and route.amount_out < leg.benchmark):
                return False
            out = route.amount_out  # ceil(amount * r) == out  <=>  (out - 1) / amount < r <= out / amount
            lo, hi = Fraction(2 * out - 1, 2 * amount), Fraction(out, amount)
        else:
            route = best_buy_route(pools, sell, buy, amount, intermediates=via, exclude=used)
            if route is None or (leg.benchmark is not None and route.amount_in > leg.benchmark):
                return False
            needed = route.amount_in  # floor(amount / r) == needed  <=>  amount / (needed + 1) < r <= amount / needed
            lo, hi = Fraction(2 * amount, 2 * needed + 1), Fraction(amount, needed)
        trial = self.book.copy()
        if not trial.place(sell, buy, lo, hi, hi):
            return False
        plan = self.evaluate((leg,), {sell: trial.price(sell), buy: trial.price(buy)}, dust=False, exact=True)
        if plan is None:
            return False
        self.commit(plan, trial)
        return True


def _nets(xs: Sequence[_Leg], ys: Sequence[_Leg], x: str, ratio: Fraction) -> tuple[int, int]:
    """(X, Y) the pair's users bring minus what they take, at p_x / p_y = ratio (positive: in excess)."""
    net_x = net_y = 0
    for leg in (*xs, *ys):
        sells_x = leg.intent.sell_token == x
        p_sell, p_buy = (ratio.numerator, ratio.denominator) if sells_x else (ratio.denominator, ratio.numerator)
        sell, buy = executed_amounts(leg.intent, leg.amount, p_sell, p_buy)
        if sells_x:
            net_x, net_y = net_x + sell, net_y - buy
        else:
            net_x, net_y = net_x - buy, net_y + sell
    return net_x, net_y


def _balance_points(group: Sequence[_Leg], x: str) -> list[Fraction]:
    """The ratio r = p_x / p_y where the pair's users pay each other exactly (before rounding), if any.

    Y paid out minus Y pulled in is linear in r: A * r + B."""
    a = b = 0
    for leg in group:
        intent, amount = leg.intent, leg.amount
        sells_x, sell_kind = intent.sell_token == x, intent.kind is IntentKind.SELL
        if sells_x and sell_kind:
            a += amount  # receives amount * r of Y
        elif sells_x:
            b += amount  # receives exactly `amount` Y
        elif sell_kind:
            b -= amount  # pays exactly `amount` Y
        else:
            a -= amount  # pays amount * r of Y for exactly `amount` X
    if a == 0 or -b * a <= 0:
        return []
    return [Fraction(-b, a)]


def _bisect(ok: Callable[[Fraction], bool], good: Fraction, bad: Fraction) -> Fraction:
    """The last feasible point found walking from `good` (feasible) towards `bad` (infeasible)."""
    for _ in range(_BISECTION_STEPS):
        mid = (good + bad) / 2
        if ok(mid):
            good = mid
        else:
            bad = mid
    return good


def _pair(intent: Intent) -> tuple[str, str]:
    a, b = intent.sell_token, intent.buy_token
    return (a, b) if a.lower() < b.lower() else (b, a)


def _within_gas(auction: Auction, reference: Mapping[str, int], max_gas: int) -> Sequence[Order]:
    """The orders a settlement of at most `max_gas` can hold (upper estimates per trade and per swap):
    all of them, or the most valuable (reference value of the exact side; ties by id)."""
    swaps = min(len(auction.pools), 8) * SWAP_GAS
    room = max(0, (max_gas - BASE_GAS - swaps) // TRADE_GAS)
    if len(auction.orders) <= room:
        return auction.orders

    def value(order: Order) -> int:
        i = order.intent
        token = i.sell_token if i.kind is IntentKind.SELL else i.buy_token
        return order.remaining * reference.get(token.lower(), 0)

    return sorted(auction.orders, key=lambda o: (-value(o), o.intent_id))[:room]


def solve(
    auction: Auction,
    encoder: InteractionEncoder,
    *,
    solver: str,
    settlement: str,
    intermediates: Collection[str] | None = None,
    max_gas: int = MAX_SETTLEMENT_GAS,
) -> Solution:
    """The baseline solution for `auction` (no fulfilments if nothing can be settled).

    `solver` is the bidding address, `settlement` the contract that receives swap outputs, `intermediates`
    the tokens 2-hop routes may pass through (None: any token of the auction's pools; keep it equal to the
    venue's EBBO setting). `max_gas` bounds the settlement: only the most valuable orders that fit are
    considered (the others wait for a later auction).
    """
    state = _Round(auction, encoder, settlement, intermediates)
    orders = _within_gas(auction, state.reference, max_gas)
    legs = [leg for order in orders if (leg := state.leg(order)) is not None]
    by_pair: dict[tuple[str, str], list[_Leg]] = {}
    for leg in legs:
        by_pair.setdefault(_pair(leg.intent), []).append(leg)
    cow_pairs = [(pair, group) for pair, group in by_pair.items() if len({leg.intent.sell_token for leg in group}) == 2]
    cow_pairs.sort(key=lambda item: (-sum(state.value(leg) for leg in item[1]), item[0][0].lower(), item[0][1].lower()))
    for (x, y), group in cow_pairs:
        state.settle_cow(x, y, group)
    alone = [leg for leg in legs if leg.order.intent_id not in state.settled]
    alone.sort(key=lambda leg: (-state.value(leg), leg.order.intent_id))
    for leg in alone:
        state.settle_alone(leg)
    return Solution(
        auction_id=auction.auction_id,
        solver=solver,
        prices=state.prices(),
        fulfillments=tuple(state.fulfillments),
        interactions=tuple(state.interactions),
    )
