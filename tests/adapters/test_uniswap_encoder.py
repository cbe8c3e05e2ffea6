"""The baseline's Uniswap encoder: each swap's calldata decodes to exactly the amounts, tokens and recipient asked."""

from __future__ import annotations

import pytest
from eth_abi.abi import decode

from solver.adapters.chain.amm import MAX_SQRT_RATIO, MIN_SQRT_RATIO, TRANSFER, V2_SWAP, V3_SWAP
from solver.adapters.chain.encoder import UniswapEncoder
from solver.domain.baseline import solve
from solver.domain.batch import Interaction
from solver.domain.primitives import address

from ..unit.builders import DAI, SETTLEMENT, SOLVER, USDC, WETH, a_pool, a_v3_pool, an_auction, an_order

E18, E6 = 10**18, 10**6
PAIR = a_pool(WETH, 1_000 * E18, USDC, 3_000_000 * E6)  # token0 = USDC (0x..a1), token1 = WETH (0x..e1)
V3 = a_v3_pool(WETH, 1_000 * E18, DAI, 3_000_000 * E18)  # token0 = DAI (0x..d1), token1 = WETH
ENCODER = UniswapEncoder(SETTLEMENT)


def args(call: Interaction, selector: bytes, types: list[str]) -> tuple[object, ...]:
    assert call.call_data[:4] == selector
    return tuple(decode(types, call.call_data[4:]))


def test_a_prefunded_v2_swap_is_the_pair_swap_alone_for_the_exact_output() -> None:
    out = PAIR.amount_out(WETH, E18)
    [swap] = ENCODER.swap(PAIR, WETH, E18, out, SETTLEMENT, prefunded=True)
    assert swap.target == address(PAIR.address) and swap.value == 0
    # WETH is token1: the pair pays token0 (USDC)
    assert args(swap, V2_SWAP, ["uint256", "uint256", "address", "bytes"]) == (out, 0, SETTLEMENT.lower(), b"")


def test_a_v2_swap_from_the_settlements_balance_transfers_the_input_first() -> None:
    out = PAIR.amount_out(USDC, 3_000 * E6)
    transfer, swap = ENCODER.swap(PAIR, USDC, 3_000 * E6, out, SETTLEMENT, prefunded=False)
    assert transfer.target == address(USDC)
    assert args(transfer, TRANSFER, ["address", "uint256"]) == (PAIR.address.lower(), 3_000 * E6)
    assert swap.target == address(PAIR.address)
    assert args(swap, V2_SWAP, ["uint256", "uint256", "address", "bytes"]) == (0, out, SETTLEMENT.lower(), b"")


def test_a_v2_output_other_than_the_snapshots_quote_is_refused() -> None:
    out = PAIR.amount_out(WETH, E18)
    with pytest.raises(ValueError, match="pays"):
        ENCODER.swap(PAIR, WETH, E18, out + 1, SETTLEMENT, prefunded=True)


def test_a_v3_swap_is_the_pools_own_swap_of_the_exact_input_with_no_approval() -> None:
    out = V3.amount_out(WETH, E18)
    [swap] = ENCODER.swap(V3, WETH, E18, out, SETTLEMENT, prefunded=False)
    assert swap.target == address(V3.address) and swap.value == 0
    decoded = args(swap, V3_SWAP, ["address", "bool", "int256", "uint160", "bytes"])
    # recipient, zeroForOne (WETH is token1: false), amountSpecified (positive: exact input), price limit
    # (the far bound, so the whole input is swapped), callback data (none: the settlement pays in the callback)
    assert decoded == (SETTLEMENT.lower(), False, E18, MAX_SQRT_RATIO - 1, b"")
    [back] = ENCODER.swap(V3, DAI, 3_000 * E18, V3.amount_out(DAI, 3_000 * E18), SETTLEMENT, prefunded=False)
    assert args(back, V3_SWAP, ["address", "bool", "int256", "uint160", "bytes"])[1:4] == (
        True, 3_000 * E18, MIN_SQRT_RATIO + 1,
    )  # fmt: skip


def test_v3_pools_take_no_prefunded_input() -> None:
    assert ENCODER.accepts_prefunded(PAIR) and not ENCODER.accepts_prefunded(V3)
    with pytest.raises(ValueError, match="prefunded"):
        ENCODER.swap(V3, WETH, E18, V3.amount_out(WETH, E18), SETTLEMENT, prefunded=True)


def test_the_baseline_routes_a_v2_order_through_a_prefunded_pair_and_a_v3_order_through_the_pool_itself() -> None:
    to_usdc = an_order(sell_amount=E18, buy_amount=2_900 * E6)
    to_dai = an_order(nonce=2, buy_token=DAI, sell_amount=E18, buy_amount=2_900 * E18)
    auction = an_auction(to_usdc, to_dai, pools=(PAIR, V3))
    solution = solve(auction, ENCODER, solver=SOLVER, settlement=SETTLEMENT)
    sell_to = {f.intent_id: f.sell_to for f in solution.fulfillments}
    assert sell_to == {to_usdc.intent_id: PAIR.address, to_dai.intent_id: "0x" + "00" * 20}
    targets = [(i.target, i.call_data[:4]) for i in solution.interactions]
    assert sorted(targets) == sorted([(address(PAIR.address), V2_SWAP), (address(V3.address), V3_SWAP)])
