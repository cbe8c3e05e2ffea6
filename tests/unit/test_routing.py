"""The router finds the best single route, one or two hops, with exact pool quotes and minimal inputs."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from solver.domain.auction import Fulfillment
from solver.domain.intent import IntentKind
from solver.domain.liquidity.constant_product import ConstantProductPool
from solver.domain.routing import best_buy_route, best_direct_amounts, best_sell_route, minimal_input, paths

from .builders import DAI, USDC, WETH, a_pool, an_auction, an_order

E18, E6 = 10**18, 10**6
WETH_USDC = a_pool(WETH, 1_000 * E18, USDC, 3_000_000 * E6)
WETH_DAI = a_pool(WETH, 1_000 * E18, DAI, 3_000_000 * E18)
THIN_DAI_USDC = a_pool(DAI, 10_000 * E18, USDC, 10_000 * E6)
DEEP_DAI_USDC = a_pool(DAI, 10_000_000 * E18, USDC, 10_000_000 * E6)


@dataclass(frozen=True)
class ExactInputOnly:
    """A pool offering only amount_out (no exact-output quote): the router must search."""

    inner: ConstantProductPool

    @property
    def address(self) -> str:
        return self.inner.address

    @property
    def token0(self) -> str:
        return self.inner.token0

    @property
    def token1(self) -> str:
        return self.inner.token1

    def amount_out(self, token_in: str, amount_in: int) -> int:
        return self.inner.amount_out(token_in, amount_in)


def test_a_direct_pool_is_used_for_one_hop_with_its_exact_output() -> None:
    route = best_sell_route([WETH_USDC], WETH, USDC, E18)
    assert route is not None and route.hops == 1
    assert route.amounts == (E18, WETH_USDC.amount_out(WETH, E18))


def test_two_hops_through_weth_win_when_the_direct_pool_is_thin() -> None:
    amount = 5_000 * E18
    route = best_sell_route([THIN_DAI_USDC, WETH_DAI, WETH_USDC], DAI, USDC, amount)
    assert route is not None and route.hops == 2
    middle = WETH_DAI.amount_out(DAI, amount)
    assert route.amounts == (amount, middle, WETH_USDC.amount_out(WETH, middle))  # hop outputs chain exactly
    assert route.amount_out > THIN_DAI_USDC.amount_out(DAI, amount)


def test_one_hop_wins_when_the_direct_pool_is_deep() -> None:
    route = best_sell_route([DEEP_DAI_USDC, WETH_DAI, WETH_USDC], DAI, USDC, 5_000 * E18)
    assert route is not None and route.pools == (DEEP_DAI_USDC,)


def test_excluded_pools_and_disallowed_intermediates_are_not_used() -> None:
    pools = [THIN_DAI_USDC, WETH_DAI, WETH_USDC]
    route = best_sell_route(pools, DAI, USDC, 5_000 * E18, exclude={WETH_DAI.address.upper().replace("0X", "0x")})
    assert route is not None and route.pools == (THIN_DAI_USDC,)
    route = best_sell_route(pools, DAI, USDC, 5_000 * E18, intermediates=[DAI])
    assert route is not None and route.pools == (THIN_DAI_USDC,)


def test_there_is_no_route_between_unconnected_tokens() -> None:
    assert best_sell_route([WETH_USDC], DAI, USDC, E18) is None
    assert best_buy_route([WETH_USDC], DAI, USDC, E6) is None
    assert paths([WETH_USDC], DAI, USDC) == []


def test_a_buy_route_needs_the_least_input_that_pays_the_buy_amount() -> None:
    want = 3_000 * E6
    route = best_buy_route([WETH_USDC], WETH, USDC, want)
    assert route is not None
    assert route.amount_out >= want
    assert WETH_USDC.amount_out(WETH, route.amount_in - 1) < want


def test_a_buy_route_picks_the_cheaper_of_one_and_two_hops() -> None:
    want = 5_000 * E6
    route = best_buy_route([THIN_DAI_USDC, WETH_DAI, WETH_USDC], DAI, USDC, want)
    assert route is not None and route.hops == 2
    direct = best_buy_route([THIN_DAI_USDC], DAI, USDC, want)
    assert direct is not None and route.amount_in < direct.amount_in


def test_an_output_above_the_reserve_has_no_route() -> None:
    assert best_buy_route([WETH_USDC], WETH, USDC, 3_000_000 * E6) is None


@given(want=st.integers(1, 1_400_000 * E6))
def test_the_exact_output_search_is_minimal_with_or_without_the_pools_amount_in(want: int) -> None:
    pools_with = [WETH_DAI, WETH_USDC]
    pools_without = [ExactInputOnly(WETH_DAI), ExactInputOnly(WETH_USDC)]
    for pools in (pools_with, pools_without):
        [path] = paths(pools, DAI, USDC)
        needed = minimal_input(path, want)
        assert needed is not None
        first, second = pools
        assert second.amount_out(WETH, first.amount_out(DAI, needed)) >= want
        assert needed == 0 or second.amount_out(WETH, first.amount_out(DAI, needed - 1)) < want
    assert minimal_input(paths(pools_with, DAI, USDC)[0], want) == minimal_input(
        paths(pools_without, DAI, USDC)[0], want
    )


def test_ties_between_routes_go_to_fewer_hops_then_lower_pool_addresses() -> None:
    twin_a = a_pool(WETH, 1_000 * E18, USDC, 3_000_000 * E6, address="0x" + "0" * 39 + "2")
    twin_b = a_pool(WETH, 1_000 * E18, USDC, 3_000_000 * E6, address="0x" + "0" * 39 + "1")
    route = best_sell_route([twin_a, twin_b], WETH, USDC, E18)
    assert route is not None and route.pools == (twin_b,)


def test_ebbo_benchmarks_are_the_best_output_for_sells_and_least_input_for_buys() -> None:
    seller = an_order(sell_amount=2 * E18, buy_amount=E6, partially_fillable=True)
    buyer = an_order(sell_token=USDC, buy_token=WETH, sell_amount=10_000 * E6, buy_amount=E18, kind=IntentKind.BUY)
    auction = an_auction(seller, buyer, pools=(WETH_USDC,))
    result = best_direct_amounts(auction, [Fulfillment(seller.intent_id, E18), Fulfillment(buyer.intent_id, E18)])
    assert result[seller.intent_id] == WETH_USDC.amount_out(WETH, E18)
    needed = result[buyer.intent_id]
    assert WETH_USDC.amount_out(USDC, needed) >= E18 > WETH_USDC.amount_out(USDC, needed - 1)
