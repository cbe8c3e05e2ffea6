"""The HTTP API fuzzed with schemathesis: every operation of /openapi.json, every check, a bounded run.

The real venue on its embedded defaults (`bootstrap.venue`: a fresh devnet, SQLite storage, the intake API,
quotes, fills and auction records) is served by uvicorn on a free loopback port, seeded with one quote, one
intent citing it and one auction round offering it. Their ids and bodies become the examples of the served
/openapi.json (the document is otherwise as served), so that the 200 answers of every read are checked against
their schemas too, not only the refusals. Schemathesis's engine (what `schemathesis run URL --checks all
--max-examples N` runs: the examples, coverage, fuzzing and stateful phases) then drives the API from a worker
thread. The rate limits are raised for the run (one client sends everything; 429 stays a documented answer of
every limited route). The report: per operation, the cases sent, the statuses seen and the failures, then one
JSON line; the run fails on any check failure, any 5xx and any status the document does not declare for that
operation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import schemathesis
import uvicorn
from schemathesis.engine import events, from_schema
from schemathesis.engine.recorder import ScenarioRecorder

from solver import bootstrap, venue_demo
from solver.adapters.chain.anvil import free_port
from solver.adapters.chain.devnet import Devnet, running_devnet
from solver.settings import Secret, Settings

UNLIMITED = 1_000_000  # requests per second and burst for the run's one client: the limiter never refuses
STARTUP_S = 10.0

# Checks that cannot hold for some operations, and why (every other check runs on every operation).
EXCEPTIONS: list[dict[str, Any]] = [
    {
        # A schema-valid intent or quote is still refused on what no schema can say: a signature over the
        # EIP-712 digest, the deployment's chain, settlement and tokens, deadlines relative to now, and (for a
        # quote) a route through the pools. These refusals are documented 4xx answers, checked as such.
        "include-name": ["POST /v1/intents", "POST /v1/quote"],
        "checks": {"positive_data_acceptance": {"enabled": False}},
    },
]


@dataclass(frozen=True, slots=True)
class Config:
    max_examples: int = 50  # per operation and phase
    seed: int | None = None  # None: a fresh one, printed so that a failing run can be repeated


@dataclass
class Operation:
    """What the run saw of one operation."""

    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)  # "code title" -> a curl reproducing it
    server_errors: int = 0
    undocumented: Counter[int] = field(default_factory=Counter)


@dataclass
class Report:
    seed: int
    operations: dict[str, Operation] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # what the engine could not run

    def summary(self) -> dict[str, Any]:
        ops = self.operations.values()
        return {
            "operations": len(self.operations),
            "cases": sum(o.cases for o in ops),
            "failures": sum(len(o.failures) for o in ops) + len(self.errors),
            "server_errors_5xx": sum(o.server_errors for o in ops),
            "undocumented_statuses": sum(o.undocumented.total() for o in ops),
            "seed": self.seed,
        }

    @property
    def ok(self) -> bool:
        s = self.summary()
        return bool(s["operations"]) and not (s["failures"] or s["server_errors_5xx"] or s["undocumented_statuses"])


def schemathesis_config(config: Config, seed: int, base_url: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "base-url": base_url,
        "seed": seed,
        "checks": {"enabled": True},  # every check, as `--checks all` (max_response_time needs a limit: none)
        "generation": {"max-examples": config.max_examples, "database": "none"},
        "cache": {"enabled": False},
        "operations": EXCEPTIONS,
    })  # fmt: skip


def fuzz(base_url: str, spec: dict[str, Any], config: Config) -> Report:
    """Run schemathesis on `spec` against the API at `base_url` (blocking: call it off the event loop)."""
    seed = config.seed if config.seed is not None else random.randrange(2**63)
    schema = schemathesis.openapi.from_dict(spec, config=schemathesis_config(config, seed, base_url))
    labels = [f"{method.upper()} {path}" for path, operations in spec["paths"].items() for method in operations]
    report = Report(seed, {label: Operation() for label in labels})  # every operation, even one never reached
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(report, event.recorder)
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    return report


def _record(report: Report, recorder: ScenarioRecorder) -> None:
    for case_id, node in recorder.cases.items():
        case, interaction = node.value, recorder.interactions.get(case_id)
        op = report.operations.setdefault(case.operation.label, Operation())
        if interaction is None or interaction.response is None:
            continue
        status = interaction.response.status_code
        op.cases += 1
        op.statuses[status] += 1
        if status >= 500:
            op.server_errors += 1
        probe = interaction.request.method.upper() != case.operation.method.upper()  # an undeclared method
        if not probe and not _declared(case.operation.definition.raw.get("responses", {}), status):
            op.undocumented[status] += 1
    for case_id, checks in recorder.checks.items():
        for check in checks:
            info = check.failure_info
            if info is None:
                continue
            label = recorder.cases[case_id].value.operation.label
            key = f"{info.failure.code} {check.name}: {info.failure.title}"
            report.operations.setdefault(label, Operation()).failures.setdefault(key, info.code_sample)


def _declared(responses: dict[str, Any], status: int) -> bool:
    return any(key in responses for key in (str(status), f"{str(status)[0]}XX", "default"))


def render(report: Report) -> str:
    lines = [f"{'operation':<38} {'cases':>6}  {'statuses seen':<44} failures"]
    for label, op in sorted(report.operations.items()):
        seen = " ".join(f"{status}x{n}" for status, n in sorted(op.statuses.items())) or "-"
        lines.append(f"{label:<38} {op.cases:>6}  {seen:<44} {len(op.failures)}")
    for label, op in sorted(report.operations.items()):
        for what, curl in op.failures.items():
            lines.append(f"FAIL {label}: {what}\n    {curl}")
        for status, n in sorted(op.undocumented.items()):
            lines.append(f"UNDOCUMENTED {label}: {status} x{n}")
    lines += [f"ERROR {error}" for error in report.errors]
    return "\n".join(lines)


async def seeded_spec(venue: bootstrap.Venue, base_url: str) -> dict[str, Any]:
    """The served /openapi.json, its examples the records of one quote, one intent citing it (a demo user's,
    signed as a wallet signs it) and one round offering that intent (no solver bids: it is reopened)."""
    async with aiohttp.ClientSession() as http:
        ask = venue_demo.http_quotes(http, base_url)
        [intent] = await venue_demo.quoted(venue_demo.wave(venue.manifest, int(time.time()), 1)[:1], ask)
        async with http.post(f"{base_url}/v1/intents", json=intent.body) as response:
            accepted = await response.json()
        if response.status != 201:
            raise RuntimeError(f"the seeded intent was refused: {accepted}")
        async with http.get(f"{base_url}/openapi.json") as response:
            spec: dict[str, Any] = await response.json()
    offered = await venue.house.run_round()
    if offered is None:
        raise RuntimeError("the seeded intent was not offered in a round")
    intent_id, auction_id = accepted["id"], offered.auction_id
    values = {"intent_id": intent_id, "intentId": intent_id, "owner": intent.body["owner"],
              "auction_id": auction_id, "auctionId": auction_id}  # fmt: skip
    bodies = {"/v1/intents": intent.body, "/v1/quote": venue_demo.quote_request(intent.body)}
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in values:
                    parameter["example"] = values[parameter["name"]]
            if path in bodies and "requestBody" in operation:
                operation["requestBody"]["content"]["application/json"]["example"] = bodies[path]
    return spec


async def fuzz_venue(net: Devnet, config: Config, workdir: Path) -> Report:
    """The venue on the embedded defaults over `net`, served on a free port, seeded and fuzzed."""
    settings = Settings(
        rpc_url=net.rpc_url, database_url=f"sqlite+aiosqlite:///{workdir / 'venue.db'}",
        keeper_key=Secret(net.manifest.account("solver").private_key), api_port=free_port(), bid_window_s=0.05,
        rate_limit_per_s=UNLIMITED, rate_limit_burst=UNLIMITED,
        read_rate_limit_per_s=UNLIMITED, read_rate_limit_burst=UNLIMITED,
    )  # fmt: skip
    async with bootstrap.venue(settings, net.manifest) as venue:
        server = uvicorn.Server(uvicorn.Config(venue.app, host=settings.api_host, port=settings.api_port,
                                               log_config=None, log_level="error", http="httptools"))  # fmt: skip
        serving = asyncio.create_task(server.serve())
        try:
            async with asyncio.timeout(STARTUP_S):
                while not server.started:
                    if serving.done():
                        serving.result()
                    await asyncio.sleep(0.01)
            base_url = f"http://{settings.api_host}:{settings.api_port}"
            return await asyncio.to_thread(fuzz, base_url, await seeded_spec(venue, base_url), config)
        finally:
            server.should_exit = True
            await asyncio.wait_for(serving, STARTUP_S)


def run(config: Config) -> Report:
    with tempfile.TemporaryDirectory(prefix="fuzz-api-") as tmp, running_devnet(free_port()) as net:
        return asyncio.run(fuzz_venue(net, config, Path(tmp)))


def parse_args(argv: Sequence[str] | None) -> Config:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    d = Config()
    p.add_argument("--max-examples", type=int, default=d.max_examples,
                   help=f"cases per operation and phase at most (default {d.max_examples})")  # fmt: skip
    p.add_argument("--seed", type=int, default=None, help="repeat a run (default: a fresh seed, printed)")
    a = p.parse_args(argv)
    return Config(a.max_examples, a.seed)


def main(argv: Sequence[str] | None = None) -> int:
    report = run(parse_args(argv))
    print(render(report), flush=True)
    print(json.dumps(report.summary()), flush=True)
    return 0 if report.ok else 1
