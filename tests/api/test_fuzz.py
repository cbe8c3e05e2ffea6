"""The HTTP API under schemathesis, as `make fuzz-api` runs it but with a small bound and a fixed seed (a red run
is reproducible): every operation of the served /openapi.json, every check, on the embedded venue over the
session's devnet. Nothing answers 5xx, no answer has a status its operation does not declare, every check passes
(bodies, headers and content types as documented, 4xx bodies `{code, reason}`, schema-valid requests accepted,
schema-invalid ones refused), and the seeded records make the reads answer 200 bodies that are checked too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from solver.adapters.chain.devnet import Devnet
from solver.bench.fuzz import Config, fuzz_venue, render

MAX_EXAMPLES = 10  # per operation and phase: ~1,000 requests over the 11 operations
SEED = 1
SEEDED_READS = ("GET /v1/intents/{intent_id}", "GET /v1/auctions/{auction_id}", "POST /v1/quote", "POST /v1/intents")


def test_every_operation_answers_as_the_document_says(chain: Devnet, tmp_path: Path) -> None:
    report = asyncio.run(fuzz_venue(chain, Config(max_examples=MAX_EXAMPLES, seed=SEED), tmp_path))
    summary, table = report.summary(), render(report)
    assert (summary["server_errors_5xx"], summary["undocumented_statuses"], summary["failures"]) == (0, 0, 0), table
    assert summary["operations"] == 11 and all(op.cases > 0 for op in report.operations.values()), table
    assert all(report.operations[label].statuses[200] > 0 for label in SEEDED_READS), table
    assert report.ok
