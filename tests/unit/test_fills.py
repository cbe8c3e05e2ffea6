"""Each user fill's volume is attributed to other users (CoW), solver inventory or AMM pools."""

from __future__ import annotations

from solver.domain.fills import Fill, PoolFlow, attribute

A, B, X = "tokenA", "tokenB", "tokenX"
POOL, POOL2 = "pool1", "pool2"
INVENTORY = "inventory"


def fill(n: int, owner: str, sell: str, buy: str, sell_amount: int, buy_amount: int) -> Fill:
    return Fill(bytes([n]) * 32, owner, sell, buy, sell_amount, buy_amount)


def test_opposite_intents_are_attributed_entirely_to_each_other() -> None:
    a, b = fill(1, "alice", A, B, 10, 30), fill(2, "bob", B, A, 30, 10)
    result = attribute([a, b], [], frozenset())
    assert (result[a.intent_id].cow, result[b.intent_id].cow) == (30, 10)
    assert result[a.intent_id].internalized == 30 and result[a.intent_id].amm == {}


def test_an_amm_routed_fill_is_attributed_to_its_pool() -> None:
    a = fill(1, "alice", A, B, 10, 29)
    result = attribute([a], [PoolFlow(POOL, A, 10), PoolFlow(POOL, B, -29)], frozenset())
    assert result[a.intent_id].amm == {POOL: 29}
    assert result[a.intent_id].cow == result[a.intent_id].inventory == 0


def test_an_inventory_fill_is_attributed_to_inventory_and_not_reported_itself() -> None:
    a, inv = fill(1, "alice", A, B, 10, 30), fill(2, INVENTORY, B, A, 30, 10)
    result = attribute([a, inv], [], frozenset({INVENTORY}))
    assert result[a.intent_id].inventory == 30
    assert inv.intent_id not in result


def test_a_fill_partly_matched_and_partly_routed_is_split_pro_rata() -> None:
    a, b = fill(1, "alice", A, B, 10, 30), fill(2, "bob", B, A, 12, 4)
    flows = [PoolFlow(POOL, A, 6), PoolFlow(POOL, B, -18)]
    result = attribute([a, b], flows, frozenset())
    assert result[a.intent_id].cow == 12 and result[a.intent_id].amm == {POOL: 18}
    assert result[b.intent_id].cow == 4


def test_a_two_hop_route_is_attributed_to_the_pool_that_paid_out() -> None:
    a = fill(1, "alice", A, B, 10, 50)
    flows = [PoolFlow(POOL, A, 10), PoolFlow(POOL, X, -20), PoolFlow(POOL2, X, 20), PoolFlow(POOL2, B, -50)]
    assert attribute([a], flows, frozenset())[a.intent_id].amm == {POOL2: 50}


def test_parts_always_add_up_to_the_buy_amount_under_rounding() -> None:
    fills = [fill(i, f"u{i}", A, B, 7, 11 + i) for i in range(1, 4)] + [fill(9, "bob", B, A, 13, 5)]
    flows = [PoolFlow(POOL, A, 9), PoolFlow(POOL, B, -23)]
    for f_id, part in attribute(fills, flows, frozenset()).items():
        assert part.total == next(f.buy_amount for f in fills if f.intent_id == f_id)


def test_volume_no_source_covers_counts_as_paid_from_the_buffer() -> None:
    a = fill(1, "alice", A, B, 10, 30)
    assert attribute([a], [], frozenset())[a.intent_id].inventory == 30


def test_a_token_another_user_sent_into_a_pool_is_not_counted_as_matched() -> None:
    # user2 sells DAI into a pool for WETH; user4 buys DAI from inventory, which gives one unit short
    # (rounding): that unit came from the buffer, not from user2's DAI, which the pool took.
    dai, weth, usdc = "DAI", "WETH", "USDC"
    user2 = fill(2, "user2", dai, weth, 100, 3)
    user4 = fill(4, "user4", usdc, dai, 50, 50)
    inventory = fill(5, INVENTORY, dai, usdc, 49, 50)
    flows = [PoolFlow(POOL, dai, 100), PoolFlow(POOL, weth, -3)]
    result = attribute([user2, user4, inventory], flows, frozenset({INVENTORY}))
    assert (result[user4.intent_id].inventory, result[user4.intent_id].cow) == (50, 0)
    assert result[user2.intent_id].amm == {POOL: 3}
