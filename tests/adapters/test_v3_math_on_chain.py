"""Our pool math against the official Uniswap contracts on the devnet, to the wei.

For every V3 pool, both directions and inputs from 1 wei to tens of millions of USD, a snapshot read with
`snapshot_pools` quotes exactly what QuoterV2.quoteExactInputSingle quotes at the same block, and
executing the swap through SwapRouter.exactInputSingle pays exactly that, takes exactly the input the
model says, and leaves the pool at the model's price, tick and liquidity. A second sweep adds positions
straddling the bitmap word boundaries next to the current tick (NonfungiblePositionManager.mint), so
swaps cross an uninitialized word boundary and then an initialized tick in the next word. V2 pairs are
checked against Router02.getAmountsOut and swapExactTokensForTokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from solver.adapters.chain.amm import v2_pool
from solver.adapters.chain.artifacts import forge_artifact, uniswap_artifact
from solver.adapters.chain.devnet import DEADLINE, MAX_UINT256, V3_POOLS, Devnet, revert, snapshot, usd_to_units
from solver.adapters.chain.manifest import PoolInfo, TokenInfo
from solver.adapters.chain.pools import read_pools, snapshot_pools
from solver.adapters.chain.rpc import ChainError, send_transaction
from solver.domain.liquidity.concentrated import ConcentratedLiquidityPool, SwapResult, word_range
from solver.domain.liquidity.constant_product import ConstantProductPool
from solver.domain.liquidity.v3_math import compress

from ..chain_helpers import balance

# Input sizes: 1 wei and 1,000 wei, then USD values of the input token. The devnet's concentrated
# ranges hold about 1-2 M USD a side; the larger sizes exhaust them and walk through full-range-only
# liquidity across bitmap words.
DUST = (1, 1_000)
USD_SIZES = (0.01, 1, 1_000, 50_000, 250_000, 600_000, 1_500_000, 4_000_000, 25_000_000)
V3_CASES = [(spec.a, spec.b, spec.fee) for spec in V3_POOLS]
V3_IDS = [f"{a}-{b}-{fee}" for a, b, fee in V3_CASES]


def at(w3: Web3, address: str, name: str) -> Contract:
    artifact = forge_artifact(name) if name == "TestToken" else uniswap_artifact(name)
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact.abi)


def transact(w3: Web3, sender: str, contract: Contract, fn: str, *args: Any) -> dict[str, Any]:
    tx = {"from": sender, "to": contract.address, "data": contract.encode_abi(fn, args=list(args))}
    return send_transaction(w3, tx, what=fn)


def usd_amounts(token: TokenInfo) -> list[int]:
    return [*DUST, *(usd_to_units(int(usd * 100), token) // 100 for usd in USD_SIZES)]


def fund(net: Devnet, holder: str, token: str, amount: int, spender: str) -> None:
    """Mint `amount` of `token` to `holder` (TestToken mints to anyone) and max-approve `spender`."""
    deployer = net.manifest.account("deployer").address
    transact(net.w3, deployer, at(net.w3, token, "TestToken"), "mint", holder, amount)
    transact(net.w3, holder, at(net.w3, token, "TestToken"), "approve", spender, MAX_UINT256)


def v3_pool(net: Devnet, a: str, b: str, fee: int) -> PoolInfo:
    m = net.manifest
    return m.pool("uniswap_v3", m.token(a).address, m.token(b).address, fee)


@dataclass(frozen=True)
class Checked:
    amount_in: int
    result: SwapResult


def check_exact_input_swaps(net: Devnet, info: PoolInfo, zero_for_one: bool) -> list[Checked]:
    """Quote every size with the model and QuoterV2 at one block, execute each through SwapRouter from that
    state (snapshot/revert per size), and assert all three agree to the wei."""
    w3, m = net.w3, net.manifest
    token_in, token_out = (info.token0, info.token1) if zero_for_one else (info.token1, info.token0)
    by_address = {t.address: t for t in m.tokens.values()}
    amounts = usd_amounts(by_address[token_in])
    trader = m.account("user5").address
    router = at(w3, m.contracts["uniswapV3SwapRouter"], "SwapRouter")
    quoter = at(w3, m.contracts["uniswapV3QuoterV2"], "QuoterV2")
    fund(net, trader, token_in, max(amounts), router.address)

    block = w3.eth.block_number
    (pool,) = snapshot_pools(w3, [info], block)
    assert isinstance(pool, ConcentratedLiquidityPool) and pool.bitmap_words is None
    checked = []
    for amount in amounts:
        result = pool.swap(token_in, amount)
        quoted = quoter.functions.quoteExactInputSingle((token_in, token_out, amount, info.fee, 0)).call(
            block_identifier=block
        )
        assert (result.amount_out, result.sqrt_price_x96) == (quoted[0], quoted[1]), f"amount in {amount}"
        assert pool.amount_out(token_in, amount) == quoted[0]

        state = snapshot(w3)
        before_in, before_out = balance(w3, token_in, trader), balance(w3, token_out, trader)
        params = (token_in, token_out, info.fee, trader, DEADLINE, amount, result.amount_out, 0)
        transact(w3, trader, router, "exactInputSingle", params)
        assert balance(w3, token_out, trader) - before_out == result.amount_out
        assert before_in - balance(w3, token_in, trader) == result.amount_in == amount
        onchain = at(w3, info.address, "UniswapV3Pool")
        slot0 = onchain.functions.slot0().call()
        assert (slot0[0], slot0[1]) == (result.sqrt_price_x96, result.tick)
        assert onchain.functions.liquidity().call() == result.liquidity
        revert(w3, state)
        checked.append(Checked(amount, result))
    return checked


@pytest.mark.parametrize("zero_for_one", [True, False], ids=["zero_for_one", "one_for_zero"])
@pytest.mark.parametrize(("a", "b", "fee"), V3_CASES, ids=V3_IDS)
def test_exact_input_swaps_match_quoter_v2_and_the_swap_router_to_the_wei(
    chain: Devnet, a: str, b: str, fee: int, zero_for_one: bool
) -> None:
    checked = check_exact_input_swaps(chain, v3_pool(chain, a, b, fee), zero_for_one)

    assert checked[0].result.amount_out == 0  # 1 wei buys nothing: it all goes to the fee
    assert max(c.result.ticks_crossed for c in checked) >= 3  # every concentrated range is crossed
    assert any(c.result.boundaries for c in checked)  # and at least one bitmap word boundary


@pytest.mark.parametrize("zero_for_one", [True, False], ids=["zero_for_one", "one_for_zero"])
@pytest.mark.parametrize(("a", "b", "fee"), V3_CASES, ids=V3_IDS)
def test_swaps_crossing_a_word_boundary_into_an_initialized_tick_match_to_the_wei(
    chain: Devnet, a: str, b: str, fee: int, zero_for_one: bool
) -> None:
    w3, m = chain.w3, chain.manifest
    info = v3_pool(chain, a, b, fee)
    (pool,) = snapshot_pools(w3, [info], w3.eth.block_number)
    assert isinstance(pool, ConcentratedLiquidityPool)
    spacing = pool.tick_spacing
    word = compress(pool.tick, spacing) >> 8
    # The first tick of the current word and of the next: a position straddles each boundary.
    lowest, next_first = word * 256 * spacing, (word + 1) * 256 * spacing
    straddles = [(lowest - 4 * spacing, lowest + 4 * spacing), (next_first - 4 * spacing, next_first + 4 * spacing)]
    beyond = straddles[0][0] if zero_for_one else straddles[1][1]  # the initialized tick in the next word

    deployer = m.account("deployer").address
    manager = at(w3, m.contracts["uniswapV3PositionManager"], "NonfungiblePositionManager")
    by_address = {t.address: t for t in m.tokens.values()}
    t0, t1 = by_address[info.token0], by_address[info.token1]
    amount0, amount1 = usd_to_units(2_000_000, t0), usd_to_units(2_000_000, t1)
    fund(chain, deployer, info.token0, amount0 * 2, manager.address)
    fund(chain, deployer, info.token1, amount1 * 2, manager.address)
    for lower, upper in straddles:
        params = (info.token0, info.token1, fee, lower, upper, amount0, amount1, 0, 0, deployer, DEADLINE)
        transact(w3, deployer, manager, "mint", params)

    checked = check_exact_input_swaps(chain, info, zero_for_one)

    crossing = [c for c in checked if beyond in c.result.crossed]
    assert crossing, f"no size reached tick {beyond} across the word boundary"
    assert all(c.result.boundaries >= 1 for c in crossing)


@pytest.mark.parametrize("zero_for_one", [True, False], ids=["zero_for_one", "one_for_zero"])
@pytest.mark.parametrize(("a", "b", "fee"), V3_CASES, ids=V3_IDS)
def test_exact_output_swaps_match_quoter_v2_and_the_swap_router_to_the_wei(
    chain: Devnet, a: str, b: str, fee: int, zero_for_one: bool
) -> None:
    w3, m = chain.w3, chain.manifest
    info = v3_pool(chain, a, b, fee)
    token_in, token_out = (info.token0, info.token1) if zero_for_one else (info.token1, info.token0)
    by_address = {t.address: t for t in m.tokens.values()}
    trader = m.account("user5").address
    router = at(w3, m.contracts["uniswapV3SwapRouter"], "SwapRouter")
    quoter = at(w3, m.contracts["uniswapV3QuoterV2"], "QuoterV2")
    block = w3.eth.block_number
    (pool,) = snapshot_pools(w3, [info], block)
    assert isinstance(pool, ConcentratedLiquidityPool)
    # What the exact-input sizes buy, and one more wei: outputs from dust to past every concentrated range.
    outputs = sorted({1, *(out + k for a in usd_amounts(by_address[token_in]) if (out := pool.amount_out(token_in, a))
                           for k in (0, 1))})  # fmt: skip
    fund(chain, trader, token_in, 2 * pool.amount_in(token_in, outputs[-1]), router.address)
    block = w3.eth.block_number
    crossed = 0
    for amount_out in outputs:
        result = pool.swap(token_in, -amount_out)
        quoted = quoter.functions.quoteExactOutputSingle((token_in, token_out, amount_out, fee, 0)).call(
            block_identifier=block
        )
        assert result.amount_out == amount_out
        assert (result.amount_in, result.sqrt_price_x96) == (quoted[0], quoted[1]), f"amount out {amount_out}"
        assert pool.amount_in(token_in, amount_out) == quoted[0]
        state = snapshot(w3)
        before_in, before_out = balance(w3, token_in, trader), balance(w3, token_out, trader)
        params = (token_in, token_out, fee, trader, DEADLINE, amount_out, result.amount_in, 0)
        transact(w3, trader, router, "exactOutputSingle", params)
        assert balance(w3, token_out, trader) - before_out == amount_out
        assert before_in - balance(w3, token_in, trader) == result.amount_in
        revert(w3, state)
        crossed = max(crossed, result.ticks_crossed)
    assert crossed >= 3

    reserve = balance(w3, token_out, info.address)
    with pytest.raises(ValueError, match="can pay only"):
        pool.amount_in(token_in, reserve + 1)
    with pytest.raises(ContractLogicError):  # the quoter cannot quote it either
        quoter.functions.quoteExactOutputSingle((token_in, token_out, reserve + 1, fee, 0)).call(block_identifier=block)


def test_a_snapshot_of_every_devnet_pool_takes_three_round_trips_and_reads_every_initialized_tick(
    chain: Devnet,
) -> None:
    w3, m = chain.w3, chain.manifest
    block = w3.eth.block_number
    snap = read_pools(w3, m.pools, block)

    v3 = [p for p in snap.pools if isinstance(p, ConcentratedLiquidityPool)]
    assert snap.round_trips == 3
    n_words = sum(word_range(p.tick_spacing)[1] - word_range(p.tick_spacing)[0] + 1 for p in v3)
    n_ticks = sum(len(p.ticks) for p in v3)
    n_v2 = len(snap.pools) - len(v3)
    assert snap.calls == n_v2 + 4 * len(v3) + n_words + n_ticks
    for pool, info in zip(snap.pools, m.pools, strict=True):
        assert (pool.address, pool.token0, pool.token1) == (info.address, info.token0, info.token1)
        if isinstance(pool, ConcentratedLiquidityPool):
            onchain = at(w3, info.address, "UniswapV3Pool")
            assert pool.fee == info.fee
            # Each devnet position adds +L at its lower tick and -L at its upper: the nets sum to zero.
            assert sum(pool.ticks.values()) == 0
            assert len(pool.ticks) == 2 * len(next(s for s in V3_POOLS if s.fee == info.fee).positions)
            for tick, net in pool.ticks.items():
                assert onchain.functions.ticks(tick).call()[1] == net
            below = sum(net for tick, net in pool.ticks.items() if tick <= pool.tick)
            assert pool.liquidity == below == onchain.functions.liquidity().call()
        else:
            assert pool == v2_pool(w3, info)


def test_a_windowed_snapshot_reads_fewer_words_and_quotes_the_same_inside_them(chain: Devnet) -> None:
    w3, m = chain.w3, chain.manifest
    block = w3.eth.block_number
    v3 = [p for p in m.pools if p.kind == "uniswap_v3"]
    full, window = read_pools(w3, v3, block), read_pools(w3, v3, block, word_radius=1)
    assert window.round_trips == 3 and window.calls < full.calls // 10
    for whole, part in zip(full.pools, window.pools, strict=True):
        assert isinstance(whole, ConcentratedLiquidityPool) and isinstance(part, ConcentratedLiquidityPool)
        assert part.bitmap_words is not None
        assert {t: n for t, n in whole.ticks.items() if part.bitmap_words[0] <= compress(t, whole.tick_spacing) >> 8
                <= part.bitmap_words[1]} == part.ticks  # fmt: skip
        for token in (whole.token0, whole.token1):
            assert part.amount_out(token, 1_000_000) == whole.amount_out(token, 1_000_000)


def test_a_snapshot_at_an_earlier_block_ignores_later_swaps(chain: Devnet) -> None:
    w3, m = chain.w3, chain.manifest
    info = v3_pool(chain, "WETH", "USDC", 500)
    before_block = w3.eth.block_number
    (before,) = snapshot_pools(w3, [info], before_block)
    checked = check_exact_input_swaps(chain, info, True)  # reverts its swaps; execute one for real:
    trader, router = m.account("user5").address, m.contracts["uniswapV3SwapRouter"]
    amount = checked[-3].amount_in
    params = (info.token0, info.token1, info.fee, trader, DEADLINE, amount, 0, 0)
    transact(w3, trader, at(w3, router, "SwapRouter"), "exactInputSingle", params)

    (again,) = snapshot_pools(w3, [info], before_block)
    (now,) = snapshot_pools(w3, [info], w3.eth.block_number)
    assert again == before != now
    assert isinstance(before, ConcentratedLiquidityPool) and isinstance(now, ConcentratedLiquidityPool)
    assert now == before.after(before.swap(info.token0, amount))  # chaining reproduces the chain's state


@pytest.mark.parametrize(("a", "b"), [("WETH", "USDC"), ("WBTC", "WETH"), ("USDC", "DAI")])
def test_v2_snapshots_quote_router02_get_amounts_out_and_its_swaps(chain: Devnet, a: str, b: str) -> None:
    w3, m = chain.w3, chain.manifest
    info = m.pool("uniswap_v2", m.token(a).address, m.token(b).address)
    router = at(w3, m.contracts["uniswapV2Router"], "UniswapV2Router02")
    trader = m.account("user5").address
    block = w3.eth.block_number
    (pool,) = snapshot_pools(w3, [info], block)
    assert isinstance(pool, ConstantProductPool)
    for token_in, token_out in ((m.token(a), m.token(b)), (m.token(b), m.token(a))):
        amounts, path = usd_amounts(token_in), [token_in.address, token_out.address]
        for amount in amounts:
            quoted = router.functions.getAmountsOut(amount, path).call(block_identifier=block)[1]
            assert pool.amount_out(token_in.address, amount) == quoted
        fund(chain, trader, token_in.address, amounts[-3], router.address)
        before = balance(w3, token_out.address, trader)
        expected = pool.amount_out(token_in.address, amounts[-3])
        state = snapshot(w3)
        transact(w3, trader, router, "swapExactTokensForTokens", amounts[-3], expected, path, trader, DEADLINE)
        assert balance(w3, token_out.address, trader) - before == expected
        revert(w3, state)


def test_a_snapshot_in_smaller_batches_reads_the_same_pools_in_more_round_trips(chain: Devnet) -> None:
    w3, m = chain.w3, chain.manifest
    block = w3.eth.block_number
    whole, chunked = read_pools(w3, m.pools, block), read_pools(w3, m.pools, block, max_batch=500)
    v3 = [p for p in whole.pools if isinstance(p, ConcentratedLiquidityPool)]
    rounds = (
        len(whole.pools) - len(v3) + 4 * len(v3),  # headers
        sum(word_range(p.tick_spacing)[1] - word_range(p.tick_spacing)[0] + 1 for p in v3),  # bitmap words
        sum(len(p.ticks) for p in v3),  # initialized ticks
    )
    assert chunked.pools == whole.pools
    assert chunked.calls == whole.calls == sum(rounds)
    assert chunked.round_trips == sum(-(-n // 500) for n in rounds) > whole.round_trips == 3


def test_snapshotting_an_address_that_is_not_a_pool_fails_loudly(chain: Devnet) -> None:
    w3, m = chain.w3, chain.manifest
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    block = w3.eth.block_number
    with pytest.raises(ChainError):  # a contract without slot0(): the call reverts
        snapshot_pools(w3, [PoolInfo("uniswap_v3", weth, weth, usdc, 500)], block)
    with pytest.raises(ChainError, match="not a V3 pool"):  # no code: empty return data
        snapshot_pools(w3, [PoolInfo("uniswap_v3", m.account("user0").address, weth, usdc, 500)], block)
