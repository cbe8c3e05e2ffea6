"""One auction round at scale: 1,000 intents, 10 solvers over WebSocket, stage timings (`make bench-round`).

Usage (from the repository root): `.venv/bin/python scripts/bench_round.py [--rounds 8] [--intents 1000]`.
The logic lives in `solver.bench.round`; `--help` lists every option.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # runnable without the editable install

from solver.bench.round import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
