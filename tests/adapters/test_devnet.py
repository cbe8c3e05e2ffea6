"""The devnet: anvil's lifecycle and what `deploy` leaves on chain (tokens, settlement, Uniswap V2/V3)."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract

from solver.adapters.chain.anvil import AnvilError, AnvilProcess, free_port, port_is_free
from solver.adapters.chain.artifacts import Artifact, forge_artifact, uniswap_artifact
from solver.adapters.chain.devnet import (
    DEADLINE,
    INVENTORY_FUNDS,
    MAX_UINT256,
    SETTLEMENT_BUFFER,
    TOKENS,
    USER_FUNDS,
    V2_PAIRS,
    Devnet,
    deploy,
    usd_to_units,
)
from solver.adapters.chain.manifest import Manifest
from solver.adapters.chain.rpc import RpcUnavailable, call, connect, send_transaction
from solver.adapters.chain.uniswap import V3_TICK_SPACING, raw_price, sort_tokens, v3_pool_address

MANIFEST_CONTRACTS = {
    "settlement", "spender", "uniswapV2Factory", "uniswapV2Router", "uniswapV3Factory",
    "uniswapV3SwapRouter", "uniswapV3QuoterV2", "uniswapV3PositionManager",
}  # fmt: skip


def at(w3: Web3, address: str, artifact: Artifact) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact.abi)


def transact(w3: Web3, sender: str, contract: Contract, fn: str, *args: Any) -> dict[str, Any]:
    tx = {"from": sender, "to": contract.address, "data": contract.encode_abi(fn, args=list(args))}
    return send_transaction(w3, tx, what=fn)


def fresh_manifest() -> Manifest:
    with AnvilProcess(free_port()) as anvil:
        return deploy(anvil.rpc_url)


def test_two_deployments_on_fresh_anvils_give_identical_manifests() -> None:
    first, second = fresh_manifest(), fresh_manifest()

    assert first.rpc_url != second.rpc_url  # two anvils on two ports
    assert dataclasses.replace(first, rpc_url="") == dataclasses.replace(second, rpc_url="")
    assert set(first.contracts) == MANIFEST_CONTRACTS
    assert Manifest.from_json(first.to_json()) == first


def test_the_manifest_describes_the_running_chain(devnet: Devnet) -> None:
    manifest = devnet.manifest

    assert manifest.chain_id == devnet.w3.eth.chain_id == 31337
    assert manifest.rpc_url == devnet.rpc_url
    assert manifest.start_block > 0
    assert [a.name for a in manifest.users()] == [f"user{i}" for i in range(6)]
    node_accounts = [Web3.to_checksum_address(a) for a in call(devnet.w3, "eth_accounts")]
    assert [manifest.account(n).address for n in ("deployer", "solver", "inventory")] == node_accounts[:3]


def test_each_token_has_its_symbol_and_decimals(chain: Devnet) -> None:
    token = forge_artifact("TestToken")
    for symbol, _name, decimals, _usd in TOKENS:
        info = chain.manifest.token(symbol)
        contract = at(chain.w3, info.address, token)
        assert (info.decimals, contract.functions.decimals().call()) == (decimals, decimals)
        assert contract.functions.symbol().call() == symbol


def test_users_and_inventory_hold_every_token_and_max_approve_the_spender(chain: Devnet) -> None:
    manifest, token = chain.manifest, forge_artifact("TestToken")
    holders = [(manifest.account("inventory"), INVENTORY_FUNDS)] + [(u, USER_FUNDS) for u in manifest.users()]
    for info in manifest.tokens.values():
        contract = at(chain.w3, info.address, token)
        for account, funds in holders:
            balance = contract.functions.balanceOf(account.address).call()
            assert balance == int(funds[info.symbol] * 10**info.decimals) > 0
            allowance = contract.functions.allowance(account.address, manifest.contracts["spender"]).call()
            assert allowance == MAX_UINT256


def test_the_settlement_holds_a_small_buffer_of_every_token(chain: Devnet) -> None:
    settlement = chain.manifest.contracts["settlement"]
    for info in chain.manifest.tokens.values():
        balance = at(chain.w3, info.address, forge_artifact("TestToken")).functions.balanceOf(settlement).call()
        assert balance == int(SETTLEMENT_BUFFER[info.symbol] * 10**info.decimals) > 0


def test_the_settlement_allow_lists_the_solver_and_owns_its_spender(chain: Devnet) -> None:
    manifest = chain.manifest
    settlement = at(chain.w3, manifest.contracts["settlement"], forge_artifact("Settlement"))
    spender = at(chain.w3, manifest.contracts["spender"], forge_artifact("IntentSpender"))

    assert settlement.functions.isSolver(manifest.account("solver").address).call() is True
    assert settlement.functions.isSolver(manifest.account("user0").address).call() is False
    assert settlement.functions.isInventoryAccount(manifest.account("inventory").address).call() is True
    assert settlement.functions.owner().call() == manifest.account("deployer").address
    assert settlement.functions.spender().call() == manifest.contracts["spender"]
    assert spender.functions.settlement().call() == manifest.contracts["settlement"]


def test_v2_pair_reserves_match_the_liquidity_added(chain: Devnet) -> None:
    manifest = chain.manifest
    v2_pools = [p for p in manifest.pools if p.kind == "uniswap_v2"]
    assert len(v2_pools) == len(V2_PAIRS)
    for spec, pool in zip(V2_PAIRS, v2_pools, strict=True):
        a, b = manifest.token(spec.a), manifest.token(spec.b)
        added = {a.address: usd_to_units(spec.usd_per_side, a), b.address: usd_to_units(spec.usd_per_side, b)}
        reserve0, reserve1, _ts = (
            at(chain.w3, pool.address, uniswap_artifact("UniswapV2Pair")).functions.getReserves().call()
        )
        assert (pool.token0, pool.token1) == sort_tokens(a.address, b.address)
        assert (reserve0, reserve1) == (added[pool.token0], added[pool.token1])
        assert pool.fee == 3000


def test_v3_pools_span_several_fee_tiers_at_the_reference_prices(chain: Devnet) -> None:
    manifest = chain.manifest
    v3_pools = [p for p in manifest.pools if p.kind == "uniswap_v3"]
    by_address = {t.address: t for t in manifest.tokens.values()}
    usd = {symbol: price for symbol, _name, _decimals, price in TOKENS}
    assert len({p.fee for p in v3_pools}) > 1
    for pool in v3_pools:
        t0, t1 = by_address[pool.token0], by_address[pool.token1]
        assert pool.address == v3_pool_address(manifest.contracts["uniswapV3Factory"], t0.address, t1.address, pool.fee)
        sqrt_price = at(chain.w3, pool.address, uniswap_artifact("UniswapV3Pool")).functions.slot0().call()[0]
        price = (sqrt_price / 2**96) ** 2  # token1 base units per token0 base unit
        expected = float(raw_price(usd[t0.symbol], t0.decimals, usd[t1.symbol], t1.decimals))
        assert price == pytest.approx(expected, rel=1e-9)
        assert pool.fee in V3_TICK_SPACING


def test_a_v3_swap_crosses_initialized_ticks_and_pays_exactly_the_quoter_v2_quote(chain: Devnet) -> None:
    manifest, w3 = chain.manifest, chain.w3
    weth, usdc, trader = manifest.token("WETH"), manifest.token("USDC"), manifest.account("inventory").address
    pool_info = next(p for p in manifest.pools if p.kind == "uniswap_v3" and p.fee == 500)
    pool = at(w3, pool_info.address, uniswap_artifact("UniswapV3Pool"))
    quoter = at(w3, manifest.contracts["uniswapV3QuoterV2"], uniswap_artifact("QuoterV2"))
    router = at(w3, manifest.contracts["uniswapV3SwapRouter"], uniswap_artifact("SwapRouter"))
    usdc_token = at(w3, usdc.address, forge_artifact("TestToken"))
    amount_in = 150 * 10**18  # 150 WETH, about 450k USD

    quoted, _sqrt_after, ticks_crossed, _gas = quoter.functions.quoteExactInputSingle(
        (weth.address, usdc.address, amount_in, 500, 0)
    ).call()
    liquidity_before = pool.functions.liquidity().call()
    balance_before = usdc_token.functions.balanceOf(trader).call()
    transact(w3, trader, at(w3, weth.address, forge_artifact("TestToken")), "approve", router.address, amount_in)
    transact(w3, trader, router, "exactInputSingle",
             (weth.address, usdc.address, 500, trader, DEADLINE, amount_in, quoted, 0))  # fmt: skip

    assert ticks_crossed > 0
    assert pool.functions.liquidity().call() != liquidity_before  # a range boundary was really crossed
    assert usdc_token.functions.balanceOf(trader).call() - balance_before == quoted
    assert 2_900 * amount_in // 10**18 * 10**6 < quoted < 3_000 * amount_in // 10**18 * 10**6


def test_the_chain_runs_a_hardfork_with_transient_storage(devnet: Devnet) -> None:
    init_code = "0x600160005d60005c50"  # PUSH1 1 PUSH1 0 TSTORE PUSH1 0 TLOAD POP
    assert call(devnet.w3, "eth_call", {"data": init_code}, "latest") == "0x"
    assert call(devnet.w3, "anvil_nodeInfo")["hardFork"] == "Osaka"


def test_deploy_on_an_interval_mining_anvil_restores_interval_mining() -> None:
    with AnvilProcess(free_port(), block_time=1) as anvil:
        w3 = connect(anvil.rpc_url)
        manifest = deploy(w3)
        assert call(w3, "anvil_getAutomine") is False
        assert call(w3, "anvil_getIntervalMining") == 1  # seconds
        assert 0 < manifest.start_block <= w3.eth.block_number


def test_stop_ends_the_native_anvil_process_and_frees_its_port() -> None:
    anvil = AnvilProcess(free_port()).start()
    pid, w3 = anvil.pid, connect(anvil.rpc_url)
    assert pid is not None and w3.eth.chain_id == 31337

    anvil.stop()
    anvil.stop()  # idempotent

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not anvil.running
    assert port_is_free(anvil.port)
    with pytest.raises(RpcUnavailable):
        call(w3, "eth_chainId")


def test_starting_anvil_on_a_taken_port_fails_loudly() -> None:
    with AnvilProcess(free_port()) as running, pytest.raises(AnvilError, match="in use"):
        AnvilProcess(running.port).start()
