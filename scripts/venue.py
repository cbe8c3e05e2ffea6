"""The README's main command: the whole venue on embedded defaults, with a stream of demo intents.

Starts the devnet (anvil, one block per second), the intake API and the solvers' WebSocket, the auction
house (one round per block), the keeper and the bundled baseline solver (which connects over the same
WebSocket as any third party), then posts demo intents from several wallets and shows them being
auctioned, won and settled. It keeps serving until Ctrl-C (`--exit` stops once the demo has settled).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import uvicorn  # noqa: E402
import uvloop  # noqa: E402

from solver import bootstrap, venue_demo  # noqa: E402
from solver.adapters.chain.anvil import DEFAULT_PORT, free_port, port_is_free  # noqa: E402
from solver.adapters.chain.devnet import running_devnet  # noqa: E402
from solver.adapters.chain.manifest import Manifest  # noqa: E402
from solver.domain.lifecycle import TERMINAL, IntentStatus  # noqa: E402
from solver.services.auctions import RoundReport as AuctionReport  # noqa: E402
from solver.settings import PREFIX, Secret, Settings  # noqa: E402

STATE_DIR = ROOT / ".venue"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--api-port", type=int, default=8080, help="HTTP/WebSocket port (default 8080, else a free one)")
    p.add_argument("--chain-port", type=int, default=DEFAULT_PORT, help="anvil port (default 8545, else free)")
    p.add_argument("--exit", action="store_true", help="stop once the demo intents are settled")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for the demo to settle")
    p.add_argument("--role", choices=("all", "api"), default="all",
                   help="all: everything on a fresh devnet with the demo (default); api: intake, solvers' "
                        "WebSocket and auction house from VENUE_* settings against a deployed chain (docker-compose)")
    return p.parse_args(argv)


def _port(wanted: int) -> int:
    return wanted if port_is_free(wanted) else free_port()


async def run(args: argparse.Namespace) -> int:
    configured = Settings.from_env(os.environ)
    if args.role == "api":
        async with bootstrap.venue(configured, Manifest.load(configured.manifest_path)) as venue:
            return await _serve_api(venue)
    with running_devnet(_port(args.chain_port), block_time=1.0) as net:
        settings = embedded_settings(configured, os.environ, net.rpc_url, net.manifest, args.api_port)
        manifest_path = ROOT / settings.manifest_path  # an absolute setting stays as it is
        net.manifest.save(manifest_path)
        print(f"venue: devnet manifest {manifest_path} (contracts, tokens, pools, test wallets with their keys, "
              "already approved to the spender)", flush=True)  # fmt: skip
        async with bootstrap.venue(settings, net.manifest) as venue:
            return await _serve(venue, args, net.rpc_url)


def embedded_settings(
    configured: Settings, env: Mapping[str, str], rpc_url: str, manifest: Manifest, api_port: int
) -> Settings:
    """`make run`'s settings: every VENUE_* key the environment sets is honoured; the rest are the embedded
    defaults: the devnet just started (always: its chain is the one deployed), a fresh SQLite file under
    .venue/, the devnet's allow-listed solver account as the keeper, port 8080 (or a free one)."""
    embedded: dict[str, Callable[[], Any]] = {
        "database_url": _fresh_sqlite,
        "keeper_key": lambda: Secret(manifest.account("solver").private_key),
        "api_port": lambda: _port(api_port),
    }
    unset = {name: make() for name, make in embedded.items() if f"{PREFIX}{name.upper()}" not in env}
    return dataclasses.replace(configured, rpc_url=rpc_url, **unset)


def _fresh_sqlite() -> str:
    """A new SQLite database under .venue/ (a fresh chain needs a fresh record of intents)."""
    STATE_DIR.mkdir(exist_ok=True)
    for stale in STATE_DIR.glob("venue.db*"):
        stale.unlink()
    return f"sqlite+aiosqlite:///{STATE_DIR / 'venue.db'}"


async def _serve_api(venue: bootstrap.Venue) -> int:
    """The API role: serve intake and solvers, run a round per block, until stopped (the keeper is separate)."""
    s = venue.settings
    server = uvicorn.Server(uvicorn.Config(venue.app, host=s.api_host, port=s.api_port, log_level="warning",
                                           http="httptools"))
    bootstrap.tune_gc()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(_rounds(venue, stop))]
    if venue.keeper is not None:
        tasks.append(asyncio.create_task(venue.keeper.run(stop)))
    try:
        await server.serve()
        return 0
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _serve(venue: bootstrap.Venue, args: argparse.Namespace, rpc_url: str) -> int:
    s = venue.settings
    assert venue.keeper is not None  # the demo runs its keeper in-process
    server = uvicorn.Server(uvicorn.Config(venue.app, host=s.api_host, port=s.api_port, log_level="warning",
                                           http="httptools"))
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(server.serve()),
        asyncio.create_task(venue.keeper.run(stop)),
        asyncio.create_task(_rounds(venue, stop)),
    ]
    base = f"http://{s.api_host}:{s.api_port}"
    while not server.started:
        await asyncio.sleep(0.02)
    tasks.append(asyncio.create_task(bootstrap.baseline_solver(venue, f"ws://{s.api_host}:{s.api_port}/solvers/v1")))
    print(f"venue: API {base}/docs  solvers ws://{s.api_host}:{s.api_port}/solvers/v1  chain {rpc_url}", flush=True)
    try:
        ok = await _demo(venue, base, args.timeout)
        await _summary(venue)
        if args.exit:
            return 0 if ok else 1
        print(f"venue: serving at {base} (POST {base}/v1/intents); Ctrl-C to stop", flush=True)
        await asyncio.Event().wait()
        return 0
    finally:
        stop.set()
        server.should_exit = True
        serving, others = tasks[0], tasks[1:]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await asyncio.wait({serving}, timeout=5)  # uvicorn finishes its own shutdown (lifespan, sockets)


async def _rounds(venue: bootstrap.Venue, stop: asyncio.Event) -> None:
    """Rounds whenever this process leads (always without Redis), each printed as it concludes."""

    def show(report: AuctionReport) -> None:
        stages = " ".join(f"{k} {v * 1e3:.0f}ms" for k, v in report.stage_seconds.items())
        usd = (report.score or 0) / 10**36  # scores are in the numeraire, 1e-36 USD
        winner = f"winner {report.winner} surplus ${usd:,.2f}" if report.winner else "no valid bid"
        print(f"round {report.auction_id}: {report.orders} orders, {report.bids} bids, {winner} ({stages})",
              flush=True)  # fmt: skip

    await venue.run_rounds(stop, show)


async def _demo(venue: bootstrap.Venue, base: str, timeout: float) -> bool:
    now = int(time.time())
    accepted: dict[str, str] = {}  # intent id -> label
    async with aiohttp.ClientSession() as http:
        for item in await venue_demo.quoted_wave(venue.manifest, now, 1, http, base):
            async with http.post(f"{base}/v1/intents", json=item.body) as response:
                reply: dict[str, Any] = await response.json()
            outcome = "accepted" if response.status in (200, 201) else str(reply.get("code"))
            mark = "ok " if outcome == item.expect else "!! "
            print(f"{mark}POST {item.label:<36} -> {response.status} {reply.get('id') or reply.get('reason')}",
                  flush=True)  # fmt: skip
            if outcome == "accepted":
                accepted[reply["id"]] = item.label
    return await _await_settlement(venue, accepted, timeout)


async def _await_settlement(venue: bootstrap.Venue, accepted: dict[str, str], timeout: float) -> bool:
    seen: dict[str, IntentStatus] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for intent_id, label in accepted.items():
            stored = await venue.storage.intents.get(bytes.fromhex(intent_id[2:]))
            if stored is not None and seen.get(intent_id) is not stored.record.status:
                seen[intent_id] = stored.record.status
                print(f"    {label:<36} {stored.record.status.value} (filled {stored.record.filled})", flush=True)
        if all(s in TERMINAL for s in seen.values()) and len(seen) == len(accepted):
            return True
        await asyncio.sleep(0.25)
    print("venue: demo intents still open after the timeout", flush=True)
    return False


async def _summary(venue: bootstrap.Venue) -> None:
    summary = await bootstrap.fill_summary(venue)
    if summary:
        print(summary, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    loop = uvloop.new_event_loop()  # the server runs on this loop (server.serve() is awaited here)
    main_task = loop.create_task(run(args))
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main_task.cancel)
    try:
        return loop.run_until_complete(main_task)
    except asyncio.CancelledError:
        print("\nvenue: stopped", flush=True)
        return 0
    finally:
        loop.close()


if __name__ == "__main__":
    sys.exit(main())
