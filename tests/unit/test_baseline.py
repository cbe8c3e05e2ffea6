"""The baseline solver matches opposite orders at one price per token, routes the rest, and never bids a
solution the venue would discard or that pays out more than users and pools bring in."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.domain.auction import Auction, Order, Solution
from solver.domain.baseline import BASE_GAS, SWAP_GAS, TRADE_GAS, simplest_between, solve
from solver.domain.intent import IntentKind
from solver.domain.primitives import ZERO_ADDRESS, address
from solver.domain.routing import best_buy_route, best_sell_route
from solver.domain.scoring import Score, evaluate, to_batch

from .builders import (
    ALICE,
    BOB,
    CAROL,
    DAI,
    REFERENCE_PRICES,
    SETTLEMENT,
    SOLVER,
    USDC,
    WETH,
    RecordingEncoder,
    a_pool,
    an_auction,
    an_order,
    token_infos,
)

E18, E17, E6 = 10**18, 10**17, 10**6
WETH_USDC = a_pool(WETH, 1_000 * E18, USDC, 3_000_000 * E6)  # 3,000 USDC per WETH
WETH_DAI = a_pool(WETH, 1_000 * E18, DAI, 3_000_000 * E18)


def run(auction: Auction, encoder: RecordingEncoder | None = None) -> tuple[Solution, RecordingEncoder]:
    encoder = RecordingEncoder() if encoder is None else encoder
    solution = solve(auction, encoder, solver=SOLVER, settlement=SETTLEMENT)
    assert_valid(auction, solution, encoder)
    return solution, encoder


def assert_valid(auction: Auction, solution: Solution, encoder: RecordingEncoder) -> Score | None:
    """The venue accepts the solution (structure, limits, surplus, EBBO) and every token balances: the
    settlement pays out at most what users and pools bring in, plus one base unit per trade whose rounding
    favours its owner in it."""
    if not solution.fulfillments:
        assert not solution.interactions and not encoder.swaps
        return None
    result = evaluate(auction, solution)
    assert all(o.surplus >= 0 for o in result.orders)
    batch = to_batch(auction, solution)
    settlement: dict[str, int] = defaultdict(int)  # the settlement's balance change per token
    prefunded: dict[tuple[str, str], int] = defaultdict(int)  # tokens sent to a pool ahead of its swap
    receivers: dict[str, int] = defaultdict(int)
    for trade in batch.trades:  # pull phase
        sell, _ = batch.executed(trade)
        token = trade.intent.sell_token.lower()
        if trade.sell_to == ZERO_ADDRESS:
            settlement[token] += sell
        else:
            prefunded[(trade.sell_to.lower(), token)] += sell
    pools_used = [s.pool.address.lower() for s in encoder.swaps]
    assert len(pools_used) == len(set(pools_used)), "a pool swapped twice on one snapshot"
    assert len(solution.interactions) == len(encoder.swaps)
    for swap in encoder.swaps:  # interactions, in order
        pool, token_in = swap.pool, swap.token_in.lower()
        assert swap.amount_out == pool.amount_out(swap.token_in, swap.amount_in)  # the snapshot's exact quote
        if swap.prefunded:
            key = (pool.address.lower(), token_in)
            assert prefunded[key] == swap.amount_in, "the pool must hold exactly the prefunded input"
            prefunded[key] = 0
        else:
            settlement[token_in] -= swap.amount_in
        token_out = (pool.token1 if pool.token0.lower() == token_in else pool.token0).lower()
        if swap.recipient.lower() == SETTLEMENT.lower():
            settlement[token_out] += swap.amount_out
        else:
            prefunded[(swap.recipient.lower(), token_out)] += swap.amount_out
    for trade in batch.trades:  # payout phase
        _, buy = batch.executed(trade)
        settlement[trade.intent.buy_token.lower()] -= buy
        # The contract's dust rule: a sell trade's buy amount rounds up (one unit of its buy token), a buy
        # trade's sell amount rounds down (one unit of its sell token).
        sell_kind = trade.intent.kind is IntentKind.SELL
        receivers[(trade.intent.buy_token if sell_kind else trade.intent.sell_token).lower()] += 1
    assert all(v == 0 for v in prefunded.values()), "tokens left in a pool"
    for token, change in settlement.items():
        assert change >= -receivers[token], f"{token}: the buffer pays {-change} for {receivers[token]} trades"
    return result


def executed(solution: Solution, auction: Auction, order: Order) -> tuple[int, int]:
    batch = to_batch(auction, solution)
    index = [f.intent_id for f in solution.fulfillments].index(order.intent_id)
    return batch.executed(batch.trades[index])


def ratio(solution: Solution, x: str, y: str) -> Fraction:
    prices = {address(t): p for t, p in solution.prices.items()}
    return Fraction(prices[address(x)], prices[address(y)])


ALICE_SELLS_WETH = an_order(owner=ALICE, sell_amount=E18, buy_amount=2_900 * E6)
BOB_SELLS_USDC = an_order(
    owner=BOB, sell_token=USDC, buy_token=WETH, sell_amount=3_000 * E6, buy_amount=95 * E18 // 100
)


def test_two_opposite_orders_are_matched_at_a_price_inside_both_limits() -> None:
    auction = an_auction(ALICE_SELLS_WETH, BOB_SELLS_USDC, pools=(WETH_USDC,))
    solution, encoder = run(auction)
    assert {f.intent_id for f in solution.fulfillments} == {ALICE_SELLS_WETH.intent_id, BOB_SELLS_USDC.intent_id}
    r = ratio(solution, WETH, USDC)  # USDC units per WETH unit
    assert Fraction(2_900 * E6, E18) <= r <= Fraction(3_000 * E6, 95 * E18 // 100)
    assert encoder.swaps == []  # they pay each other exactly: nothing to route
    assert executed(solution, auction, ALICE_SELLS_WETH)[1] > WETH_USDC.amount_out(WETH, E18)
    assert executed(solution, auction, BOB_SELLS_USDC)[1] > WETH_USDC.amount_out(USDC, 3_000 * E6)


def test_without_an_amm_a_seller_and_a_buyer_clear_at_the_geometric_midpoint_of_their_limits() -> None:
    seller = an_order(owner=ALICE, sell_amount=E18, buy_amount=2_500 * E6)
    buyer = an_order(
        owner=BOB, sell_token=USDC, buy_token=WETH, sell_amount=3_600 * E6, buy_amount=E18, kind=IntentKind.BUY
    )
    auction = an_auction(seller, buyer)
    solution, _ = run(auction)
    assert ratio(solution, WETH, USDC) == Fraction(3_000 * E6, E18)
    assert executed(solution, auction, seller) == (E18, 3_000 * E6)
    assert executed(solution, auction, buyer) == (3_000 * E6, E18)


def test_a_lone_sell_order_is_routed_through_its_pair_and_gets_its_exact_output() -> None:
    auction = an_auction(ALICE_SELLS_WETH, pools=(WETH_USDC,))
    solution, encoder = run(auction)
    [fill] = solution.fulfillments
    assert address(fill.sell_to) == address(WETH_USDC.address)  # the owner's WETH goes straight to the pair
    [swap] = encoder.swaps
    assert swap.prefunded and (swap.amount_in, swap.recipient) == (E18, SETTLEMENT)
    assert executed(solution, auction, ALICE_SELLS_WETH) == (E18, WETH_USDC.amount_out(WETH, E18))


def test_a_lone_buy_order_pays_exactly_the_least_input_of_its_route() -> None:
    order = an_order(
        owner=BOB, sell_token=USDC, buy_token=WETH, sell_amount=4_000 * E6, buy_amount=E18, kind=IntentKind.BUY
    )
    auction = an_auction(order, pools=(WETH_USDC,))
    solution, encoder = run(auction)
    route = best_buy_route([WETH_USDC], USDC, WETH, E18)
    assert route is not None
    assert executed(solution, auction, order) == (route.amount_in, E18)
    assert [s.amount_in for s in encoder.swaps] == [route.amount_in]


def test_a_partially_matched_pair_routes_the_remainder_of_the_larger_side() -> None:
    bob_small = an_order(owner=BOB, sell_token=USDC, buy_token=WETH, sell_amount=1_000 * E6, buy_amount=3 * E17)
    auction = an_auction(ALICE_SELLS_WETH, bob_small, pools=(WETH_USDC,))
    solution, encoder = run(auction)
    assert len(solution.fulfillments) == 2
    [swap] = encoder.swaps
    assert swap.token_in.lower() == WETH.lower() and 0 < swap.amount_in < E18  # only the unmatched WETH
    alice_got = executed(solution, auction, ALICE_SELLS_WETH)[1]
    bob_got = executed(solution, auction, bob_small)[1]
    assert alice_got >= WETH_USDC.amount_out(WETH, E18)
    assert bob_got > WETH_USDC.amount_out(USDC, 1_000 * E6)
    r = ratio(solution, WETH, USDC)
    assert alice_got == -(-E18 * r.numerator // r.denominator)  # the uniform price, rounded up for her


def test_an_order_with_no_direct_pool_is_routed_through_weth_with_the_hops_chained() -> None:
    order = an_order(owner=CAROL, sell_token=DAI, buy_token=USDC, sell_amount=1_000 * E18, buy_amount=900 * E6)
    auction = an_auction(order, pools=(WETH_DAI, WETH_USDC))
    solution, encoder = run(auction)
    first, second = encoder.swaps
    assert address(solution.fulfillments[0].sell_to) == address(WETH_DAI.address)
    assert first.prefunded and address(first.recipient) == address(WETH_USDC.address)  # straight into the next pair
    assert second.prefunded and second.recipient == SETTLEMENT
    route = best_sell_route([WETH_DAI, WETH_USDC], DAI, USDC, 1_000 * E18)
    assert route is not None and executed(solution, auction, order)[1] == route.amount_out


def test_pools_that_cannot_be_prefunded_get_their_input_from_the_settlement() -> None:
    auction = an_auction(ALICE_SELLS_WETH, pools=(WETH_USDC,))
    solution, encoder = run(auction, RecordingEncoder(prefund=False))
    assert solution.fulfillments[0].sell_to == ZERO_ADDRESS
    assert not encoder.swaps[0].prefunded


def test_an_order_the_amm_cannot_fill_at_its_limit_is_left_out() -> None:
    greedy = an_order(owner=BOB, sell_amount=E18, buy_amount=3_100 * E6)
    auction = an_auction(greedy, ALICE_SELLS_WETH, pools=(WETH_USDC,))
    solution, _ = run(auction)
    assert [f.intent_id for f in solution.fulfillments] == [ALICE_SELLS_WETH.intent_id]


def test_nothing_to_settle_gives_an_empty_solution() -> None:
    greedy = an_order(owner=BOB, sell_amount=E18, buy_amount=3_100 * E6)
    solution, _ = run(an_auction(greedy, pools=(WETH_USDC,)))
    assert solution.fulfillments == () and solution.prices == {}


def test_a_partially_filled_order_executes_what_remains() -> None:
    order = an_order(owner=ALICE, sell_amount=2 * E18, buy_amount=5_000 * E6, partially_fillable=True, remaining=E18)
    auction = an_auction(order, pools=(WETH_USDC,))
    solution, _ = run(auction)
    assert solution.fulfillments[0].executed_amount == E18


def test_a_pair_already_priced_by_other_trades_keeps_that_price() -> None:
    # The CoW prices WETH/USDC; the larger lone order (1,000 DAI -> WETH) then prices DAI; the USDC -> DAI
    # order finds its ratio fixed by the other two and the AMM does not pay exactly that ratio: left out.
    usdc_pool = a_pool(USDC, 1_000_000 * E6, DAI, 1_000_000 * E18)
    to_dai = an_order(owner=CAROL, sell_token=USDC, buy_token=DAI, sell_amount=500 * E6, buy_amount=490 * E18)
    dai_to_weth = an_order(
        owner=CAROL, sell_token=DAI, buy_token=WETH, sell_amount=1_000 * E18, buy_amount=E17, nonce=2
    )
    auction = an_auction(ALICE_SELLS_WETH, BOB_SELLS_USDC, to_dai, dai_to_weth, pools=(WETH_USDC, usdc_pool, WETH_DAI))
    solution, _ = run(auction)
    ids = [f.intent_id for f in solution.fulfillments]
    assert set(ids[:2]) == {ALICE_SELLS_WETH.intent_id, BOB_SELLS_USDC.intent_id}
    assert ids[2:] == [dai_to_weth.intent_id]
    assert len(solution.prices) == 3  # one price per token
    assert ratio(solution, WETH, USDC) == Fraction(3_000 * E6, E18)  # the CoW's ratio survived DAI's pricing


def test_the_simplest_fraction_in_an_interval_has_the_smallest_denominator() -> None:
    assert simplest_between(Fraction(1, 3), Fraction(1, 2)) == Fraction(1, 2)
    assert simplest_between(Fraction(3, 10), Fraction(34, 100)) == Fraction(1, 3)
    assert simplest_between(Fraction(7, 5), Fraction(7, 5)) == Fraction(7, 5)
    assert simplest_between(Fraction(2), Fraction(3)) == Fraction(2)


# --- property: any small auction on 2-3 tokens with V2 pools --------------------------------------------

TOKENS = (WETH, USDC, DAI)


@st.composite
def auctions(draw: st.DrawFn, bounded: bool = False) -> Auction:
    n_tokens = draw(st.integers(2, 3))
    tokens = TOKENS[:n_tokens]
    value = {t: draw(st.integers(1, 1_000)) for t in tokens}  # a common price per base unit, for realism
    pools = []
    for i, a in enumerate(tokens):
        for b in tokens[i + 1 :]:
            if draw(st.booleans()):
                depth = draw(st.integers(10**4, 10**12))
                skew = draw(st.integers(80, 120))
                pools.append(a_pool(a, depth * value[b] * skew // 100, b, depth * value[a]))
    orders = []
    for n in range(draw(st.integers(1, 5))):
        sell, buy = draw(st.permutations(tokens).map(lambda p: (p[0], p[1])))
        kind = draw(st.sampled_from(IntentKind))
        size = draw(st.integers(1, 10**9))
        limit = draw(st.integers(50, 110))  # % of the common price the owner asks for
        if kind is IntentKind.SELL:
            sell_amount = size * value[buy]
            buy_amount = max(1, sell_amount * value[sell] * limit // (value[buy] * 100))
        else:
            buy_amount = size * value[sell]
            sell_amount = max(1, buy_amount * value[buy] * 100 // (value[sell] * limit))
        partial = draw(st.booleans())
        order = an_order(
            owner=(ALICE, BOB, CAROL)[n % 3],
            sell_token=sell,
            buy_token=buy,
            sell_amount=sell_amount,
            buy_amount=buy_amount,
            kind=kind,
            partially_fillable=partial,
            nonce=n,
        )
        if partial and draw(st.booleans()):
            order = an_order(order.intent, remaining=draw(st.integers(1, order.intent.full_amount)))
        orders.append(order)
    if not bounded:
        return an_auction(*orders, pools=tuple(pools))
    # The venue's price bound with reference prices near the common price (off by up to ±10 %, as a
    # reference from exchange books may be): a solution must price every trade within the bound of them.
    reference = {t: value[t] * draw(st.integers(90, 110)) for t in tokens}
    bps = draw(st.sampled_from([0, 1, 50, 300, 1_000]))
    return an_auction(*orders, pools=tuple(pools), tokens=token_infos(reference), max_price_deviation_bps=bps)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(auction=auctions(), prefund=st.booleans())
def test_every_baseline_solution_validates_and_balances(auction: Auction, prefund: bool) -> None:
    run(auction, RecordingEncoder(prefund=prefund))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(auction=auctions(bounded=True), prefund=st.booleans())
def test_every_baseline_solution_keeps_within_the_venues_price_bound(auction: Auction, prefund: bool) -> None:
    """`evaluate` is the venue's own check (price_out_of_bounds among them): the baseline never bids a trade it
    would discard, whatever the bound, and settles what it can inside it."""
    run(auction, RecordingEncoder(prefund=prefund))


def test_the_baseline_leaves_out_a_coincidence_of_wants_it_could_only_clear_off_the_reference() -> None:
    """Alice sells 1 WETH for at least 3,300 USDC and Bob pays up to 3,400: the only common rates are 10 %
    above the reference (3,000). Within a 5 % bound the venue would discard them; at 15 % they clear."""
    alice = an_order(owner=ALICE, sell_amount=E18, buy_amount=3_300 * E6)
    bob = an_order(owner=BOB, sell_token=USDC, buy_token=WETH, sell_amount=3_400 * E6, buy_amount=E18,
                   kind=IntentKind.BUY)  # fmt: skip
    tight, _ = run(an_auction(alice, bob, max_price_deviation_bps=500))
    assert tight.fulfillments == ()
    loose, _ = run(an_auction(alice, bob, max_price_deviation_bps=1_500))
    assert {f.intent_id for f in loose.fulfillments} == {alice.intent_id, bob.intent_id}
    price = {t.lower(): p for t, p in loose.prices.items()}
    rate = Fraction(price[WETH.lower()] * REFERENCE_PRICES[USDC], price[USDC.lower()] * REFERENCE_PRICES[WETH])
    assert Fraction(11, 10) <= rate <= Fraction(115, 100)  # in USDC per WETH relative to 3,000: 3,300..3,450


def test_an_order_whose_surplus_the_venue_cannot_value_is_left_out() -> None:
    auction = an_auction(ALICE_SELLS_WETH, pools=(WETH_USDC,), tokens={})
    solution, _ = run(auction)
    assert solution.fulfillments == ()


def test_without_an_amm_a_partially_fillable_order_is_filled_as_far_as_the_other_side_takes() -> None:
    big = an_order(owner=ALICE, sell_amount=2 * E18, buy_amount=5_000 * E6, partially_fillable=True)
    small = an_order(owner=BOB, sell_token=USDC, buy_token=WETH, sell_amount=3_000 * E6, buy_amount=9 * E17)
    auction = an_auction(big, small)
    solution, _ = run(auction)
    assert {f.intent_id: f.executed_amount for f in solution.fulfillments}[small.intent_id] == 3_000 * E6
    sold, _ = executed(solution, auction, big)
    _, bought = executed(solution, auction, small)
    assert 0 < sold < 2 * E18 and bought <= sold  # Alice's WETH pays Bob; the buffer gives nothing but dust


def test_a_lone_partially_fillable_order_is_filled_up_to_where_the_amm_still_meets_its_limit() -> None:
    # 100 WETH into a 1,000 WETH pool would move the price ~10%: at >= 2,900 USDC each only part can go.
    order = an_order(owner=ALICE, sell_amount=100 * E18, buy_amount=290_000 * E6, partially_fillable=True)
    auction = an_auction(order, pools=(WETH_USDC,))
    solution, _ = run(auction)
    [fill] = solution.fulfillments
    assert 0 < fill.executed_amount < 100 * E18
    sold, got = executed(solution, auction, order)
    assert got * 100 * E18 >= sold * 290_000 * E6  # at its limit or better
    assert WETH_USDC.amount_out(WETH, sold + sold // 100) * 100 * E18 < (sold + sold // 100) * 290_000 * E6


def test_a_settlement_holds_only_the_most_valuable_orders_that_fit_its_gas_budget() -> None:
    small = an_order(owner=BOB, sell_amount=E17, buy_amount=250 * E6 // 10)
    large = an_order(owner=CAROL, sell_amount=2 * E18, buy_amount=5_000 * E6)
    auction = an_auction(small, ALICE_SELLS_WETH, large, pools=(WETH_USDC, WETH_DAI))
    budget = BASE_GAS + 2 * SWAP_GAS + TRADE_GAS  # room for one trade
    solution = solve(auction, RecordingEncoder(), solver=SOLVER, settlement=SETTLEMENT, max_gas=budget)
    assert [f.intent_id for f in solution.fulfillments] == [large.intent_id]
    assert len(run(auction)[0].fulfillments) >= 1  # the default budget is far larger
