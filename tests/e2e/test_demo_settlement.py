"""End to end on the devnet: a CoW pair, a V2 route, a V3 route, an inventory fill and a partially fillable
intent over two batches settle through our contract; every balance is checked to the wei, and each fill's
volume is attributed to CoW, inventory or the right pool."""

from __future__ import annotations

from eth_abi.abi import decode, encode
from eth_account import Account as EthAccount
from eth_utils.crypto import keccak

from solver.adapters.chain.devnet import Devnet
from solver.adapters.chain.settlement import SettlementClient, SettlementReceipt, SettlementReverted
from solver.demo import DemoBuilder, Scenario
from solver.domain.batch import Batch
from solver.domain.fills import attribute

from ..chain_helpers import balance

GET_AMOUNTS_OUT = keccak(text="getAmountsOut(uint256,address[])")[:4]
FILLED_AMOUNT = keccak(text="filledAmount(bytes32)")[:4]


def holders(net: Devnet, batch: Batch) -> set[str]:
    m = net.manifest
    return {t.intent.owner for t in batch.trades} | {m.contracts["settlement"]} | {p.address for p in m.pools}


def snapshot_balances(net: Devnet, batch: Batch) -> dict[tuple[str, str], int]:
    tokens = [t.address for t in net.manifest.tokens.values()]
    return {(t, h): balance(net.w3, t, h) for t in tokens for h in holders(net, batch)}


def settle(net: Devnet, scenario: Scenario) -> tuple[SettlementReceipt, dict[tuple[str, str], int]]:
    before = snapshot_balances(net, scenario.batch)
    solver = EthAccount.from_key(net.manifest.account("solver").private_key)
    receipt = SettlementClient.for_manifest(net.w3, net.manifest).submit(scenario.batch, solver)
    after = snapshot_balances(net, scenario.batch)
    return receipt, {k: after[k] - before[k] for k in before}


def expected_deltas(net: Devnet, scenario: Scenario, receipt: SettlementReceipt) -> dict[tuple[str, str], int]:
    """Every holder's change predicted from the batch alone: owners from the clearing math, pools from the
    decoded swaps, and the settlement keeps what comes in minus what goes out."""
    deltas: dict[tuple[str, str], int] = {}
    settlement = net.manifest.contracts["settlement"]

    def add(token: str, holder: str, amount: int) -> None:
        deltas[(token, holder)] = deltas.get((token, holder), 0) + amount

    for trade in scenario.batch.trades:
        sold, bought = scenario.batch.executed(trade)
        i = trade.intent
        add(i.sell_token, i.owner, -sold)
        add(i.buy_token, i.payout_address, bought)
        add(i.sell_token, settlement, sold)
        add(i.buy_token, settlement, -bought)
    for flow in receipt.pool_flows:
        add(flow.token, flow.pool, flow.amount)
        add(flow.token, settlement, -flow.amount)
    return deltas


def test_a_demo_batch_settles_every_kind_of_fill_to_the_wei(chain: Devnet) -> None:
    m, w3 = chain.manifest, chain.w3
    builder = DemoBuilder(w3, m, now=int(w3.eth.get_block("latest")["timestamp"]))
    first = builder.first_batch()
    receipt, deltas = settle(chain, first)

    expected = expected_deltas(chain, first, receipt)
    assert {k: v for k, v in deltas.items() if v} == {k: v for k, v in expected.items() if v}
    assert len(receipt.fills) == len(first.batch.trades)
    for fill, trade in zip(receipt.fills, first.batch.trades, strict=True):
        assert (fill.sell_amount, fill.buy_amount) == first.batch.executed(trade)

    settlement_changes = {t: v for (t, h), v in deltas.items() if h == m.contracts["settlement"]}
    assert all(v >= 0 for v in settlement_changes.values()) or settlement_changes[m.token("DAI").address] >= -1

    weth, dai, wbtc = m.token("WETH").address, m.token("DAI").address, m.token("WBTC").address
    v2_pair, v3_pool = m.pool("uniswap_v2", dai, weth), m.pool("uniswap_v3", wbtc, weth, 3000)
    by_label = {first.labels[f.intent_id]: f for f in receipt.fills}
    parts = attribute(receipt.fills, receipt.pool_flows, frozenset({m.account("inventory").address}))
    for label in ("CoW: user0 sells WETH", "CoW: user1 buys WETH", "CoW: user5 partial 1/2"):
        f = by_label[label]
        assert (parts[f.intent_id].cow, parts[f.intent_id].inventory, parts[f.intent_id].amm) == (f.buy_amount, 0, {})
    v2_fill, v3_fill = by_label["Uniswap V2 route"], by_label["Uniswap V3 route"]
    assert parts[v2_fill.intent_id].amm == {v2_pair.address: v2_fill.buy_amount}
    assert parts[v3_fill.intent_id].amm == {v3_pool.address: v3_fill.buy_amount}
    inv_fill = by_label["inventory: user4"]
    assert (parts[inv_fill.intent_id].inventory, parts[inv_fill.intent_id].cow) == (inv_fill.buy_amount, 0)
    assert by_label["inventory account"].intent_id not in parts

    # The pools paid what their own quoters promise: Router02.getAmountsOut for V2 (checked before the swap
    # moved the reserves, by replaying it at the previous block) and QuoterV2 for V3 (exact output).
    router = m.contracts["uniswapV2Router"]
    quote = w3.eth.call(
        {"to": router, "data": GET_AMOUNTS_OUT + encode(["uint256", "address[]"], [v2_fill.sell_amount, [dai, weth]])},
        receipt.block_number - 1,
    )
    pool_paid = -sum(f.amount for f in receipt.pool_flows if f.pool == v2_pair.address and f.token == weth)
    assert decode(["uint256[]"], quote)[0][-1] == pool_paid >= v2_fill.buy_amount


def test_a_partially_fillable_intent_fills_over_two_batches_and_not_beyond(chain: Devnet) -> None:
    m, w3 = chain.manifest, chain.w3
    builder = DemoBuilder(w3, m, now=int(w3.eth.get_block("latest")["timestamp"]))
    first = builder.first_batch()
    settle(chain, first)
    second = builder.second_batch(first.partial)
    receipt, deltas = settle(chain, second)

    assert {k: v for k, v in deltas.items() if v} == {
        k: v for k, v in expected_deltas(chain, second, receipt).items() if v
    }
    (fill,) = receipt.fills
    intent = first.partial.intent
    assert fill.sell_amount == intent.sell_amount - first.partial.executed_amount
    weth_usdc = m.pool("uniswap_v2", intent.sell_token, intent.buy_token)
    assert attribute(receipt.fills, receipt.pool_flows, frozenset())[fill.intent_id].amm == {
        weth_usdc.address: fill.buy_amount
    }
    settlement = m.contracts["settlement"]
    raw = w3.eth.call({"to": settlement, "data": FILLED_AMOUNT + fill.intent_id})
    assert decode(["uint256"], raw)[0] == intent.sell_amount

    again = builder.second_batch(first.partial)  # the same remainder a second time: over the signed amount
    try:
        SettlementClient.for_manifest(w3, m).simulate(again.batch, m.account("solver").address)
    except SettlementReverted as err:
        assert err.name == "OverFill"
    else:
        raise AssertionError("an over-fill settled")
