"""The HTTP API fuzzed with schemathesis on the embedded venue (`make fuzz-api`): no 5xx, no undocumented status.

Usage (from the repository root): `.venv/bin/python scripts/fuzz_api.py [--max-examples 50] [--seed N]`.
The logic lives in `solver.bench.fuzz`; `--help` lists every option.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # runnable without the editable install

from solver.bench.fuzz import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
