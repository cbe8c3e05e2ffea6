"""The composition root: the only place that builds concrete adapters from Settings and wires services.

`venue(settings, manifest)` yields every running part of the embedded venue over one event loop: storage
(by URL), the intake API with the solvers' WebSocket, the auction house and the keeper. Entry points in
scripts/ call this and decide which loops to run.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from eth_abi.abi import encode
from eth_account import Account as EthAccount
from eth_utils.crypto import keccak
from fastapi import FastAPI, WebSocket
from web3 import Web3

from solver.adapters import redis_state
from solver.adapters.chain.bid_simulation import RpcBidSimulator
from solver.adapters.chain.eip1271 import RpcEip1271Verifier
from solver.adapters.chain.jsonrpc import AsyncRpc
from solver.adapters.chain.keeper_chain import RpcKeeperChain
from solver.adapters.chain.manifest import Manifest
from solver.adapters.chain.owner_state import OwnerStateReader
from solver.adapters.chain.pools import snapshot_pools
from solver.adapters.chain.rpc import connect
from solver.adapters.chain.settlement import LogDecoder, contract_errors, encode_settle
from solver.adapters.inprocess import MemoryBidBook, SoleLease
from solver.adapters.storage import Storage, open_storage
from solver.api.app import create_app
from solver.api.protocol import AuctionDto, bid_from_json, bid_to_json
from solver.api.ratelimit import SharedBuckets
from solver.api.ws import Solvers, serve_solver
from solver.demo import REFERENCE_USD, reference_price
from solver.domain.auction import Auction, TokenInfo
from solver.domain.intake import IntakePolicy
from solver.domain.intent import Eip712Domain
from solver.domain.liquidity import Pool
from solver.domain.quoting import PoolSnapshot
from solver.domain.records import FillFilter
from solver.keeper.ports import JobQueue
from solver.keeper.service import Keeper, KeeperConfig
from solver.ports import BidBook, IntentStore, Lease
from solver.services.accounting import Accounting
from solver.services.auctions import AuctionConfig, AuctionHouse, Broadcaster, OnReport
from solver.services.intake import IntakeService
from solver.services.owner_states import CoalescingOwnerStates
from solver.services.pooled_store import PooledIntentStore
from solver.services.quotes import QuoteService
from solver.services.solver_hub import SolverHub
from solver.settings import Settings
from solver.solvers.baseline_client import ClientConfig, run_forever

POOL_WINDOW_WORDS = 16  # tick-bitmap words read either side of each V3 pool's price per round


@dataclass
class Shared:
    """What the venue's processes share: in-process for one process, Redis (VENUE_REDIS_URL) for several."""

    intents: IntentStore  # the store the services write through (with Redis: keeps the open pool in step)
    bids: BidBook
    lease: Lease
    solvers: SolverRelay
    resync: Callable[[], Awaitable[object]]  # run by each new round leader
    rate_limits: SharedBuckets | None = None  # per-client buckets shared by the API processes (Redis)


class SolverRelay(Broadcaster, Solvers, Protocol):
    """The SolverHub's face to the services (broadcast, notify) and to the WebSocket (attach, delivered, detach):
    the hub itself in one process, the Redis relay in front of it across several."""


@dataclass
class Venue:
    settings: Settings
    manifest: Manifest
    storage: Storage
    intake: IntakeService
    hub: SolverHub  # this process's solver connections
    house: AuctionHouse
    keeper: Keeper | None  # None in a process without the keeper's key (the keeper runs elsewhere)
    jobs: JobQueue
    app: FastAPI
    shared: Shared

    async def run_rounds(self, stop: asyncio.Event, on_report: OnReport | None = None) -> None:
        """A round per `round_interval_s` whenever this process leads (always, without Redis)."""
        await self.house.run(stop, self.settings.round_interval_s, on_report, on_lead=self._on_lead)

    async def _on_lead(self) -> None:
        await self.shared.resync()


class PoolSnapshots:
    """Liquidity at a block, read once per block (the round and the quote endpoint share it)."""

    def __init__(self, w3: Web3, manifest: Manifest) -> None:
        self._w3, self._manifest = w3, manifest
        self._cached: tuple[int, tuple[Pool, ...]] | None = None

    async def snapshot(self, block: int) -> tuple[Pool, ...]:
        if self._cached is None or self._cached[0] != block:
            pools = await asyncio.to_thread(
                snapshot_pools, self._w3, self._manifest.pools, block, word_radius=POOL_WINDOW_WORDS
            )
            self._cached = (block, tuple(pools))
        return self._cached[1]


class DevnetReferencePrices:
    """Reference prices in 1e-36 USD per base unit: the devnet's fixed USD prices (a CEX feed later)."""

    def __init__(self, manifest: Manifest) -> None:
        self._tokens = {
            t.address: TokenInfo(t.address, t.symbol, t.decimals, reference_price(t))
            for t in manifest.tokens.values()
            if t.symbol in REFERENCE_USD
        }

    async def tokens(self, block: int) -> dict[str, TokenInfo]:
        return dict(self._tokens)


class ChainView:
    """Head block and owner states for the auction house (batched reads)."""

    def __init__(self, reader: OwnerStateReader) -> None:
        self._reader = reader

    async def block_number(self) -> int:
        return await self._reader.block_number()

    async def read(self, block: int, queries: list[Any]) -> list[Any]:
        return await self._reader.read(block, queries)


def auction_wire(auction: Auction) -> dict[str, Any]:
    return AuctionDto.from_domain(auction).model_dump(by_alias=True, mode="json")


@asynccontextmanager
async def venue(settings: Settings, manifest: Manifest) -> AsyncIterator[Venue]:
    if settings.keeper_key is None and settings.keeper_address is None:
        raise ValueError("VENUE_KEEPER_KEY or VENUE_KEEPER_ADDRESS is required: bids are simulated as the keeper")
    storage = await open_storage(settings.database_url)
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.rpc_timeout_s))
    hub = SolverHub()
    try:
        async with shared_state(settings, storage.intents, hub) as shared:
            yield _wire(settings, manifest, storage, session, hub, shared)
    finally:
        await session.close()
        await storage.close()


@asynccontextmanager
async def shared_state(settings: Settings, store: IntentStore, hub: SolverHub) -> AsyncIterator[Shared]:
    """In-process state without VENUE_REDIS_URL; with it, Redis (the keeper process uses this too, so that
    intents it reopens return to the shared pool and solvers hear of settlements)."""
    if settings.redis_url is None:

        async def nothing_to_resync() -> None:
            return None

        yield Shared(store, MemoryBidBook(), SoleLease(), hub, nothing_to_resync)
        return
    redis = redis_state.connect(settings.redis_url)
    prefix = settings.redis_prefix
    intents = PooledIntentStore(store, redis_state.RedisIntentPool(redis, prefix))
    relay = redis_state.RedisSolverRelay(redis, prefix, hub)
    await relay.start()
    try:
        yield Shared(
            intents, redis_state.RedisBidBook(redis, prefix, bid_to_json, bid_from_json),
            redis_state.RedisLease(redis, prefix), relay, intents.resync, redis_state.RedisTokenBuckets(redis, prefix),
        )  # fmt: skip
    finally:
        await relay.stop()
        await redis.aclose()


def _wire(
    settings: Settings, manifest: Manifest, storage: Storage, session: aiohttp.ClientSession, hub: SolverHub,
    shared: Shared,
) -> Venue:  # fmt: skip
    rpc = AsyncRpc(settings.rpc_url, session)
    settlement = manifest.contracts["settlement"]
    reader = OwnerStateReader(settings.rpc_url, settlement, manifest.contracts["spender"], session)
    domain = Eip712Domain(manifest.chain_id, settlement)
    policy = IntakePolicy(domain, frozenset(t.address for t in manifest.tokens.values()))
    intake = IntakeService(shared.intents, CoalescingOwnerStates(reader), policy, RpcEip1271Verifier(rpc),
                           max_live=settings.max_live_intents)  # fmt: skip
    keeper_account = None if settings.keeper_key is None else EthAccount.from_key(settings.keeper_key.reveal())
    sender = keeper_account.address if keeper_account is not None else str(settings.keeper_address)
    chain_errors = contract_errors()
    chain = RpcKeeperChain(rpc, settlement, chain_errors)
    jobs = storage.jobs  # durable with SQL: a separate keeper process (scripts/keeper.py) can take them
    snapshots = PoolSnapshots(connect(settings.rpc_url, timeout_s=settings.rpc_timeout_s), manifest)
    inventory = frozenset({manifest.account("inventory").address})
    house = AuctionHouse(
        shared.intents, storage.auctions, jobs, ChainView(reader), snapshots,
        DevnetReferencePrices(manifest), RpcBidSimulator(rpc, settlement, chain_errors), shared.solvers, encode_settle,
        auction_wire,
        AuctionConfig(bid_window_s=settings.bid_window_s, early_close=settings.bid_early_close,
                      simulation_sender=sender, inventory_accounts=inventory,
                      max_price_deviation_bps=settings.max_price_deviation_bps),
        shared.bids, shared.lease,
    )  # fmt: skip
    accounting = Accounting(
        shared.intents, storage.auctions, storage.fills, LogDecoder.for_manifest(manifest), chain.block_timestamp,
        shared.solvers.notify, inventory_accounts=inventory, quotes=storage.quote_book,
    )  # fmt: skip
    keeper = (
        None if keeper_account is None
        else Keeper(jobs, chain, keeper_account, KeeperConfig(manifest.chain_id, settlement), accounting.on_outcome)
    )  # fmt: skip

    async def current_liquidity() -> PoolSnapshot:
        block = await reader.block_number()
        return PoolSnapshot(block, await snapshots.snapshot(block))

    quotes = QuoteService(current_liquidity, policy.supported_tokens, store=storage.quotes, book=storage.quote_book)

    async def ready() -> bool:
        try:
            await rpc.call("eth_blockNumber")
            return True
        except Exception:
            return False

    app = create_app(
        intake, ready, settings.max_body_bytes, settings.rate_limit_per_s, settings.rate_limit_burst,
        fills=storage.fills, quotes=quotes, auctions=storage.auctions,
        read_rate_per_s=settings.read_rate_limit_per_s, read_burst=settings.read_rate_limit_burst,
        rate_clients=settings.rate_limit_clients, shared_limits=shared.rate_limits,
    )  # fmt: skip
    solvers = _is_solver(rpc, settlement)

    @app.websocket("/solvers/v1")
    async def solvers_socket(ws: WebSocket) -> None:
        await serve_solver(ws, shared.solvers, house, manifest.chain_id, solvers)

    return Venue(settings, manifest, storage, intake, hub, house, keeper, jobs, app, shared)


def tune_gc() -> None:
    """For a long-running venue process, once it is wired: what exists now (the app, caches, pools) is moved
    out of the collector's sight, and full collections run ~10x less often. A gen-2 pass over a heap of
    intents can stall the event loop for tens of milliseconds, all of it landing on intake's tail latency;
    the venue's garbage is short-lived (requests), which young-generation passes still collect."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 100)


def _is_solver(rpc: AsyncRpc, settlement: str) -> Any:
    """Settlement.isSolver(address), cached for a minute per address."""
    selector = keccak(text="isSolver(address)")[:4]
    cache: dict[str, tuple[float, bool]] = {}

    async def is_solver(address: str) -> bool:
        hit = cache.get(address)
        if hit is not None and time.monotonic() - hit[0] < 60:
            return hit[1]
        data = "0x" + (selector + encode(["address"], [address])).hex()
        allowed = int(await rpc.call("eth_call", {"to": settlement, "data": data}, "latest"), 16) == 1
        cache[address] = (time.monotonic(), allowed)
        return allowed

    return is_solver


async def fill_summary(venue: Venue) -> str:
    """One line over every recorded fill: volume, internalization, surplus and slippage."""
    s = await venue.storage.fills.summary(FillFilter())
    if s.fills == 0:
        return "fills: none recorded"
    slippage = "n/a" if s.average_slippage_bps is None else f"{float(s.average_slippage_bps):.1f} bps"
    return (
        f"fills: {s.fills}, volume ${s.volume / 10**36:,.2f}, internalization rate {float(s.internalization):.1%}, "
        f"average surplus ${float(s.average_surplus) / 10**36:,.2f}, average slippage {slippage}"
    )


async def baseline_solver(venue: Venue, url: str) -> None:
    """The bundled baseline solver, connected over the venue's WebSocket like any third party."""
    m = venue.manifest
    config = ClientConfig(
        url=url, settlement=m.contracts["settlement"], chain_id=m.chain_id, use_proxy=False,
    )  # fmt: skip
    key = venue.settings.solver_key or venue.settings.keeper_key
    assert key is not None
    await run_forever(config, key.reveal())
