"""Gas table of the settlement vs GPv2, measured from receipts on a fresh devnet (`make bench`).

Usage (from the repository root): `.venv/bin/python scripts/gas_bench.py [--json build/gas.json]`.
The logic lives in `solver.bench.gas`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # runnable without the editable install

from solver.bench.gas import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
