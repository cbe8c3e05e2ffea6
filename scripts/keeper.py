"""Run a keeper process: settle the won solutions in the shared job queue, exactly once, until SIGTERM/SIGINT.

Usage (from the repository root): `VENUE_KEEPER_KEY=0x... VENUE_DATABASE_URL=sqlite+aiosqlite:///.venue/venue.db
.venv/bin/python scripts/keeper.py` (also VENUE_RPC_URL, VENUE_MANIFEST_PATH; see solver/keeper/main.py).
Safe to kill at any moment and to run several of, one allow-listed account each.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # runnable without the editable install

from solver.keeper.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
