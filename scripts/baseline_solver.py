"""Run the bundled baseline solver against a venue: log in over its WebSocket, solve and bid every auction.

Usage: `VENUE_SOLVER_KEY=0x... .venv/bin/python scripts/baseline_solver.py [--url ws://127.0.0.1:8080/solvers/v1]`
The Settlement address and the chain id come from the devnet manifest (`--manifest`, default
.devnet/manifest.json) unless the settlement is given with --settlement. The key is read from the
environment only, and never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from solver.adapters.chain.manifest import Manifest  # noqa: E402
from solver.solvers.baseline_client import ClientConfig, LoginRefused, run_forever  # noqa: E402

KEY_ENV = "VENUE_SOLVER_KEY"


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM (docker stop) ends the client like Ctrl-C


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8080/solvers/v1", help="the venue's solver endpoint")
    parser.add_argument("--manifest", type=Path, default=ROOT / ".devnet" / "manifest.json")
    parser.add_argument("--settlement", help="Settlement contract (default: from the manifest)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(message)s")
    key = os.environ.get(KEY_ENV, "")
    if not key:
        print(f"set {KEY_ENV} to the solver's private key", file=sys.stderr)
        return 2
    settlement, chain_id = args.settlement, None
    if settlement is None:
        try:
            manifest = Manifest.load(args.manifest)
            settlement = manifest.contracts["settlement"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"cannot read the manifest {args.manifest} ({type(exc).__name__}); pass --settlement",
                  file=sys.stderr)  # fmt: skip
            return 2
        chain_id = manifest.chain_id
    signal.signal(signal.SIGTERM, _stop)
    config = ClientConfig(url=args.url, settlement=settlement, chain_id=chain_id)
    try:
        asyncio.run(run_forever(config, key))
    except KeyboardInterrupt:
        return 0
    except LoginRefused as exc:
        print(f"the venue refused this solver: {exc.code} ({exc.reason})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
