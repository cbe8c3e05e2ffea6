"""The Python chain layer against the real settlement on anvil: digests, signatures, encoding, decoding."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_abi.abi import decode, encode
from eth_account import Account as EthAccount
from eth_utils.crypto import keccak

from solver.adapters.chain.devnet import Devnet
from solver.adapters.chain.settlement import TRADE_TUPLE, SettlementClient, SettlementReverted, _trade_tuple
from solver.domain.batch import Batch, Trade
from solver.domain.intent import Intent, IntentKind

from ..chain_helpers import FAR_FUTURE, balance, domain, signed_trade

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
WETH_PRICE, USDC_PRICE = 3_000 * 10**18, 10**30  # value per base unit, 1e36 = 1 USD: 1 WETH = 3000 USDC


def cow_pair(net: Devnet, nonce: int = 1) -> tuple[Trade, Trade, Batch]:
    """user0 sells 2 WETH for >= 5,900 USDC; user1 buys 2 WETH for <= 6,100 USDC."""
    m = net.manifest
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    u0, u1 = m.account("user0"), m.account("user1")
    sell = Intent(u0.address, weth, usdc, 2 * 10**18, 5_900 * 10**6, FAR_FUTURE, nonce)
    buy = Intent(u1.address, usdc, weth, 6_100 * 10**6, 2 * 10**18, FAR_FUTURE, nonce, kind=IntentKind.BUY)
    a, b = signed_trade(m, u0, sell), signed_trade(m, u1, buy)
    return a, b, Batch((weth, usdc), (WETH_PRICE, USDC_PRICE), (a, b), auction_id=42)


def client(net: Devnet) -> SettlementClient:
    return SettlementClient.for_manifest(net.w3, net.manifest)


def solver_key(net: Devnet) -> EthAccount:
    return EthAccount.from_key(net.manifest.account("solver").private_key)


def test_python_digest_equals_the_contracts_intent_id(chain: Devnet) -> None:
    a, _, batch = cow_pair(chain)
    data = keccak(text=f"intentId({TRADE_TUPLE},address[])")[:4] + encode(
        [TRADE_TUPLE, "address[]"], [_trade_tuple(batch, a), list(batch.tokens)]
    )
    raw = chain.w3.eth.call({"to": chain.manifest.contracts["settlement"], "data": data})
    assert decode(["bytes32"], raw)[0] == a.intent.digest(domain(chain.manifest))


def test_python_signed_intents_settle_and_decode_into_the_balance_changes(chain: Devnet) -> None:
    m, w3 = chain.manifest, chain.w3
    a, b, batch = cow_pair(chain)
    before = {(t, u): balance(w3, t, u) for t in batch.tokens for u in (a.intent.owner, b.intent.owner)}
    receipt = client(chain).submit(batch, solver_key(chain))
    assert (receipt.solver, receipt.auction_id) == (m.account("solver").address, 42)
    fills = {f.owner: f for f in receipt.fills}
    assert (fills[a.intent.owner].sell_amount, fills[a.intent.owner].buy_amount) == (2 * 10**18, 6_000 * 10**6)
    assert (fills[b.intent.owner].sell_amount, fills[b.intent.owner].buy_amount) == (6_000 * 10**6, 2 * 10**18)
    for trade in (a, b):
        f, i = fills[trade.intent.owner], trade.intent
        assert f.intent_id == i.digest(domain(m))
        assert balance(w3, i.sell_token, i.owner) == before[(i.sell_token, i.owner)] - f.sell_amount
        assert balance(w3, i.buy_token, i.owner) == before[(i.buy_token, i.owner)] + f.buy_amount


@pytest.mark.parametrize(
    "tamper",
    [
        {"sell_amount": 2 * 10**18 + 1},
        {"buy_amount": 5_000 * 10**6},
        {"valid_to": FAR_FUTURE - 1},
        {"nonce": 2},
        {"receiver": "0x000000000000000000000000000000000000dEaD"},
        {"partially_fillable": True},
        {"app_data": b"\x01" * 32},
    ],
)
def test_a_tampered_intent_is_rejected_on_chain(chain: Devnet, tamper: dict[str, object]) -> None:
    a, b, batch = cow_pair(chain)
    forged = replace(a, intent=replace(a.intent, **tamper), executed_amount=replace(a.intent, **tamper).full_amount)
    with pytest.raises(SettlementReverted) as err:
        client(chain).simulate(replace(batch, trades=(forged, b)), chain.manifest.account("solver").address)
    assert err.value.name == "InvalidSignature"


def test_the_high_s_twin_of_a_valid_signature_is_rejected_as_malleable(chain: Devnet) -> None:
    a, b, batch = cow_pair(chain)
    r, s, v = a.signature[:32], int.from_bytes(a.signature[32:64], "big"), a.signature[64]
    twin = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    with pytest.raises(SettlementReverted) as err:
        client(chain).simulate(replace(batch, trades=(replace(a, signature=twin), b)), solver_key(chain).address)
    assert err.value.name == "MalleableSignature"


def test_a_settled_fill_or_kill_intent_cannot_be_replayed(chain: Devnet) -> None:
    _, _, batch = cow_pair(chain)
    client(chain).submit(batch, solver_key(chain))
    with pytest.raises(SettlementReverted) as err:
        client(chain).simulate(batch, solver_key(chain).address)
    assert err.value.name == "NonceAlreadyUsed"


def test_only_an_allow_listed_solver_can_settle(chain: Devnet) -> None:
    _, _, batch = cow_pair(chain)
    with pytest.raises(SettlementReverted) as err:
        client(chain).simulate(batch, chain.manifest.account("user2").address)
    assert err.value.name == "NotSolver"


def test_clearing_prices_that_break_a_limit_are_rejected(chain: Devnet) -> None:
    _, _, batch = cow_pair(chain)
    cheap_weth = object.__new__(Batch)  # bypass the Python-side limit check to reach the contract's
    for name in Batch.__slots__:
        object.__setattr__(cheap_weth, name, getattr(batch, name))
    object.__setattr__(cheap_weth, "prices", (2_900 * 10**18, USDC_PRICE))
    with pytest.raises(SettlementReverted) as err:
        client(chain).simulate(cheap_weth, solver_key(chain).address)
    assert err.value.name == "LimitPriceViolated"
