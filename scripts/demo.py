"""The README's main command: bring up the devnet, settle the demo batches, print the fills.

Usage: `make run` (or `.venv/bin/python scripts/demo.py [--port 8545] [--exit]`). Without `--exit` the
devnet keeps running afterwards (manifest in .devnet/manifest.json) until Ctrl-C, so you can explore it.
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
    sys.path.insert(0, str(ROOT))

from solver import demo  # noqa: E402
from solver.adapters.chain.anvil import DEFAULT_PORT, free_port, port_is_free  # noqa: E402
from solver.adapters.chain.devnet import running_devnet  # noqa: E402

MANIFEST_PATH = ROOT / ".devnet" / "manifest.json"


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="RPC port (default 8545, else a free one)")
    parser.add_argument("--exit", action="store_true", help="stop the devnet after the demo")
    args = parser.parse_args(argv)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    port = args.port if port_is_free(args.port) else free_port()
    try:
        with running_devnet(port) as net:
            net.manifest.save(MANIFEST_PATH)
            m = net.manifest
            print(f"devnet: chain {m.chain_id} at {net.rpc_url}, deployed in {net.deploy_seconds:.2f} s; "
                  f"settlement {m.contracts['settlement']}; manifest {MANIFEST_PATH}", flush=True)  # fmt: skip
            settled = demo.run(net.w3, net.manifest)
            for scenario, receipt in settled:
                print(demo.describe_settlement(scenario, receipt, net.manifest), flush=True)
            print(demo.summarize(settled, net.manifest), flush=True)
            if args.exit:
                return 0
            print(f"devnet stays up at {net.rpc_url}; Ctrl-C to stop.", flush=True)
            while net.anvil.running:
                time.sleep(0.5)
            return 1
    except KeyboardInterrupt:
        print("\ndemo: stopped anvil", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
