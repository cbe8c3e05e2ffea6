"""Accounting of a real settlement: the demo's first batch settles on anvil, its receipt is read the way the
keeper reads it, decoded by the log adapter, and booked; every record matches its Fill event and source."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from eth_account import Account as EthAccount

from solver.adapters.chain.devnet import Devnet
from solver.adapters.chain.jsonrpc import AsyncRpc
from solver.adapters.chain.keeper_chain import RpcKeeperChain
from solver.adapters.chain.settlement import (
    LogDecoder,
    SettlementClient,
    SettlementReceipt,
    contract_errors,
    encode_settle,
)
from solver.adapters.storage.memory import MemoryStorage
from solver.demo import DemoBuilder, Scenario, reference_price
from solver.domain.lifecycle import IntentRecord, IntentStatus
from solver.domain.primitives import address
from solver.domain.records import AuctionRecord, BidRecord, BidStatus, FillFilter, FillRecord
from solver.domain.settlement_job import JobStatus, SettlementJob
from solver.keeper.ports import Receipt
from solver.services.accounting import Accounting

from ..chain_helpers import domain

WINNER = address("0x00000000000000000000000000000000000050b1")  # the winning solver; the devnet's solver account sends


async def won(storage: MemoryStorage, scenario: Scenario, net: Devnet, winner: str) -> tuple[bytes, ...]:
    """The batch's user intents stored as WON in an auction `winner` won; their ids."""
    inventory = net.manifest.account("inventory").address
    user_trades = [t for t in scenario.batch.trades if t.intent.owner != inventory]
    ids = tuple(t.intent.digest(domain(net.manifest)) for t in user_trades)
    for trade, intent_id in zip(user_trades, ids, strict=True):
        await storage.intents.add(
            IntentRecord(intent_id, trade.intent, trade.signature, trade.scheme, IntentStatus.WON, 0, 0.0)
        )
    prices = {t.address: reference_price(t) for t in net.manifest.tokens.values()}
    await storage.auctions.record_auction(AuctionRecord(scenario.batch.auction_id, 0, 0.0, ids, prices))
    await storage.auctions.record_bid(BidRecord(scenario.batch.auction_id, winner, BidStatus.WON, 1))
    return ids


async def book(
    net: Devnet, storage: MemoryStorage, scenario: Scenario, tx_hash: str, ids: tuple[bytes, ...], now: float
) -> Receipt:
    """Read the receipt as the keeper does and hand it to accounting at chain time `now`; the receipt."""
    m = net.manifest
    async with aiohttp.ClientSession() as session:
        chain = RpcKeeperChain(AsyncRpc(net.rpc_url, session), m.contracts["settlement"], contract_errors())
        receipt = await chain.receipt(tx_hash)
        assert receipt is not None and receipt.status == 1
        accounting = Accounting(
            storage.intents, storage.auctions, storage.fills, LogDecoder.for_manifest(m), chain.block_timestamp,
            lambda solver, message: None, inventory_accounts=frozenset({m.account("inventory").address}),
            clock=lambda: now,
        )  # fmt: skip
        job = SettlementJob(scenario.batch.auction_id, encode_settle(scenario.batch), ids, 10**9,
                            JobStatus.SETTLED, m.account("solver").address)  # fmt: skip
        await accounting.on_outcome(job, receipt)
    return receipt


def settle_first_batch(net: Devnet) -> tuple[Scenario, SettlementReceipt, Receipt, MemoryStorage]:
    """The demo's first batch won by WINNER, settled by the devnet's solver account, then booked."""
    w3, m = net.w3, net.manifest
    now = int(w3.eth.get_block("latest")["timestamp"])
    scenario = DemoBuilder(w3, m, now).first_batch()
    storage = MemoryStorage()
    ids = asyncio.run(won(storage, scenario, net, WINNER))
    solver = EthAccount.from_key(m.account("solver").private_key)
    settled = SettlementClient.for_manifest(w3, m).submit(scenario.batch, solver)
    receipt = asyncio.run(book(net, storage, scenario, settled.tx_hash, ids, float(now)))
    return scenario, settled, receipt, storage


def by_label(scenario: Scenario, records: list[FillRecord]) -> dict[str, FillRecord]:
    return {scenario.labels[r.intent_id]: r for r in records}


def test_the_keepers_receipt_decodes_like_the_web3_receipt(chain: Devnet) -> None:
    _, settled, receipt, _ = settle_first_batch(chain)
    fills, flows, sender = LogDecoder.for_manifest(chain.manifest)(receipt)
    assert (tuple(fills), tuple(flows), sender) == (settled.fills, settled.pool_flows, settled.solver)


def test_every_user_fill_of_a_real_settlement_is_booked_with_its_amounts_and_sources(chain: Devnet) -> None:
    m = chain.manifest
    scenario, settled, receipt, storage = settle_first_batch(chain)
    records = asyncio.run(storage.fills.fills(FillFilter()))
    inventory = m.account("inventory").address

    events = {f.intent_id: f for f in settled.fills if f.owner != inventory}
    assert len(records) == 6 and {r.intent_id for r in records} == set(events)  # none for the inventory account
    for r in records:
        event = events[r.intent_id]
        assert (r.owner, r.sell_token, r.buy_token) == (event.owner, event.sell_token, event.buy_token)
        assert (r.executed_sell, r.executed_buy) == (event.sell_amount, event.buy_amount)
        assert (r.auction_id, r.solver, "0x" + r.tx_hash.hex(), r.block_number) == (
            1, WINNER, settled.tx_hash, settled.block_number,
        )  # fmt: skip
    assert sum(r.gas_used for r in records) == receipt.gas_used
    assert sum(r.gas_cost for r in records) == receipt.gas_used * receipt.effective_gas_price
    block = chain.w3.eth.get_block(settled.block_number)
    assert {r.settled_at for r in records} == {float(block["timestamp"])}

    weth, dai, wbtc = m.token("WETH").address, m.token("DAI").address, m.token("WBTC").address
    v2_pair, v3_pool = m.pool("uniswap_v2", dai, weth).address, m.pool("uniswap_v3", wbtc, weth, 3000).address
    fills = by_label(scenario, records)
    for label in ("CoW: user0 sells WETH", "CoW: user1 buys WETH", "CoW: user5 partial 1/2"):
        a = fills[label].attribution
        assert (a.cow, a.inventory, dict(a.amm)) == (fills[label].executed_buy, 0, {})
    assert dict(fills["Uniswap V2 route"].attribution.amm) == {v2_pair: fills["Uniswap V2 route"].executed_buy}
    assert dict(fills["Uniswap V3 route"].attribution.amm) == {v3_pool: fills["Uniswap V3 route"].executed_buy}
    assert fills["CoW: user0 sells WETH"].surplus == 100 * 10**6  # 6,000 USDC for 2 WETH against a 5,900 limit
    inv = fills["inventory: user4"]
    assert (inv.attribution.inventory, inv.attribution.cow) == (inv.executed_buy, 0)


def test_a_real_settlement_moves_its_intents_and_is_logged(chain: Devnet) -> None:
    scenario, settled, _, storage = settle_first_batch(chain)
    statuses: dict[str, Any] = {}
    for intent_id, label in scenario.labels.items():
        stored = asyncio.run(storage.intents.get(intent_id))
        if stored is not None:
            statuses[label] = (stored.record.status, stored.record.filled)
    partial = scenario.partial
    assert statuses.pop("CoW: user5 partial 1/2") == (IntentStatus.OPEN, partial.executed_amount)
    assert {status for status, _ in statuses.values()} == {IntentStatus.SETTLED}
    (logged,) = asyncio.run(storage.auctions.settlements(1))
    assert "0x" + logged.tx_hash.hex() == settled.tx_hash and logged.gas_used == settled.gas_used
