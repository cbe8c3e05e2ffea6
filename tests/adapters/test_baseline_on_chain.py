"""The baseline solver with the Uniswap encoder settles on the devnet: its swaps' calldata runs against the real
V2 pairs and V3 pools (swapped directly, paid in their callback), and every user receives exactly what the
solution's prices promise."""

from __future__ import annotations

import pytest
from eth_account import Account as EthAccount

from solver.adapters.chain.amm import TRANSFER, V2_SWAP, V3_SWAP
from solver.adapters.chain.devnet import TOKENS, Devnet
from solver.adapters.chain.encoder import UniswapEncoder
from solver.adapters.chain.pools import snapshot_pools
from solver.adapters.chain.settlement import SettlementClient
from solver.adapters.chain.signer import IntentSigner
from solver.domain.auction import Auction, Order, TokenInfo
from solver.domain.baseline import solve
from solver.domain.batch import SigningScheme
from solver.domain.intent import Intent
from solver.domain.primitives import ZERO_ADDRESS
from solver.domain.scoring import evaluate, to_batch

from ..chain_helpers import FAR_FUTURE, balance, domain

USD = {symbol: usd for symbol, _name, _decimals, usd in TOKENS}
E18, E16, E8, E6 = 10**18, 10**16, 10**8, 10**6

# (owner, sell, buy, sell amount, buy amount): sell orders
SCENARIOS = {
    # Opposite orders on one pair; the WETH left over is swapped from the settlement's balance.
    "cow_with_imbalance": [
        ("user2", "WETH", "USDC", 2 * E18, 5_700 * E6),
        ("user3", "USDC", "WETH", 3_000 * E6, 95 * E16),
    ],
    # No WBTC/USDC pool: two hops through WETH.
    "two_hops": [("user4", "WBTC", "USDC", 5 * E8 // 100, 2_700 * E6)],
}
EXPECTED_CALLS = {
    ("uniswap_v2", "cow_with_imbalance"): [TRANSFER, V2_SWAP],
    ("uniswap_v3", "cow_with_imbalance"): [V3_SWAP],
    ("uniswap_v2", "two_hops"): [V2_SWAP, V2_SWAP],  # the trade prefunds the first pair, which pays the second
    ("uniswap_v3", "two_hops"): [V3_SWAP, V3_SWAP],
}


def auction(net: Devnet, kind: str, scenario: str) -> Auction:
    m, w3 = net.manifest, net.w3
    orders = []
    for nonce, (owner, sell, buy, sell_amount, buy_amount) in enumerate(SCENARIOS[scenario], start=1):
        account = m.account(owner)
        intent = Intent(account.address, m.token(sell).address, m.token(buy).address, sell_amount, buy_amount,
                        FAR_FUTURE, nonce)  # fmt: skip
        signature = IntentSigner.from_key(account.private_key).sign(intent, domain(m))
        orders.append(Order(intent.digest(domain(m)), intent, signature, SigningScheme.EIP712, sell_amount))
    tokens = {
        t.address: TokenInfo(t.address, t.symbol, t.decimals, USD[t.symbol] * 10**36 // 10**t.decimals)
        for t in m.tokens.values()
    }
    block = w3.eth.block_number
    pools = snapshot_pools(w3, [p for p in m.pools if p.kind == kind], block)
    return Auction(1, block, float(FAR_FUTURE), tuple(orders), tokens, tuple(pools))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("kind", ["uniswap_v2", "uniswap_v3"])
def test_the_baseline_solution_settles_through_the_encoded_swaps(chain: Devnet, kind: str, scenario: str) -> None:
    m, w3 = chain.manifest, chain.w3
    settlement = m.contracts["settlement"]
    solver = EthAccount.from_key(m.account("solver").private_key)
    current = auction(chain, kind, scenario)
    encoder = UniswapEncoder(settlement)
    solution = solve(current, encoder, solver=solver.address, settlement=settlement)
    assert len(solution.fulfillments) == len(current.orders)
    assert [i.call_data[:4] for i in solution.interactions] == EXPECTED_CALLS[(kind, scenario)]
    prefunded = solution.fulfillments[0].sell_to != ZERO_ADDRESS
    assert prefunded == ((kind, scenario) == ("uniswap_v2", "two_hops"))
    evaluate(current, solution)  # the venue accepts it

    batch = to_batch(current, solution)
    holders = [(t.intent.owner, token) for t in batch.trades for token in (t.intent.sell_token, t.intent.buy_token)]
    before = {(owner, token): balance(w3, token, owner) for owner, token in holders}
    buffer = {token: balance(w3, token, settlement) for token in batch.tokens}
    receipt = SettlementClient.for_manifest(w3, m).submit(batch, solver)
    assert len(receipt.fills) == len(batch.trades)
    for trade in batch.trades:
        sold, bought = batch.executed(trade)
        owner, intent = trade.intent.owner, trade.intent
        assert balance(w3, intent.sell_token, owner) == before[(owner, intent.sell_token)] - sold
        assert balance(w3, intent.buy_token, owner) == before[(owner, intent.buy_token)] + bought
    for token in batch.tokens:  # at most one base unit of rounding dust per trade from the buffer
        assert balance(w3, token, settlement) >= buffer[token] - len(batch.trades)
