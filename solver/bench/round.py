"""One auction round at scale: 1,000 open intents, 10 solvers over the real WebSocket, real rounds.

The devnet (anvil, one block a second as in production) gets `--owners` funded owners and `--solvers`
solver keys allow-listed on the settlement by its owner; the intents of the mix (`population.mix`: six
token pairs both ways, sells and buys, tight and loose limits, partially fillable ones) go through the
venue's own intake service (every check) into SQLite (`open_storage`). The venue is the composition
root's (`bootstrap.venue`): its API and solvers' WebSocket served by uvicorn in this process, its
`AuctionHouse.run_round()` driven here once per block. The solvers run in a second process
(`solver.bench.fleet`): one connection and key each, one shared baseline solve, distinct bids (valid,
worse, late, invalid). Between rounds the winner's intents go back to OPEN (no keeper runs), so every
round auctions the same 1,000 intents on a new block.

Per round: the house's own stages (`RoundReport.stage_seconds`) and the total against the round's
deadline (the round interval); around them, measured here: the auction's wire size and JSON encoding
cost (each connection's writer encodes it again), delivery to the solvers (broadcast to receipt), the
shared solve, bid arrivals before the deadline, and the bids' fate from the auction log (scored, won,
discarded with their reason codes). Percentiles over the rounds: p50, p95, max.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn

from solver import bootstrap
from solver.adapters.chain.anvil import free_port
from solver.adapters.chain.devnet import Devnet, running_devnet
from solver.adapters.chain.owner_state import OwnerStateReader
from solver.adapters.chain.rpc import connect
from solver.api.protocol import AuctionDto
from solver.bench import population
from solver.bench.fleet import VARIANTS
from solver.domain.batch import SigningScheme
from solver.domain.intake import Rejected, StateQuery
from solver.domain.lifecycle import IntentStatus
from solver.settings import Secret, Settings


@dataclass(frozen=True, slots=True)
class Config:
    intents: int = 1_000
    solvers: int = 10
    rounds: int = 8
    owners: int = 250
    seed: int = 1
    bid_window_s: float = Settings().bid_window_s  # the production default
    round_interval_s: float = 1.0  # the round's deadline: one round per block
    block_time: float = 1.0
    profile: str | None = None  # py-spy output (.svg or .txt) of this process during the rounds


@dataclass
class RoundSample:
    auction_id: int
    orders: int
    stages: dict[str, float]  # seconds: the house's stages, plus "conclude" if it does not report one
    total: float  # seconds, run_round start to return
    wire_bytes: int = 0
    encode_s: float = 0.0  # one json.dumps of the auction message (each connection's writer does one)
    wire_s: float = 0.0  # AuctionDto.from_domain + model_dump (the house's `wire`)
    delivery: list[float] = field(default_factory=list)  # seconds, broadcast to each solver's receipt
    received: int = 0  # bids the house accepted before the deadline
    arrivals: list[float] = field(default_factory=list)  # seconds after broadcast
    refused: int = 0  # bids refused (late, ...)
    outcomes: Counter[str] = field(default_factory=Counter)  # won / lost / discarded:<code>
    fates: list[tuple[str, str, str]] = field(default_factory=list)  # (solver, outcome, reason) per bid
    parts: dict[str, float] = field(default_factory=dict)  # parts of the build stage, timed apart
    winner: str | None = None
    broadcast_at: float = 0.0  # unix seconds
    baseline_fills: int = 0  # orders the shared baseline solve filled
    score_usd: float = 0.0


class _Instruments:
    """Timestamps around the venue's public seams: hub.broadcast and house.receive_bid."""

    def __init__(self, venue: bootstrap.Venue) -> None:
        self.broadcast_at = 0.0
        self.message: dict[str, Any] | None = None
        self.arrivals: list[float] = []
        self.refused = 0
        hub, house = venue.hub, venue.house
        broadcast, receive = hub.broadcast, house.receive_bid

        def timed_broadcast(message: dict[str, Any]) -> int:
            if message.get("type") == "auction":
                self.broadcast_at, self.message, self.arrivals, self.refused = time.time(), message, [], 0
            return broadcast(message)

        def timed_receive(solution: Any) -> Any:  # the house's receive_bid, sync or async
            try:
                result = receive(solution)
            except Exception:
                self.refused += 1
                raise
            if not inspect.isawaitable(result):
                self.arrivals.append(time.time() - self.broadcast_at)
                return result
            return self._awaited(result)

        hub.broadcast = timed_broadcast  # type: ignore[method-assign]
        house.receive_bid = timed_receive  # type: ignore[method-assign]

    async def _awaited(self, result: Awaitable[str]) -> str:
        try:
            bid_id = await result
        except Exception:
            self.refused += 1
            raise
        self.arrivals.append(time.time() - self.broadcast_at)
        return bid_id


class _Fleet:
    """The solver fleet process and its JSON event lines."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.events: list[dict[str, Any]] = []
        self.ready = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self.events.append(event)
            if event.get("event") == "ready":
                self.ready.set()

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()
        self._reader.cancel()


async def _start_fleet(venue: bootstrap.Venue, url: str, keys: Sequence[bytes], workdir: Path) -> _Fleet:
    m = venue.manifest
    args = [
        sys.executable, "-m", "solver.bench.fleet", "--url", url, "--keys", ",".join(k.hex() for k in keys),
        "--settlement", m.contracts["settlement"], "--chain-id", str(m.chain_id),
    ]  # fmt: skip
    stderr = (workdir / "fleet.stderr").open("wb")
    root = str(Path(bootstrap.__file__).resolve().parents[1])  # this checkout's solver package, not another
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=stderr,
                                                   limit=1 << 24, cwd=root, env=env)  # fmt: skip
    fleet = _Fleet(process)
    try:
        await asyncio.wait_for(fleet.ready.wait(), 60)
    except TimeoutError as exc:
        await fleet.stop()
        raise RuntimeError(f"the solver fleet did not log in; see {workdir / 'fleet.stderr'}") from exc
    return fleet


async def _submit_all(venue: bootstrap.Venue, signed: Sequence[population.Signed]) -> Counter[str]:
    m = venue.manifest
    outcomes: Counter[str] = Counter()

    async def one(s: population.Signed) -> None:
        try:
            await venue.intake.submit(s.intent, s.signature, SigningScheme.EIP712, m.chain_id,
                                      m.contracts["settlement"])  # fmt: skip
            outcomes["accepted"] += 1
        except Rejected as exc:
            outcomes[exc.code.value] += 1

    for start in range(0, len(signed), 100):
        await asyncio.gather(*(one(s) for s in signed[start : start + 100]))
    return outcomes


async def _reopen(venue: bootstrap.Venue) -> int:
    """The previous winner's intents back to OPEN (no keeper settles them here)."""
    shared = getattr(venue, "shared", None)  # the intents the house reads (a pooled store), when there is one
    store = shared.intents if shared is not None else venue.storage.intents
    won = await store.by_status(IntentStatus.WON)
    for stored in won:
        await store.set_status(stored.record.intent_id, IntentStatus.OPEN, stored.version)
    return len(won)


async def _build_parts(venue: bootstrap.Venue, signed: Sequence[population.Signed]) -> dict[str, float]:
    """What the house's build stage does, timed one by one with fresh (uncached) adapters at the head
    block: the owner-state read of every intent, the pool snapshot, and the auction record's write."""
    m, settings = venue.manifest, venue.settings
    parts: dict[str, float] = {}
    async with aiohttp.ClientSession() as session:
        reader = OwnerStateReader(settings.rpc_url, m.contracts["settlement"], m.contracts["spender"], session)
        block = await reader.block_number()
        queries = [StateQuery(s.intent.owner, s.intent.sell_token, s.intent.nonce) for s in signed]
        t = time.perf_counter()
        await reader.read(block, queries)
        parts["owner states"] = time.perf_counter() - t
    t = time.perf_counter()
    await bootstrap.PoolSnapshots(connect(settings.rpc_url), m).snapshot(block)
    parts["pool snapshot"] = time.perf_counter() - t
    return parts


async def _one_round(
    venue: bootstrap.Venue, probe: _Instruments, signed: Sequence[population.Signed]
) -> RoundSample | None:
    started = time.perf_counter()
    report = await venue.house.run_round()
    total = time.perf_counter() - started
    if report is None:
        return None
    stages = dict(report.stage_seconds)
    if "conclude" not in stages:  # the house does not time it (yet): what is left of the total
        stages["conclude"] = max(0.0, total - sum(stages.values()))
    sample = RoundSample(report.auction_id, report.orders, stages, total, received=len(probe.arrivals),
                         arrivals=list(probe.arrivals), refused=probe.refused, winner=report.winner,
                         broadcast_at=probe.broadcast_at)  # fmt: skip
    if probe.message is not None:
        t = time.perf_counter()
        text = json.dumps(probe.message)
        sample.encode_s, sample.wire_bytes = time.perf_counter() - t, len(text)
        auction = AuctionDto.model_validate(probe.message["auction"]).to_domain()
        t = time.perf_counter()
        bootstrap.auction_wire(auction)
        sample.wire_s = time.perf_counter() - t
    sample.parts = await _build_parts(venue, signed)
    for bid in await venue.storage.auctions.bids(report.auction_id):
        status = bid.status.value
        sample.outcomes[f"{status}:{bid.reason_code}" if bid.reason_code else status] += 1
        sample.fates.append((bid.solver, f"{status}:{bid.reason_code}" if bid.reason_code else status,
                             (bid.reason or "")[:120]))  # fmt: skip
    sample.score_usd = (report.score or 0) / 10**36
    return sample


async def _rounds(
    venue: bootstrap.Venue, fleet: _Fleet, config: Config, signed: Sequence[population.Signed]
) -> list[RoundSample]:
    probe = _Instruments(venue)
    samples: list[RoundSample] = []
    for _ in range(config.rounds):
        await _reopen(venue)
        started = time.monotonic()
        sample = await _one_round(venue, probe, signed)
        if sample is not None:
            samples.append(sample)
        await asyncio.sleep(max(0.0, config.round_interval_s - (time.monotonic() - started)))
    await asyncio.sleep(0.5)  # the last replies reach the fleet
    _attach_fleet_events(samples, fleet.events)
    return samples


def _attach_fleet_events(samples: list[RoundSample], events: list[dict[str, Any]]) -> None:
    """Delivery times (broadcast to receipt) and the winners' fill counts, from the fleet's lines."""
    by_seq: dict[int, list[float]] = {}
    for e in events:
        if e.get("event") == "auction":
            by_seq.setdefault(int(e["seq"]), []).append(float(e["at"]))
    solves = {int(e["auction_id"]): e for e in events if e.get("event") == "solve"}
    for sample, seq in zip(samples, sorted(by_seq), strict=False):  # the fleet's k-th auction is round k
        sample.delivery = [t - sample.broadcast_at for t in by_seq[seq]]
        sample.baseline_fills = int(solves.get(sample.auction_id, {}).get("fulfilled", 0))


def _pcts(values: Sequence[float], scale: float = 1e3) -> str:
    p = population.percentile
    return f"p50 {p(values, 0.5) * scale:7.1f}  p95 {p(values, 0.95) * scale:7.1f}  max {max(values) * scale:7.1f}"


def render(config: Config, samples: list[RoundSample], fleet: list[dict[str, Any]], setup: dict[str, Any]) -> str:
    if not samples:
        return "no round ran (no open intents?)"
    lines = [
        f"round bench: {setup['intents']} intents ({setup['mix']}) from {config.owners} owners, "
        f"{config.solvers} solvers over WebSocket, {len(samples)} rounds, bid window {config.bid_window_s}s, "
        f"round deadline {config.round_interval_s}s, {os.cpu_count()} cores",
        f"setup: devnet deploy {setup['deploy_s']:.1f}s, funding {setup['fund_s']:.1f}s, signing "
        f"{setup['sign_s']:.1f}s, intake {setup['intake_s']:.1f}s ({setup['intake']})",
        "stage (ms)                          " + "   ".join(["p50", "   p95", "   max"]),
    ]
    stages = list(dict.fromkeys(k for s in samples for k in s.stages))
    for name in stages:
        lines.append(f"  {name:<32}{_pcts([s.stages.get(name, 0.0) for s in samples])}")
    lines.append(f"  {'total (run_round)':<32}{_pcts([s.total for s in samples])}")
    lines.append(
        f"  {'  of which outside bidding':<32}{_pcts([s.total - s.stages.get('bidding', 0) for s in samples])}"
    )
    parses = [e["parse_s"] for e in fleet if e.get("event") == "parse"]
    if parses:
        lines.append(f"  {'solver: parse auction':<32}{_pcts(parses)}")
    solves = [e["solve_s"] for e in fleet if e.get("event") == "solve"]
    if solves:
        lines.append(f"  {'solver: baseline solve':<32}{_pcts(solves)}")
    delivery = [d for s in samples for d in s.delivery]
    if delivery:
        first = [min(s.delivery) for s in samples if s.delivery]
        lines.append(f"  {'broadcast -> first receipt':<32}{_pcts(first)}")
        lines.append(f"  {'broadcast -> every receipt':<32}{_pcts(delivery)}")
    arrivals = [a for s in samples for a in s.arrivals]
    if arrivals:
        lines.append(f"  {'bid arrival after broadcast':<32}{_pcts(arrivals)}")
    for part in dict.fromkeys(k for s in samples for k in s.parts):
        lines.append(f"  {'build part: ' + part:<32}{_pcts([s.parts[part] for s in samples if part in s.parts])}")
    lines.append(f"  {'wire: domain -> JSON dict':<32}{_pcts([s.wire_s for s in samples])}")
    lines.append(f"  {'wire: json.dumps per connection':<32}{_pcts([s.encode_s for s in samples])}"
                 f"  ({samples[0].wire_bytes / 1e6:.2f} MB, x{config.solvers} connections)")  # fmt: skip
    within = sum(s.total <= config.round_interval_s for s in samples)
    lines.append(f"rounds within the {config.round_interval_s}s deadline: {within}/{len(samples)}")
    outcomes: Counter[str] = Counter()
    for s in samples:
        outcomes.update(s.outcomes)
    per = len(samples)
    lines.append(
        f"bids per round: received {sum(s.received for s in samples) / per:.1f}, refused at the door "
        f"{sum(s.refused for s in samples) / per:.1f}; fates over all rounds: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    )
    names: dict[str, str] = setup.get("names", {})
    per_solver: dict[str, Counter[str]] = {}
    reasons: dict[str, str] = {}
    for s in samples:
        for solver, outcome, reason in s.fates:
            name = names.get(solver.lower(), solver)
            per_solver.setdefault(name, Counter())[outcome] += 1
            if reason:
                reasons.setdefault(f"{name} {outcome}", reason)
    for name, fates in sorted(per_solver.items()):
        lines.append(f"  {name:<14} " + ", ".join(f"{k} {v}" for k, v in sorted(fates.items())))
    for key, reason in sorted(reasons.items()):
        lines.append(f"    e.g. {key}: {reason}")
    fills = [s.baseline_fills / s.orders for s in samples if s.orders]
    winners = Counter(s.winner for s in samples)
    lines.append(
        f"baseline fills {_pcts(fills, 100).replace('  ', ' ')} % of the orders; winners: "
        + ", ".join(f"{w} x{n}" for w, n in winners.items())
        + f"; winning score p50 ${population.percentile([s.score_usd for s in samples], 0.5):,.2f}"
    )
    lines.append(json.dumps(summary(config, samples), separators=(",", ":")))  # one line, comparable run to run
    return "\n".join(lines)


def summary(config: Config, samples: Sequence[RoundSample]) -> dict[str, Any]:
    """The one-line result: per-stage and total p50/p95 in ms, rounds in time, fills and discards."""

    def ms(values: Sequence[float], q: float) -> float:
        return round(population.percentile(list(values), q) * 1e3, 1)

    line: dict[str, Any] = {"rounds": len(samples), "solvers": config.solvers}
    for name in dict.fromkeys(k for s in samples for k in s.stages):
        values = [s.stages.get(name, 0.0) for s in samples]
        line[f"{name}_p50_ms"], line[f"{name}_p95_ms"] = ms(values, 0.5), ms(values, 0.95)
    totals = [s.total for s in samples]
    line["total_p50_ms"], line["total_p95_ms"] = ms(totals, 0.5), ms(totals, 0.95)
    line["rounds_in_time"] = sum(s.total <= config.round_interval_s for s in samples)
    fills = [s.baseline_fills / s.orders for s in samples if s.orders]
    line["baseline_fill_pct_p50"] = round(population.percentile(fills, 0.5) * 100, 1) if fills else 0.0
    line["discarded"] = sum(n for s in samples for k, n in s.outcomes.items() if k.startswith("discarded"))
    return line


async def _bench(net: Devnet, config: Config, workdir: Path) -> str:
    m = net.manifest
    setup: dict[str, Any] = {"deploy_s": net.deploy_seconds}
    t = time.perf_counter()
    owners = population.make_owners(config.owners, config.seed)
    solvers = population.solver_keys(config.solvers, config.seed)
    await population.fund(net.rpc_url, m, owners)
    await population.allow_solvers(net.rpc_url, m, [s.address for s in solvers])
    setup["fund_s"] = time.perf_counter() - t
    setup["names"] = {s.address.lower(): VARIANTS[i % len(VARIANTS)] for i, s in enumerate(solvers)}
    t = time.perf_counter()
    signed = population.mix(m, owners, config.intents, seed=config.seed, valid_to=int(time.time()) + 3_600)
    setup["sign_s"], setup["mix"] = time.perf_counter() - t, dict(population.labels(signed))
    settings = Settings(
        rpc_url=net.rpc_url, database_url=f"sqlite+aiosqlite:///{workdir / 'venue.db'}",
        keeper_key=Secret(m.account("solver").private_key), api_port=free_port(),
        bid_window_s=config.bid_window_s, round_interval_s=config.round_interval_s,
    )  # fmt: skip
    async with bootstrap.venue(settings, m) as venue:
        t = time.perf_counter()
        intake = await _submit_all(venue, signed)
        setup["intake_s"], setup["intake"], setup["intents"] = time.perf_counter() - t, dict(intake), len(signed)
        server = uvicorn.Server(uvicorn.Config(venue.app, host="127.0.0.1", port=settings.api_port,
                                               log_level="warning", ws_max_size=1 << 20))  # fmt: skip
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.02)
        url = f"ws://127.0.0.1:{settings.api_port}/solvers/v1"
        fleet = await _start_fleet(venue, url, [s.key for s in solvers], workdir)
        try:
            samples = await _rounds(venue, fleet, config, signed)
        finally:
            await fleet.stop()
            server.should_exit = True
            await asyncio.wait({serving}, timeout=5)
    return render(config, samples, fleet.events, setup)


def run(config: Config) -> str:
    with (
        tempfile.TemporaryDirectory(prefix="bench-round-") as tmp,
        running_devnet(free_port(), block_time=config.block_time) as net,
    ):
        profiler = _profiler(config.profile)
        try:
            return asyncio.run(_bench(net, config, Path(tmp)))
        finally:
            if profiler is not None:
                profiler.terminate()
                profiler.wait()


def _profiler(output: str | None) -> Any:
    if output is None:
        return None
    import subprocess

    spy = Path(sys.executable).with_name("py-spy")
    fmt = "speedscope" if output.endswith(".json") else ("raw" if output.endswith(".txt") else "flamegraph")
    return subprocess.Popen([str(spy), "record", "-o", output, "-f", fmt, "-r", "200", "--pid", str(os.getpid()),
                             "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def parse_args(argv: Sequence[str] | None) -> Config:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Config()
    p.add_argument("--intents", type=int, default=defaults.intents)
    p.add_argument("--solvers", type=int, default=defaults.solvers)
    p.add_argument("--rounds", type=int, default=defaults.rounds)
    p.add_argument("--owners", type=int, default=defaults.owners)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--bid-window", type=float, default=defaults.bid_window_s,
                   help=f"seconds from the round's start to the bid deadline (default {defaults.bid_window_s})")
    p.add_argument("--round-interval", type=float, default=defaults.round_interval_s, help="the round's deadline")
    p.add_argument("--profile", default=None, help="py-spy output of the venue process (.svg, .txt, .json)")
    a = p.parse_args(argv)
    return Config(a.intents, a.solvers, a.rounds, a.owners, a.seed, a.bid_window, a.round_interval, 1.0, a.profile)


def main(argv: Sequence[str] | None = None) -> int:
    print(run(parse_args(argv)), flush=True)
    return 0
