"""End to end on the devnet: intents POSTed at a steady rate, accepted-to-settled latency (`make bench-e2e`).

Usage (from the repository root): `.venv/bin/python scripts/bench_e2e.py [--seconds 60] [--rate 4]`.
The logic lives in `solver.bench.e2e`; `--help` lists every option.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # runnable without the editable install

from solver.bench.e2e import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
