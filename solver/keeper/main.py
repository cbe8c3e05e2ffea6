"""The keeper as a process of its own (`scripts/keeper.py`): one account, one shared SQL job queue.

Configuration comes from the environment (solver.settings): VENUE_RPC_URL, VENUE_DATABASE_URL (SQLite or
PostgreSQL: the queue the venue writes won solutions to), VENUE_KEEPER_KEY (the account that signs) and
VENUE_MANIFEST_PATH (chain id and settlement address). The process first finishes what its account had in
flight before a restart (`Keeper.recover`: re-broadcast the stored transactions, never sign anew), then
claims and settles jobs until SIGTERM or SIGINT. Several processes with different allow-listed accounts
can share one queue; `claim` hands each job to exactly one of them.

Each finished job is logged as a `settlement_finished` JSON event; storage and chain errors restart the
loop (recovering first) after a pause instead of ending the process. On a stop signal the job being sent
gets a grace period, then is abandoned as in a crash, which the write-ahead makes safe. The key is handed
to the signer and nothing else: no event, repr or error message carries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping

import aiohttp
from eth_account import Account as EthAccount

from solver import observe
from solver.adapters.chain.jsonrpc import AsyncRpc
from solver.adapters.chain.keeper_chain import RpcKeeperChain
from solver.adapters.chain.manifest import Manifest
from solver.adapters.chain.rpc import ChainError
from solver.adapters.chain.settlement import LogDecoder, contract_errors
from solver.adapters.storage import MEMORY_URL, open_storage
from solver.bootstrap import shared_state
from solver.ports import StorageError
from solver.services.accounting import Accounting
from solver.services.solver_hub import SolverHub
from solver.settings import Settings, SettingsError

from .service import Keeper, KeeperConfig

RETRY_S = 1.0  # pause before the loop resumes after a storage or chain error
SHUTDOWN_GRACE_S = 5.0  # a job in flight at a stop signal gets this long to finish
RPC_TIMEOUT_S = 10.0
ERROR_DETAIL_CHARS = 500  # driver errors quote whole statements with their parameters


async def run_keeper(settings: Settings, stop: asyncio.Event, *, retry_s: float = RETRY_S) -> None:
    """Recover, then settle jobs from the queue at `settings.database_url` until `stop` is set."""
    if settings.keeper_key is None:
        raise SettingsError("VENUE_KEEPER_KEY is required: the keeper signs settle transactions")
    if settings.database_url == MEMORY_URL:
        raise SettingsError("VENUE_DATABASE_URL must be a SQL database the venue shares with its keepers")
    try:
        account = EthAccount.from_key(settings.keeper_key.reveal())
    except ValueError:
        raise SettingsError("VENUE_KEEPER_KEY is not a private key (32 bytes, hex)") from None  # no key in traces
    manifest = Manifest.load(settings.manifest_path)
    settlement = manifest.contracts["settlement"]
    storage = await open_storage(settings.database_url)
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=RPC_TIMEOUT_S)) as session,
            shared_state(settings, storage.intents, SolverHub()) as shared,
        ):
            chain = RpcKeeperChain(AsyncRpc(settings.rpc_url, session), settlement, contract_errors())
            config = KeeperConfig(manifest.chain_id, settlement)

            # The keeper process books outcomes itself (fills with their slippage against the quotes the venue
            # recorded, intent statuses): the venue may be down. With VENUE_REDIS_URL, intents it reopens go
            # back to the shared pool and solvers hear of settlements through the relay; without, the venue
            # process reads open intents from the database and solvers hear nothing from this process.
            accounting = Accounting(
                shared.intents, storage.auctions, storage.fills, LogDecoder.for_manifest(manifest),
                chain.block_timestamp, shared.solvers.notify,
                inventory_accounts=frozenset({manifest.account("inventory").address}), quotes=storage.quote_book,
            )  # fmt: skip

            def keeper() -> Keeper:
                return Keeper(storage.jobs, chain, account, config, accounting.on_outcome)

            in_flight = await storage.jobs.in_flight(account.address)
            observe.keeper_started(account.address, manifest.chain_id, len(in_flight))
            await _loop(keeper, stop, retry_s)
            observe.keeper_stopped(account.address)
    finally:
        await storage.close()


async def _loop(new_keeper: Callable[[], Keeper], stop: asyncio.Event, retry_s: float) -> None:
    while not stop.is_set():
        # A fresh Keeper after an error, as after a restart: it forgets nonces it reserved in memory (a
        # save that failed may have left one unused) and run() recovers the in-flight jobs first.
        keeper = new_keeper()
        work = asyncio.create_task(keeper.run(stop))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not work.done():
            await asyncio.wait({work}, timeout=SHUTDOWN_GRACE_S)
            work.cancel()
        stopping.cancel()
        try:
            await work
        except asyncio.CancelledError:
            if not stop.is_set():
                raise
        except (StorageError, ChainError) as exc:
            observe.keeper_error(keeper.address, type(exc).__name__, str(exc)[:ERROR_DETAIL_CHARS], retry_s)
            await _sleep_unless(stop, retry_s)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def main(env: Mapping[str, str] | None = None) -> int:
    """Run the keeper until SIGTERM/SIGINT; the exit code is 0 after a clean stop, 2 on bad configuration."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    try:
        settings = Settings.from_env(os.environ if env is None else env)
    except SettingsError as exc:
        print(f"keeper: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_main(settings))


async def _main(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await run_keeper(settings, stop)
    except SettingsError as exc:
        print(f"keeper: {exc}", file=sys.stderr)
        return 2
    return 0
