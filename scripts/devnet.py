"""Start the devnet alone: anvil, the full deployment, `.devnet/manifest.json`; runs until Ctrl-C/SIGTERM.

Usage (from the repository root): `.venv/bin/python scripts/devnet.py [--port 8545] [--block-time S]`.
On exit (Ctrl-C, SIGTERM, or anvil dying) the native anvil process is terminated and reaped.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # runnable without the editable install

from solver.adapters.chain.anvil import DEFAULT_PORT  # noqa: E402
from solver.adapters.chain.devnet import Devnet, running_devnet  # noqa: E402
from solver.adapters.chain.rpc import ChainError  # noqa: E402

MANIFEST_PATH = ROOT / ".devnet" / "manifest.json"
_WATCH_S = 0.5  # seconds between checks that anvil is still alive


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="RPC port on 127.0.0.1 (default 8545)")
    parser.add_argument("--block-time", type=float, default=None, help="interval mining, seconds (default automine)")
    parser.add_argument("--manifest", type=Path, default=MANIFEST_PATH, help="where to write the manifest JSON")
    return parser.parse_args(argv)


def summary(net: Devnet, manifest_path: Path) -> str:
    m = net.manifest
    symbols = {t.address: s for s, t in m.tokens.items()}
    lines = [
        f"devnet up: chain id {m.chain_id}, RPC {net.rpc_url}, start block {m.start_block}, "
        f"deployed in {net.deploy_seconds:.2f} s",
        f"manifest: {manifest_path}",
        "contracts:",
        *(f"  {name:<26} {address}" for name, address in m.contracts.items()),
        "tokens:",
        *(f"  {t.symbol:<26} {t.address}  ({t.decimals} decimals)" for t in m.tokens.values()),
        "pools:",
        *(
            f"  {p.kind:<11} {symbols[p.token0] + '/' + symbols[p.token1]:<10} fee {p.fee:<5} {p.address}"
            for p in m.pools
        ),
        "accounts:",
        *(f"  {a.name:<26} {a.address}" for a in m.accounts.values()),
        "Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM unwinds like Ctrl-C, through the context manager that stops anvil


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: a background job starts with it ignored
        signal.signal(signum, _raise_keyboard_interrupt)
    try:
        with running_devnet(args.port, block_time=args.block_time) as net:
            net.manifest.save(args.manifest)
            print(summary(net, args.manifest), flush=True)
            while net.anvil.running:
                time.sleep(_WATCH_S)
            print("devnet: anvil exited unexpectedly", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("\ndevnet: stopped anvil", flush=True)
        return 0
    except ChainError as exc:
        print(f"devnet: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
