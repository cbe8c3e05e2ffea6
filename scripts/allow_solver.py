"""Allow-list a solver on the devnet's settlement, so that it can log in to the venue's WebSocket.

Usage (from the repository root, with `make run` or `make devnet` running):
  .venv/bin/python scripts/allow_solver.py --new                 # a fresh key, allow-listed; prints it
  .venv/bin/python scripts/allow_solver.py --address 0xYourSolver
  .venv/bin/python scripts/allow_solver.py --address 0x... --revoke
The owner (the devnet's deployer, an unlocked anvil account) sends `setSolver`; the addresses and the RPC
URL come from the devnet manifest (default `.devnet/manifest.json`, which `make run` writes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402

from solver.adapters.chain.admin import is_solver, set_solver  # noqa: E402
from solver.adapters.chain.manifest import Manifest  # noqa: E402
from solver.adapters.chain.rpc import ChainError, connect  # noqa: E402
from solver.domain.errors import DomainError  # noqa: E402
from solver.domain.primitives import address  # noqa: E402

MANIFEST_PATH = ROOT / ".devnet" / "manifest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--address", help="the solver's address (0x...)")
    who.add_argument("--new", action="store_true", help="create a key, allow-list its address and print both")
    p.add_argument("--revoke", action="store_true", help="disallow instead")
    p.add_argument("--manifest", type=Path, default=MANIFEST_PATH, help="the devnet manifest (default %(default)s)")
    p.add_argument("--rpc", help="RPC URL (default: the manifest's)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.manifest.exists():
        print(f"allow_solver: no manifest at {args.manifest}: start the devnet first (make run)", file=sys.stderr)
        return 1
    manifest = Manifest.load(args.manifest)
    w3 = connect(args.rpc or manifest.rpc_url)
    key = Account.create() if args.new else None
    try:
        solver = key.address if key is not None else address(args.address)
        set_solver(w3, manifest, solver, allowed=not args.revoke)
        allowed = is_solver(w3, manifest, solver)
    except (ChainError, DomainError) as exc:
        print(f"allow_solver: {exc}", file=sys.stderr)
        return 1
    state = "allowed" if allowed else "not allowed"
    print(f"solver {solver}: {state} on settlement {manifest.contracts['settlement']}")
    if key is not None:
        print(f"private key (devnet only): {key.key.to_0x_hex()}")
    return 0 if allowed != args.revoke else 1


if __name__ == "__main__":
    sys.exit(main())
