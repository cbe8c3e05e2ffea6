"""Regenerate docs/schemas/*.json from the solver protocol's DTOs (a test checks they are current)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from solver.api.schemas import write  # noqa: E402

if __name__ == "__main__":
    for path in write(ROOT / "docs" / "schemas"):
        print(path.relative_to(ROOT))
