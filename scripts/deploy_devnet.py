"""Deploy the devnet contracts onto an anvil that is already running (docker-compose's `chain` service).

Usage: `python scripts/deploy_devnet.py --rpc-url http://chain:8545 --manifest /devnet/manifest.json`.
Waits for the RPC to answer, deploys on a fresh chain (same addresses as `scripts/devnet.py`) and writes the
manifest. If the deployer has already sent transactions (the deploy job re-ran against a chain it already
deployed) and the manifest is there, it leaves both alone and exits 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # runnable without the editable install

from solver.adapters.chain.devnet import deploy, named_accounts  # noqa: E402
from solver.adapters.chain.rpc import ChainError, call, connect  # noqa: E402

_WAIT_S = 60.0  # how long to wait for the chain's first answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rpc-url", default="http://127.0.0.1:8545")
    parser.add_argument("--manifest", type=Path, default=ROOT / ".devnet" / "manifest.json")
    args = parser.parse_args(argv)
    w3 = connect(args.rpc_url)
    deadline = time.monotonic() + _WAIT_S
    while True:
        try:
            call(w3, "eth_chainId")
            break
        except ChainError as exc:
            if time.monotonic() > deadline:
                print(f"deploy: no chain at {args.rpc_url}: {exc}", file=sys.stderr)
                return 1
            time.sleep(0.5)
    deployer = named_accounts()["deployer"].address
    if int(call(w3, "eth_getTransactionCount", deployer, "latest"), 16) != 0:
        if args.manifest.is_file():
            print(f"deploy: already deployed, manifest {args.manifest}", flush=True)
            return 0
        print("deploy: the chain is not fresh and no manifest is there; restart the chain", file=sys.stderr)
        return 1
    try:
        manifest = deploy(w3, rpc_url=args.rpc_url)
    except ChainError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 1
    manifest.save(args.manifest)
    print(f"deploy: settlement {manifest.contracts['settlement']}, manifest {args.manifest}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
