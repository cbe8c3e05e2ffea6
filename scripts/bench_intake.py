"""Intake throughput: signed intents against the production API stack, one uvicorn worker (`make bench-intake`).

Usage (from the repository root): `.venv/bin/python scripts/bench_intake.py [--seconds 60] [--rate 1200]`.
The logic lives in `solver.bench.intake`; `--help` lists every option.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # runnable without the editable install

from solver.bench.intake import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
