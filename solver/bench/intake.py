"""Intake throughput: signed intents POSTed to the production API stack, served by one uvicorn worker.

Three processes: anvil (the devnet, interval mining so the owner-state cache turns over every block), the
venue API (`python -m solver.bench.intake serve`: the app the composition root builds from `VENUE_*`
settings, SQLite storage through `open_storage`, owner states through `CoalescingOwnerStates` over the
batched `OwnerStateReader`, one uvicorn worker on a free 127.0.0.1 port), and this one, the load generator.

Before the clock starts, `--owners` fresh owners (deterministic keys) are funded on the devnet (ETH by
anvil_setBalance, WETH or USDC minted by the deployer, max approval of the IntentSpender) and rate x seconds
intents are signed, each with a unique (owner, nonce). The load is open-loop: intent i is due at start + i /
rate and is sent as soon as one of `--concurrency` connections is free, so a server that falls behind shows up
as schedule lag (and intents still unsent when the window closes) rather than as a lower offered rate. The
server runs on uvloop with httptools, as a deployment should run it (`--loop asyncio` to compare with
asyncio's own loop), with the per-client rate limit lifted (one client address speaks for every owner here).
Every request is a real intent that goes through every check (EIP-712 signature, balance, allowance and nonce
bit at the head block, durable insert). The report: accepted and rejected (by code) counts, sustained
accepted/s, latency percentiles, schedule lag, CPU use of each process (and of everything else on the machine,
which skews the figures when it is high), and the server's accept-time histogram from /metrics.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import coincurve
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from solver.adapters.chain.anvil import free_port
from solver.adapters.chain.devnet import Devnet, running_devnet
from solver.adapters.chain.jsonrpc import AsyncRpc
from solver.adapters.chain.manifest import Manifest
from solver.domain.intent import Eip712Domain, Intent, IntentKind
from solver.domain.primitives import address
from solver.settings import Settings

MAX_UINT256 = 2**256 - 1
MINT = keccak(text="mint(address,uint256)")[:4]
APPROVE = keccak(text="approve(address,uint256)")[:4]
BALANCE_OF = keccak(text="balanceOf(address)")[:4]
SELL = {"WETH": 10**16, "USDC": 30 * 10**6}  # per intent: 0.01 WETH or 30 USDC
BUY = {"WETH": 30 * 10**6, "USDC": 10**16}  # what each asks for in the other token
FUNDS = {"WETH": 1_000 * 10**18, "USDC": 3_000_000 * 10**6}  # minted to each owner: far more than it sells
TARGET_RATE, TARGET_P99_MS = 1_000.0, 50.0
_READY_TIMEOUT_S = 60.0
_DRAIN_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Config:
    seconds: float = 60.0
    rate: float = 1_000.0  # offered intents per second (the target)
    concurrency: int = 128  # connections, hence requests in flight
    owners: int = 1_000
    nonces: str = "random"  # random: each intent its own nonce bitmap word; sequential: 0, 1, 2... per owner
    block_time: float = 1.0  # seconds; the production devnet mines one block per round
    database: str | None = None  # storage URL; default a fresh SQLite file in a temporary directory
    log_events: bool = False  # the venue's per-intent JSON log lines (INFO), written to a file
    profile: str | None = None  # py-spy output (.svg flame graph or .txt) of the server during the load
    seed: int = 1
    loop: str = "uvloop"  # the server's event loop: uvloop (default) or asyncio


# --------------------------------------------------------------------------------------------- owners
def owner_keys(count: int, seed: int) -> list[bytes]:
    """Deterministic private keys, distinct from anvil's default accounts."""
    return [keccak(text=f"intake-bench/{seed}/owner/{i}") for i in range(count)]


def owner_address(key: bytes) -> str:
    public = coincurve.PrivateKey(key).public_key.format(compressed=False)[1:]
    return address("0x" + keccak(public)[12:].hex())


def sell_symbol(index: int) -> str:
    return "WETH" if index % 2 == 0 else "USDC"


async def fund_owners(rpc_url: str, manifest: Manifest, owners: Sequence[str], chunk: int = 500) -> None:
    """ETH for gas, the owner's sell token minted by the deployer, and max approval of the spender.

    Sent with explicit nonces as JSON-RPC batches while automine is off, then mined block by block."""
    deployer, spender = manifest.account("deployer").address, manifest.contracts["spender"]
    gas = hex(100_000)
    async with aiohttp.ClientSession() as session:
        rpc = AsyncRpc(rpc_url, session)
        first = int(await rpc.call("eth_getTransactionCount", deployer, "latest"), 16)
        await rpc.call("anvil_autoImpersonateAccount", True)
        await rpc.call("evm_setAutomine", False)
        try:
            balances = [("anvil_setBalance", [owner, hex(10**18)]) for owner in owners]
            for start in range(0, len(balances), chunk):
                await rpc.batch(balances[start : start + chunk])
            calls: list[tuple[str, list[Any]]] = []
            for i, owner in enumerate(owners):
                token = manifest.token(sell_symbol(i)).address
                mint = MINT + encode(["address", "uint256"], [owner, FUNDS[sell_symbol(i)]])
                approve = APPROVE + encode(["address", "uint256"], [spender, MAX_UINT256])
                calls += [
                    ("eth_sendTransaction", [{"from": deployer, "to": token, "data": "0x" + mint.hex(), "gas": gas,
                                              "nonce": hex(first + i)}]),
                    ("eth_sendTransaction", [{"from": owner, "to": token, "data": "0x" + approve.hex(), "gas": gas,
                                              "nonce": "0x0"}]),
                ]  # fmt: skip
            for start in range(0, len(calls), chunk):
                await rpc.batch(calls[start : start + chunk])
            for _ in range(10 * len(owners)):
                status = await rpc.call("txpool_status")
                if int(status["pending"], 16) + int(status["queued"], 16) == 0:
                    break
                await rpc.call("evm_mine")
        finally:
            await rpc.call("evm_setAutomine", True)
            await rpc.call("anvil_autoImpersonateAccount", False)
        last = len(owners) - 1
        token = manifest.token(sell_symbol(last)).address
        data = "0x" + (BALANCE_OF + encode(["address"], [owners[last]])).hex()
        held = int(await rpc.call("eth_call", {"to": token, "data": data}, "latest"), 16)
        sent = int(await rpc.call("eth_getTransactionCount", deployer, "latest"), 16) - first
        if held < FUNDS[sell_symbol(last)] or sent != len(owners):
            raise RuntimeError(f"funding failed: {sent} of {len(owners)} mints mined, last owner holds {held}")


# ----------------------------------------------------------------------------------------------- intents
@dataclass(frozen=True, slots=True)
class SignJob:
    chain_id: int
    settlement: str
    tokens: Mapping[str, str]  # symbol -> address
    keys: Sequence[bytes]
    start: int  # index of the first intent of this job
    count: int
    nonces: str
    seed: int
    valid_to: int


def sign_intents(job: SignJob) -> list[bytes]:
    """JSON bodies of intents job.start .. job.start + count - 1; intent i belongs to owner i mod len(keys)."""
    domain = Eip712Domain(job.chain_id, job.settlement)
    n_owners = len(job.keys)
    signers = [coincurve.PrivateKey(k) for k in job.keys]
    owners = [owner_address(k) for k in job.keys]
    rng = random.Random(f"{job.seed}/{job.start}")
    bodies = []
    for i in range(job.start, job.start + job.count):
        o = i % n_owners
        sell, buy = sell_symbol(o), "USDC" if sell_symbol(o) == "WETH" else "WETH"
        # random: a 64-bit nonce whose top bits hold i, so every (owner, nonce) is unique and in its own word.
        nonce = (i << 24 | rng.getrandbits(24)) if job.nonces == "random" else i // n_owners
        intent = Intent(owners[o], job.tokens[sell], job.tokens[buy], SELL[sell], BUY[sell], job.valid_to, nonce,
                        IntentKind.SELL)  # fmt: skip
        raw = signers[o].sign_recoverable(intent.digest(domain), hasher=None)
        signature = raw[:64] + bytes([raw[64] + 27])
        body = {
            "chainId": job.chain_id, "settlement": job.settlement, "owner": intent.owner,
            "sellToken": intent.sell_token, "buyToken": intent.buy_token, "receiver": intent.receiver,
            "sellAmount": str(intent.sell_amount), "buyAmount": str(intent.buy_amount), "validTo": intent.valid_to,
            "nonce": str(intent.nonce), "kind": "sell", "partiallyFillable": False,
            "appData": "0x" + intent.app_data.hex(), "signingScheme": "eip712", "signature": "0x" + signature.hex(),
        }  # fmt: skip
        bodies.append(json.dumps(body, separators=(",", ":")).encode())
    return bodies


def sign_all(
    manifest: Manifest, keys: Sequence[bytes], count: int, nonces: str, seed: int, valid_to: int
) -> list[bytes]:
    """`count` signed bodies, signed on every core."""
    workers = max(1, os.cpu_count() or 1)
    per = -(-count // (workers * 4))
    tokens = {s: manifest.token(s).address for s in ("WETH", "USDC")}
    jobs = [
        SignJob(manifest.chain_id, manifest.contracts["settlement"], tokens, list(keys), start, min(per, count - start),
                nonces, seed, valid_to)
        for start in range(0, count, per)
    ]  # fmt: skip
    with ProcessPoolExecutor(workers) as pool:
        return [body for chunk in pool.map(sign_intents, jobs) for body in chunk]


# ------------------------------------------------------------------------------------------------ server
@asynccontextmanager
async def production_app(settings: Settings, manifest: Manifest) -> AsyncIterator[tuple[FastAPI, str]]:
    """The API app exactly as the composition root builds it (with its intake, storage and chain reader)."""
    from solver.bootstrap import venue

    async with venue(settings, manifest) as v:
        yield v.app, "solver.bootstrap.venue(settings, manifest).app"


async def serve(event_log: Path | None) -> None:
    """The server process: Settings from the environment, one uvicorn worker until SIGTERM."""
    import logging

    import uvicorn

    if event_log is not None:
        handler = logging.FileHandler(event_log)
        logging.getLogger("venue").addHandler(handler)
        logging.getLogger("venue").setLevel(logging.INFO)
    settings = Settings.from_env(os.environ)
    manifest = Manifest.from_json(settings.manifest_path.read_text())
    async with production_app(settings, manifest) as (app, how):
        print(f"serve: {how}, loop {type(asyncio.get_running_loop()).__module__}", flush=True)
        loop = "uvloop" if "uvloop" in type(asyncio.get_running_loop()).__module__ else "asyncio"
        config = uvicorn.Config(app, host=settings.api_host, port=settings.api_port, workers=1, lifespan="off",
                                access_log=False, log_level="warning", loop=loop, http="httptools")  # fmt: skip
        from solver.bootstrap import tune_gc

        tune_gc()  # as scripts/venue.py does
        await uvicorn.Server(config).serve()


def _run_loop(main: Callable[[], Awaitable[Any]], loop: str = "uvloop") -> Any:
    """Run `main` on uvloop (when installed and asked for) or on asyncio's own loop."""
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                return runner.run(main())  # type: ignore[arg-type]
    return asyncio.run(main())  # type: ignore[arg-type]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    banner: str = ""


def start_server(env: Mapping[str, str], workdir: Path, config: Config) -> Server:
    port = int(env["VENUE_API_PORT"])
    args = [sys.executable, "-m", "solver.bench.intake", "serve", "--loop", config.loop]
    if config.log_events:
        args += ["--event-log", str(workdir / "events.jsonl")]
    stderr = (workdir / "server.stderr").open("wb")
    process = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=stderr)
    return Server(process, f"http://127.0.0.1:{port}")


async def wait_ready(server: Server, session: aiohttp.ClientSession) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}")
        try:
            async with session.get(server.url + "/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the server did not become ready")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of process `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (Linux /proc/stat; idle and iowait excluded)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


# -------------------------------------------------------------------------------------------------- load
@dataclass
class LoadResult:
    seconds: float  # from the first scheduled send to the last answer
    offered: int  # intents due within the load window
    latencies: list[float] = field(default_factory=list)  # seconds, send to response, every answered request
    accepted_latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)  # seconds each send started after it was due
    accepted_at: list[float] = field(default_factory=list)  # seconds since start, per accepted response
    codes: Counter[str] = field(default_factory=Counter)  # status/code of every refusal
    accepted: int = 0
    repeats: int = 0  # 200: the same intent again (must not happen: every body is new)
    unsent: int = 0  # due in the window but no connection was free before it ended (server too slow)
    unanswered: int = 0  # sent, but no answer within the drain time after the window


async def offer_load(url: str, bodies: Sequence[bytes], rate: float, concurrency: int, seconds: float) -> LoadResult:
    """POST bodies[i] at start + i / rate during `seconds`, at most `concurrency` in flight.

    Open loop: a send waits for a free connection, never for the previous answer. Intents still waiting
    for a connection when the window closes are not sent (counted as unsent); those in flight get
    `_DRAIN_TIMEOUT_S` to answer."""
    count = min(len(bodies), int(rate * seconds))
    result = LoadResult(0.0, count)
    headers = {"content-type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    free = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        start = time.perf_counter()
        end = start + seconds

        async def send(i: int) -> None:
            async with free:
                sent = time.perf_counter()
                if sent > end:
                    result.unsent += 1
                    return
                result.lags.append(sent - (start + i / rate))
                try:
                    async with session.post(url, data=bodies[i], headers=headers) as response:
                        status, payload = response.status, await response.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    result.codes[f"client error: {type(exc).__name__}"] += 1
                    return
                done = time.perf_counter()
            result.latencies.append(done - sent)
            if status == 201:
                result.accepted += 1
                result.accepted_latencies.append(done - sent)
                result.accepted_at.append(done - start)
            elif status == 200:
                result.repeats += 1
            else:
                try:
                    code = json.loads(payload).get("code", "?")
                except ValueError:
                    code = "not json"
                result.codes[f"{status} {code}"] += 1

        tasks: list[asyncio.Task[None]] = []
        i = 0
        while i < count:
            due = int((time.perf_counter() - start) * rate) + 1  # intents due by now
            while i < min(due, count):
                tasks.append(asyncio.create_task(send(i)))
                i += 1
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        _, pending = await asyncio.wait(tasks, timeout=max(0.0, end - time.perf_counter()) + _DRAIN_TIMEOUT_S)
        for task in pending:
            task.cancel()
        result.unanswered = len(pending)
        await asyncio.gather(*pending, return_exceptions=True)
        result.seconds = time.perf_counter() - start
    return result


# ---------------------------------------------------------------------------------------------- metrics
async def scrape(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url + "/metrics") as response:
        text = await response.text()
    out: dict[str, Any] = {"buckets": [], "rejected": {}}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "venue_intents_accepted_total":
                out["accepted"] = int(sample.value)
            elif sample.name == "venue_intents_rejected_total":
                out["rejected"][sample.labels["code"]] = int(sample.value)
            elif sample.name == "venue_intent_accept_seconds_bucket":
                out["buckets"].append((float(sample.labels["le"]), int(sample.value)))
            elif sample.name == "venue_intent_accept_seconds_sum":
                out["sum"] = sample.value
            elif sample.name == "venue_intent_accept_seconds_count":
                out["count"] = int(sample.value)
    return out


def histogram_lines(metrics: Mapping[str, Any]) -> list[str]:
    lines, previous = [], 0
    total = metrics.get("count", 0) or 1
    for le, cumulative in metrics["buckets"]:
        label = "+Inf" if le == float("inf") else f"{le * 1e3:g} ms"
        lines.append(f"  <= {label:>8}: {cumulative - previous:>8,}  (cumulative {cumulative / total:7.2%})")
        previous = cumulative
    if metrics.get("count"):
        lines.append(f"  mean accept time {metrics['sum'] / metrics['count'] * 1e3:.2f} ms over {metrics['count']:,}")
    return lines


# ---------------------------------------------------------------------------------------------- report
def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, int(q * len(sorted_values) + 0.5) - 1))]


def per_window(times: Sequence[float], seconds: float, window: float = 5.0) -> list[float]:
    ordered = sorted(times)
    edges = [window * k for k in range(int(seconds // window) + 1)]
    counts = [bisect.bisect_left(ordered, b) - bisect.bisect_left(ordered, a) for a, b in itertools.pairwise(edges)]
    return [c / window for c in counts]


def render(config: Config, result: LoadResult, metrics: Mapping[str, Any], cpu: Mapping[str, float],
           setup: Mapping[str, Any]) -> str:  # fmt: skip
    lat = sorted(result.latencies)
    acc = sorted(result.accepted_latencies)
    lag = sorted(result.lags)
    window = config.seconds
    sustained = sum(1 for t in result.accepted_at if t <= window) / window
    ms = 1e3
    lines = [
        f"intake benchmark: {setup['how']}",
        f"  stack: one uvicorn worker ({setup['loop']}), storage {setup['database']}, anvil block time "
        f"{config.block_time:g} s, {config.owners:,} owners, {config.nonces} nonces, {os.cpu_count()} CPUs shared by "
        "anvil, server and load generator",
        f"  offered: {result.offered:,} signed intents at {config.rate:,.0f}/s for {config.seconds:g} s, "
        f"concurrency {config.concurrency}; last answer after {result.seconds:.1f} s",
        f"accepted: {result.accepted:,} (201)" + (f", repeats (200): {result.repeats}" if result.repeats else ""),
        f"not sent: {result.unsent:,} (no free connection before the window closed), unanswered: {result.unanswered:,}"
        if result.unsent or result.unanswered
        else "",
        "rejected: " + (", ".join(f"{k}: {v:,}" for k, v in sorted(result.codes.items())) or "none"),
        f"sustained: {sustained:,.0f} accepted/s over the {window:g} s load window "
        f"({result.accepted / result.seconds:,.0f}/s until the last answer)",
        "  accepted/s per 5 s: " + " ".join(f"{r:,.0f}" for r in per_window(result.accepted_at, window)),
        f"latency (send to response, all {len(lat):,}): p50 {percentile(lat, 0.5) * ms:.1f} ms, "
        f"p95 {percentile(lat, 0.95) * ms:.1f} ms, p99 {percentile(lat, 0.99) * ms:.1f} ms, max {lat[-1] * ms:.1f} ms"
        if lat
        else "latency: no answers",
        f"latency (accepted only): p50 {percentile(acc, 0.5) * ms:.1f} ms, p95 {percentile(acc, 0.95) * ms:.1f} ms, "
        f"p99 {percentile(acc, 0.99) * ms:.1f} ms, max {acc[-1] * ms:.1f} ms"
        if acc
        else "latency (accepted): none",
        f"schedule lag (send started after due): p50 {percentile(lag, 0.5) * ms:.1f} ms, "
        f"p99 {percentile(lag, 0.99) * ms:.1f} ms, max {lag[-1] * ms:.1f} ms"
        if lag
        else "",
        "cpu during the load: "
        + ", ".join(f"{name} {s:.1f} s ({s / result.seconds:.0%} of a core)" for name, s in cpu.items()),
        f"server /metrics: venue_intents_accepted_total {metrics.get('accepted', 0):,}, rejected "
        + (json.dumps(metrics["rejected"]) if metrics["rejected"] else "none"),
        "server accept-time histogram (venue_intent_accept_seconds, request to durable accept):",
        *histogram_lines(metrics),
    ]
    p99 = percentile(acc, 0.99) * ms if acc else float("inf")
    met = sustained >= TARGET_RATE and p99 <= TARGET_P99_MS
    lines.append(
        f"target (>= {TARGET_RATE:,.0f} accepted/s sustained, p99 <= {TARGET_P99_MS:g} ms): "
        + ("met" if met else f"NOT met ({sustained:,.0f}/s, p99 {p99:.1f} ms)")
    )
    return "\n".join(line for line in lines if line)


# ------------------------------------------------------------------------------------------------- run
async def _prepare(net: Devnet, config: Config) -> list[str]:
    keys = owner_keys(config.owners, config.seed)
    owners = [owner_address(k) for k in keys]
    await fund_owners(net.rpc_url, net.manifest, owners)
    return owners


async def _measure(config: Config, server: Server, bodies: Sequence[bytes], pids: Mapping[str, int]) -> str:
    async with aiohttp.ClientSession() as session:
        await wait_ready(server, session)
        banner = (await asyncio.to_thread(server.process.stdout.readline)).decode().strip()  # type: ignore[union-attr]
        profiler = _start_profiler(config, server)
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        own_before, busy_before = sum(os.times()[:2]), machine_busy_seconds()
        result = await offer_load(server.url + "/v1/intents", bodies, config.rate, config.concurrency, config.seconds)
        cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        cpu["load generator"] = sum(os.times()[:2]) - own_before
        cpu["everything else on the machine"] = max(0.0, machine_busy_seconds() - busy_before - sum(cpu.values()))
        if profiler is not None:
            profiler.wait(timeout=60)
        metrics = await scrape(session, server.url)
    how, _, loop = banner.removeprefix("serve: ").rpartition(", loop ")
    setup = {"how": how or banner, "loop": loop or "?", "database": config.database or "SQLite (temporary file)"}
    return render(config, result, metrics, cpu, setup)


def _start_profiler(config: Config, server: Server) -> subprocess.Popen[bytes] | None:
    if config.profile is None:
        return None
    fmt = (
        "speedscope"
        if config.profile.endswith(".json")
        else ("raw" if config.profile.endswith(".txt") else "flamegraph")
    )
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        print(f"bench: --profile needs py-spy next to {sys.executable} (pip install py-spy)", file=sys.stderr)
        return None
    command = [str(py_spy), "record", "--pid", str(server.process.pid), "--duration", str(int(config.seconds)),
               "--rate", "250", "--gil", "--format", fmt, "--output", config.profile, "--nonblocking"]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run(config: Config) -> str:
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp, running_devnet() as net:
        workdir = Path(tmp)
        owners = _run_loop(lambda: _prepare(net, config))
        valid_to = int(time.time()) + 3 * 3600
        count = int(config.rate * config.seconds)
        started = time.perf_counter()
        bodies = sign_all(net.manifest, owner_keys(config.owners, config.seed), count, config.nonces, config.seed,
                          valid_to)  # fmt: skip
        print(f"bench: funded {len(owners):,} owners, signed {count:,} intents in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)  # fmt: skip
        if config.block_time:
            net.w3.provider.make_request("evm_setIntervalMining", [config.block_time])  # type: ignore[arg-type]
        manifest_path = workdir / "manifest.json"
        net.manifest.save(manifest_path)
        port = free_port()
        env = {
            "VENUE_RPC_URL": net.rpc_url,
            "VENUE_MANIFEST_PATH": str(manifest_path),
            "VENUE_DATABASE_URL": config.database or f"sqlite+aiosqlite:///{workdir / 'venue.db'}",
            "VENUE_API_HOST": "127.0.0.1",
            "VENUE_API_PORT": str(port),
            # Per-client rate limits are for real clients; here one address speaks for all the owners.
            "VENUE_RATE_LIMIT_PER_S": "1000000",
            "VENUE_RATE_LIMIT_BURST": "1000000",
            # The composition root needs a keeper key: anvil's public account 1, the devnet's solver.
            "VENUE_KEEPER_KEY": net.manifest.account("solver").private_key,
        }
        server = start_server(env, workdir, config)
        try:
            assert net.anvil.pid is not None
            pids = {"server": server.process.pid, "anvil": net.anvil.pid}
            return _run_loop(lambda: _measure(config, server, bodies, pids))  # type: ignore[no-any-return]
        finally:
            stop_server(server)
            errors = (workdir / "server.stderr").read_text().strip()
            if errors:
                print("server stderr (last lines):\n" + "\n".join(errors.splitlines()[-20:]), file=sys.stderr)


def parse_args(argv: Sequence[str] | None) -> tuple[str, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    server = sub.add_parser("serve", help="(internal) the server process")
    server.add_argument("--event-log", type=Path, default=None)
    server.add_argument("--loop", choices=("asyncio", "uvloop"), default="uvloop")
    d = Config()
    parser.add_argument("--seconds", type=float, default=d.seconds, help=f"load duration (default {d.seconds:g})")
    parser.add_argument("--rate", type=float, default=d.rate, help=f"offered intents/s (default {d.rate:g})")
    parser.add_argument("--concurrency", type=int, default=d.concurrency, help="requests in flight at most")
    parser.add_argument("--owners", type=int, default=d.owners, help="funded owners the intents cycle through")
    parser.add_argument("--nonces", choices=("random", "sequential"), default=d.nonces)
    parser.add_argument("--block-time", type=float, default=d.block_time, help="anvil interval mining, s (0: none)")
    parser.add_argument("--database", default=None, help="storage URL (default: a temporary SQLite file)")
    parser.add_argument("--log-events", action="store_true", help="the venue's per-intent INFO log lines, to a file")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default=d.loop,
                        help="the server's event loop (default uvloop)")  # fmt: skip
    parser.add_argument("--profile", default=None, help="py-spy the server into this file (.svg, .txt or .json)")
    args = parser.parse_args(argv)
    return args.command or "run", args


def main(argv: Sequence[str] | None = None) -> int:
    command, args = parse_args(argv)
    if command == "serve":
        _run_loop(lambda: serve(args.event_log), args.loop)
        return 0
    config = Config(seconds=args.seconds, rate=args.rate, concurrency=args.concurrency, owners=args.owners,
                    nonces=args.nonces, block_time=args.block_time, database=args.database,
                    log_events=args.log_events, profile=args.profile, loop=args.loop)  # fmt: skip
    print(run(config), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
