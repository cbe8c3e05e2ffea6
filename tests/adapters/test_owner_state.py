"""Owner state for intake is read in one batch per block and matches the chain."""

from __future__ import annotations

import asyncio

import aiohttp
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from solver.adapters.chain.devnet import Devnet
from solver.adapters.chain.owner_state import OwnerStateReader
from solver.adapters.chain.rpc import send_transaction
from solver.domain.intake import OwnerState, StateQuery

from ..chain_helpers import balance


async def read_all(net: Devnet, queries: list[StateQuery]) -> tuple[list[OwnerState], int]:
    m = net.manifest
    async with aiohttp.ClientSession() as session:
        reader = OwnerStateReader(net.rpc_url, m.contracts["settlement"], m.contracts["spender"], session)
        block = await reader.block_number()
        states = await reader.read(block, queries)
        again = await reader.read(block, queries)  # served from the per-block cache
        assert again == states
        return states, block


def test_reads_balance_allowance_and_nonce_bits_of_many_owners_at_one_block(chain: Devnet) -> None:
    m, w3 = chain.manifest, chain.w3
    weth = m.token("WETH").address
    user0 = m.account("user0").address
    # user0 cancels nonce 5 (word 0, bit 5) on-chain.
    data = keccak(text="invalidateNonces(uint256,uint256)")[:4] + encode(["uint256", "uint256"], [0, 1 << 5])
    send_transaction(w3, {"from": user0, "to": m.contracts["settlement"], "data": "0x" + data.hex()})
    queries = [StateQuery(u.address, weth, n) for u in m.users() for n in (4, 5)]
    states, block = asyncio.run(read_all(chain, queries))
    for q, state in zip(queries, states, strict=True):
        assert state.block_number == block
        assert state.balance == balance(w3, weth, q.owner)
        assert state.allowance == 2**256 - 1
        assert state.nonce_used == (q.owner == user0 and q.nonce == 5)
