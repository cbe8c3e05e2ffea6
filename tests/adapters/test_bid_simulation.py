"""The venue's bid simulator against the real settlement on anvil: what it measures is what mining does."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiohttp
import pytest
from eth_account import Account as EthAccount

from solver.adapters.chain.bid_simulation import RpcBidSimulator
from solver.adapters.chain.devnet import Devnet
from solver.adapters.chain.jsonrpc import AsyncRpc
from solver.adapters.chain.settlement import SettlementClient, contract_errors, encode_settle
from solver.domain.batch import Batch, Trade
from solver.domain.intent import Intent, IntentKind
from solver.domain.value_safety import ETH, SimulatedSettle
from solver.keeper.ports import SimulationFailed

from ..chain_helpers import FAR_FUTURE, balance, signed_trade


def simulate(net: Devnet, batch: Batch, sender: str, watch: Sequence[str]) -> SimulatedSettle:
    async def run() -> SimulatedSettle:
        async with aiohttp.ClientSession() as session:
            simulator = RpcBidSimulator(AsyncRpc(net.rpc_url, session), net.manifest.contracts["settlement"],
                                        contract_errors())  # fmt: skip
            return await simulator.simulate(sender, encode_settle(batch), watch)

    return asyncio.run(run())


def uneven_cow(net: Devnet) -> Batch:
    """user0 sells 1 WETH (its payout rounds up) and user1 buys 1 WETH (its payment rounds down) at a rate that
    is no whole number of USDC units: the settlement pays one USDC unit of rounding dust."""
    m = net.manifest
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    u0, u1 = m.account("user0"), m.account("user1")
    sell = Intent(u0.address, weth, usdc, 10**18, 2_000 * 10**6, FAR_FUTURE, 7)
    buy = Intent(u1.address, usdc, weth, 4_000 * 10**6, 10**18, FAR_FUTURE, 7, kind=IntentKind.BUY)
    trades: tuple[Trade, ...] = (signed_trade(m, u0, sell), signed_trade(m, u1, buy))
    return Batch((weth, usdc), (3_000_000_001, 10**18 + 7), trades, auction_id=9)  # ~3,000 USDC per WETH


def test_the_simulated_balances_and_gas_are_what_mining_the_batch_gives(chain: Devnet) -> None:
    m, w3 = chain.manifest, chain.w3
    settlement, solver = m.contracts["settlement"], m.account("solver")
    batch = uneven_cow(chain)
    tokens = [t.address for t in m.tokens.values()]
    simulated = simulate(chain, batch, solver.address, tokens)

    before = {t: balance(w3, t, settlement) for t in tokens}
    receipt = SettlementClient.for_manifest(w3, m).submit(batch, EthAccount.from_key(solver.private_key))
    after = {t: balance(w3, t, settlement) for t in tokens}

    measured = {h.token: (h.before, h.after) for h in simulated.holdings}
    assert measured == {**{t: (before[t], after[t]) for t in tokens}, ETH: (w3.eth.get_balance(settlement),) * 2}
    assert measured[m.token("USDC").address][0] - measured[m.token("USDC").address][1] == 1  # the dust
    assert simulated.gas_used == receipt.gas_used
    assert simulated.allowances == ()


def test_a_revert_names_the_contracts_custom_error(chain: Devnet) -> None:
    m = chain.manifest
    stranger = m.account("user2").address  # not an allow-listed solver
    with pytest.raises(SimulationFailed) as exc:
        simulate(chain, uneven_cow(chain), stranger, [m.token("WETH").address])
    assert exc.value.error == "NotSolver" and stranger.lower() in exc.value.reason.lower()


def test_a_settle_that_would_leave_a_token_short_is_refused_by_the_contract_naming_the_token(chain: Devnet) -> None:
    """A lone sell paid from the buffer: the contract's balance guard reverts, and the simulator reports its
    custom error with the token and both balances (the venue maps it to buffer_drained)."""
    m = chain.manifest
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    u0 = m.account("user0")
    lone = Intent(u0.address, usdc, weth, 3 * 10**6, 10**15 - 10**12, FAR_FUTURE, 8)  # 3 USDC for 0.001 WETH
    batch = Batch((weth, usdc), (3_000 * 10**6, 10**18), (signed_trade(m, u0, lone),), auction_id=10)
    with pytest.raises(SimulationFailed) as exc:
        simulate(chain, batch, m.account("solver").address, [weth, usdc])
    assert exc.value.error == "BalanceDecreased"
    assert weth[2:].lower() in exc.value.reason.lower()
