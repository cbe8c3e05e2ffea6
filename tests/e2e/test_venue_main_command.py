"""The main command runs the whole venue: intents are posted, auctioned, bid on over the WebSocket by the
baseline solver, settled by the keeper on the devnet and recorded as fills; bad intents are refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from eth_account import Account

from solver.adapters.chain.anvil import free_port, port_is_free
from solver.adapters.chain.manifest import Manifest

ROOT = Path(__file__).resolve().parents[2]


def test_the_venue_settles_every_demo_intent_and_refuses_every_bad_one(tmp_path: Path) -> None:
    api, chain = free_port(), free_port()
    manifest_path = tmp_path / "manifest.json"
    env = {**os.environ, "VENUE_MANIFEST_PATH": str(manifest_path), "VENUE_API_PORT": str(api),
           "VENUE_MAX_PRICE_DEVIATION_BPS": "700"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "venue.py"), "--exit", "--timeout", "60", "--api-port", "1",
         "--chain-port", str(chain)],
        capture_output=True, text=True, timeout=150, cwd=ROOT, check=False, env=env,
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    # VENUE_* settings win over the embedded defaults (the port given by the environment, not --api-port).
    assert f"API http://127.0.0.1:{api}/docs" in out
    # The manifest a wallet or a third-party solver starts from: the devnet's chain, contracts, and test
    # wallets whose keys really are theirs.
    manifest = Manifest.load(manifest_path)
    assert str(manifest_path) in out.splitlines()[0]
    assert manifest.rpc_url.endswith(f":{chain}") and manifest.contracts["settlement"]
    for user in manifest.users():
        assert Account.from_key(user.private_key).address == user.address
    posts = [line for line in out.splitlines() if " POST " in line]
    assert len(posts) == 9 and all(line.startswith("ok ") for line in posts), "\n".join(posts)
    assert re.search(r"round \d+: \d+ orders, \d+ bids, winner 0x", out)
    for label in ("CoW: user0 sells 1 WETH", "CoW: user1 buys 1 WETH", "AMM: user2 sells 5,000 DAI"):
        assert re.search(rf"{re.escape(label)}\s+settled", out), label
    fills = re.search(r"fills: (\d+), volume \$([\d,.]+), internalization rate ([\d.]+)%", out)
    assert fills is not None and int(fills.group(1)) >= 4 and 0 < float(fills.group(3)) <= 100
    assert port_is_free(api) and port_is_free(chain)
