"""The README's main command brings up the devnet, settles the demo batches, prints fills and stops cleanly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from solver.adapters.chain.anvil import free_port, port_is_free

ROOT = Path(__file__).resolve().parents[2]


def test_demo_settles_both_batches_prints_every_fill_and_leaves_no_anvil_behind() -> None:
    port = free_port()
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--exit", "--port", str(port)],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("auction ") == 2
    for label in ("CoW: user0 sells WETH", "Uniswap V2 route", "Uniswap V3 route", "inventory: user4",
                  "V2: user5 partial 2/2"):  # fmt: skip
        assert label in out
    rate = re.search(r"internalization rate (\d+\.\d)%", out)
    assert rate is not None and 0 < float(rate.group(1)) < 100  # both matched and routed volume
    assert port_is_free(port)
