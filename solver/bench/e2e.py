"""End to end on the devnet: intents POSTed at a steady rate, each one's latency from accepted to settled.

The whole venue as `make run` runs it (scripts/venue.py): the devnet with one block a second, the
composition root's venue (`bootstrap.venue`: SQLite storage, intake API and solvers' WebSocket served by
uvicorn, the auction house with one round per `round_interval_s`, the keeper) and the bundled baseline
solver connected over the WebSocket (`bootstrap.baseline_solver`). Before the clock starts, `--owners`
owners are funded and rate x seconds intents of the benchmark mix (`population.mix`) are signed; then
intent i is POSTed over HTTP at start + i / rate. For each accepted intent: the head block when its 201
arrived (a poller follows the head every 50 ms), the block of its first Fill (the venue's fill record,
decoded from the settlement's logs), and when the venue's store first showed it filled. The report: the
latency in blocks and in seconds (p50/p95/p99/max) over the intents that were filled, and how many
settled, were partially filled, stayed open, expired, failed or were refused, per kind of intent.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn

from solver import bootstrap
from solver.adapters.chain.anvil import free_port
from solver.adapters.chain.devnet import Devnet, running_devnet
from solver.adapters.chain.jsonrpc import AsyncRpc
from solver.bench import population
from solver.domain.lifecycle import IntentStatus
from solver.domain.records import FillFilter
from solver.settings import Secret, Settings


@dataclass(frozen=True, slots=True)
class Config:
    seconds: float = 60.0
    rate: float = 4.0  # intents POSTed per second
    owners: int = 200
    drain_s: float = 20.0  # after the last POST: time for the last intents to settle
    seed: int = 7
    validity_s: int = 120  # each intent's valid_to, from its POST: unfilled ones expire after this
    round_interval_s: float = 1.0


@dataclass
class Tracked:
    label: str
    posted_at: float  # unix seconds, the POST answered 201
    block: int  # head block when the 201 arrived
    filled_at: float | None = None  # unix seconds, first seen filled in the store
    fill_block: int | None = None  # block of its first Fill
    status: str = "open"
    auctions: int = 0  # auctions it was offered in before (or in) the one that filled it


@dataclass
class Run:
    tracked: dict[bytes, Tracked] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    stages: dict[str, list[float]] = field(default_factory=dict)
    rounds: int = 0
    orders: list[int] = field(default_factory=list)
    auctions: list[int] = field(default_factory=list)  # auction ids, in order
    won: set[int] = field(default_factory=set)  # auctions with a winner
    settlements: Counter[str] = field(default_factory=Counter)
    reasons: list[str] = field(default_factory=list)
    head: int = 0


async def _follow_head(rpc: AsyncRpc, run: Run, stop: asyncio.Event) -> None:
    while not stop.is_set():
        run.head = int(await rpc.call("eth_blockNumber"), 16)
        await asyncio.sleep(0.05)


async def _rounds(venue: bootstrap.Venue, run: Run, stop: asyncio.Event) -> None:
    """One round per interval, as scripts/venue.py runs them, keeping each round's stage times."""
    interval = venue.settings.round_interval_s
    await venue.house.recover()
    while not stop.is_set():
        started = time.monotonic()
        report = await venue.house.run_round()
        if report is not None:
            run.rounds += 1
            run.orders.append(report.orders)
            run.auctions.append(report.auction_id)
            if report.winner is not None:
                run.won.add(report.auction_id)
            for name, seconds in report.stage_seconds.items():
                run.stages.setdefault(name, []).append(seconds)
            run.stages.setdefault("total", []).append(time.monotonic() - started)
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


async def _post(http: aiohttp.ClientSession, url: str, signed: population.Signed, venue: bootstrap.Venue,
                run: Run) -> None:  # fmt: skip
    m = venue.manifest
    async with http.post(url, json=population.body(signed, m.chain_id, m.contracts["settlement"])) as response:
        reply: dict[str, Any] = await response.json()
    if response.status == 201:
        run.tracked[bytes.fromhex(reply["id"][2:])] = Tracked(signed.label, time.time(), run.head)
    else:
        run.refused[f"{response.status} {reply.get('code')}"] += 1


async def _load(venue: bootstrap.Venue, base: str, signed: Sequence[population.Signed], config: Config,
                run: Run) -> None:  # fmt: skip
    url = f"{base}/v1/intents"
    start = time.monotonic()
    async with aiohttp.ClientSession() as http:
        pending = set()
        for i, s in enumerate(signed):
            await asyncio.sleep(max(0.0, start + i / config.rate - time.monotonic()))
            pending.add(asyncio.create_task(_post(http, url, s, venue, run)))
        await asyncio.gather(*pending)


async def _watch(venue: bootstrap.Venue, run: Run, stop: asyncio.Event) -> None:
    """When each tracked intent is first seen filled (partially or fully) in the venue's store."""
    while not stop.is_set():
        for intent_id, t in list(run.tracked.items()):
            if t.filled_at is None:
                stored = await venue.storage.intents.get(intent_id)
                if stored is not None and stored.record.filled > 0:
                    t.filled_at = time.time()
        await asyncio.sleep(0.1)


async def _finish(venue: bootstrap.Venue, run: Run) -> None:
    fills = await venue.storage.fills.fills(FillFilter())
    for fill in sorted(fills, key=lambda f: f.block_number):
        t = run.tracked.get(fill.intent_id)
        if t is not None and t.fill_block is None:
            t.fill_block = fill.block_number
    log = venue.storage.auctions
    for auction_id in run.auctions:
        record = await log.auction(auction_id)
        for order in record.intent_ids if record is not None else ():
            t = run.tracked.get(order)
            if t is not None and record is not None and (t.fill_block is None or record.block_number < t.fill_block):
                t.auctions += 1
        for bid in await log.bids(auction_id):
            run.settlements[f"bid {bid.status.value}" + (f":{bid.reason_code}" if bid.reason_code else "")] += 1
            if bid.reason_code and len(run.reasons) < 3:
                run.reasons.append((bid.reason or "")[:200])
        for settlement in await log.settlements(auction_id):
            run.settlements[settlement.outcome.value] += 1
    run.settlements["winners"] = len(run.won)
    for intent_id, t in run.tracked.items():
        stored = await venue.storage.intents.get(intent_id)
        if stored is not None:
            status = stored.record.status
            t.status = "partial" if status is IntentStatus.OPEN and stored.record.filled else status.value


def _pcts(values: Sequence[float], unit: str, fmt: str = ".2f") -> str:
    p = population.percentile
    return " ".join(f"{name} {p(values, q):{fmt}}{unit}" for name, q in (("p50", .5), ("p95", .95), ("p99", .99))) + \
        f" max {max(values):{fmt}}{unit}"  # fmt: skip


def render(config: Config, run: Run, setup: dict[str, Any]) -> str:
    filled = [t for t in run.tracked.values() if t.fill_block is not None]
    lines = [
        f"e2e bench: {setup['posted']} intents POSTed at {config.rate}/s for {config.seconds:.0f}s "
        f"({setup['mix']}), devnet 1 block/s, round every {config.round_interval_s}s, baseline solver, keeper; "
        f"{os.cpu_count()} cores",
        f"accepted {len(run.tracked)}, refused {sum(run.refused.values())} {dict(run.refused)}",
    ]
    market = [t for t in filled if t.label != "tight"]  # limit orders ("tight") wait for a counterparty
    for name, group in (("all filled", filled), ("market orders", market)):
        if not group:
            continue
        blocks = [float(t.fill_block) - t.block for t in group if t.fill_block is not None]
        seconds = [t.filled_at - t.posted_at for t in group if t.filled_at is not None]
        lines.append(f"{name:<13} POST accepted -> filled, blocks:  {_pcts(blocks, '', '.0f')}  (n={len(blocks)})")
        if seconds:
            lines.append(f"{name:<13} POST accepted -> filled, seconds: {_pcts(seconds, ' s')}")
        within = sum(b <= 3 for b in blocks)
        lines.append(f"{name:<13} filled within 3 blocks: {within}/{len(blocks)}")
    tries = Counter(t.auctions for t in filled)
    lines.append(
        "auctions offered in until filled: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(tries.items()))
        + f"; settlements {dict(run.settlements)}"
    )
    lines += [f"  e.g. {r}" for r in run.reasons]
    statuses = Counter(t.status for t in run.tracked.values())
    lines.append("outcome: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    by_label: dict[str, Counter[str]] = {}
    for t in run.tracked.values():
        by_label.setdefault(t.label, Counter())["filled" if t.fill_block is not None else t.status] += 1
    for label, counts in sorted(by_label.items()):
        lines.append(f"  {label:<6} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for name, values in run.stages.items():
        lines.append(f"  round {name:<11} ms: {_pcts([v * 1e3 for v in values], '', '.0f')}")
    if run.orders:
        lines.append(f"rounds {run.rounds}, orders per round p50 {population.percentile(run.orders, .5):.0f} "
                     f"max {max(run.orders)}")  # fmt: skip
    return "\n".join(lines)


async def _bench(net: Devnet, config: Config, workdir: Path) -> str:
    m = net.manifest
    owners = population.make_owners(config.owners, config.seed)
    await population.fund(net.rpc_url, m, owners)
    count = int(config.rate * config.seconds)
    signed = population.mix(m, owners, count, seed=config.seed,
                            valid_to=int(time.time()) + int(config.seconds) + config.validity_s)  # fmt: skip
    setup = {"posted": count, "mix": dict(population.labels(signed))}
    settings = Settings(
        rpc_url=net.rpc_url, database_url=f"sqlite+aiosqlite:///{workdir / 'venue.db'}",
        keeper_key=Secret(m.account("solver").private_key), api_port=free_port(),
        round_interval_s=config.round_interval_s, rate_limit_per_s=max(50.0, 2 * config.rate),
    )  # fmt: skip
    run = Run()
    async with bootstrap.venue(settings, m) as venue, aiohttp.ClientSession() as session:
        assert venue.keeper is not None
        server = uvicorn.Server(uvicorn.Config(venue.app, host=settings.api_host, port=settings.api_port,
                                               log_level="warning"))  # fmt: skip
        stop = asyncio.Event()
        tasks = [asyncio.create_task(server.serve())]
        while not server.started:
            await asyncio.sleep(0.02)
        base = f"http://{settings.api_host}:{settings.api_port}"
        tasks += [
            asyncio.create_task(venue.keeper.run(stop)),
            asyncio.create_task(_rounds(venue, run, stop)),
            asyncio.create_task(bootstrap.baseline_solver(venue, f"ws://{settings.api_host}:{settings.api_port}"
                                                                 "/solvers/v1")),
            asyncio.create_task(_follow_head(AsyncRpc(net.rpc_url, session), run, stop)),
            asyncio.create_task(_watch(venue, run, stop)),
        ]  # fmt: skip
        try:
            while not venue.hub.solvers:
                await asyncio.sleep(0.05)
            await _load(venue, base, signed, config, run)
            deadline = time.monotonic() + config.drain_s
            while time.monotonic() < deadline and any(t.filled_at is None for t in run.tracked.values()):
                await asyncio.sleep(0.25)
            await asyncio.sleep(1.5)  # the last settlements' fill records
            await _finish(venue, run)
        finally:
            stop.set()
            server.should_exit = True
            for task in tasks[1:]:
                task.cancel()
            await asyncio.gather(*tasks[1:], return_exceptions=True)
            await asyncio.wait({tasks[0]}, timeout=5)
    return render(config, run, setup)


def run(config: Config) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp, running_devnet(free_port(), block_time=1.0) as net:
        return asyncio.run(_bench(net, config, Path(tmp)))


def parse_args(argv: Sequence[str] | None) -> Config:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    d = Config()
    p.add_argument("--seconds", type=float, default=d.seconds, help="how long intents are POSTed (default 60)")
    p.add_argument("--rate", type=float, default=d.rate, help="intents per second (default 4)")
    p.add_argument("--owners", type=int, default=d.owners)
    p.add_argument("--drain", type=float, default=d.drain_s, help="seconds to wait for the last settlements")
    p.add_argument("--seed", type=int, default=d.seed)
    a = p.parse_args(argv)
    return Config(a.seconds, a.rate, a.owners, a.drain, a.seed)


def main(argv: Sequence[str] | None = None) -> int:
    print(run(parse_args(argv)), flush=True)
    return 0
