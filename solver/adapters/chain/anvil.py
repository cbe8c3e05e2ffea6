"""The native anvil process: start on a port, wait for RPC, stop cleanly (SIGTERM, then SIGKILL).

Runs the platform binary from node_modules directly (`@foundry-rs/anvil-linux-amd64/bin/anvil`), never
the `node_modules/.bin/anvil` node wrapper, whose termination leaves the real anvil running. The
hardfork is pinned (Osaka: Cancun+, so TSTORE/TLOAD work) instead of anvil's moving "latest".
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from solver.adapters.chain.artifacts import SETUP_HINT, project_root
from solver.adapters.chain.rpc import ChainError

ANVIL_BINARY = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")  # relative to project root
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"  # anvil's public default
CHAIN_ID = 31337
HOST = "127.0.0.1"
DEFAULT_PORT = 8545
DEFAULT_ACCOUNTS = 10
DEFAULT_HARDFORK = "osaka"  # Cancun+ (EIP-1153 transient storage); mainnet's execution rules today
STARTUP_TIMEOUT_S = 10.0  # seconds to wait for the first RPC answer
STOP_TIMEOUT_S = 5.0  # seconds between SIGTERM and SIGKILL
_POLL_S = 0.02  # seconds between readiness probes
_PR_SET_PDEATHSIG = 1  # prctl option: signal this process when its parent dies


class AnvilError(ChainError):
    """anvil could not be started (binary missing, port taken, crashed at startup)."""


def free_port(host: str = HOST) -> int:
    """A TCP port on `host` that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = HOST) -> bool:
    """True when a server could bind `host:port` (SO_REUSEADDR, as anvil itself binds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class AnvilProcess:
    """A native anvil on `127.0.0.1:port` (chain id 31337, default mnemonic); a context manager.

    `block_time` is the interval-mining period in seconds; None means automine (one block per
    transaction, mined before the RPC call returns).
    """

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        *,
        block_time: float | None = None,
        accounts: int = DEFAULT_ACCOUNTS,
        hardfork: str = DEFAULT_HARDFORK,
        binary: Path | None = None,
    ) -> None:
        if accounts < DEFAULT_ACCOUNTS:
            raise ValueError(f"need at least {DEFAULT_ACCOUNTS} accounts, got {accounts}")
        self.port = port
        self.block_time = block_time
        self.accounts = accounts
        self.hardfork = hardfork
        self.binary = binary or project_root() / ANVIL_BINARY
        self.pid: int | None = None  # kept after stop() so callers can check the process is gone
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def rpc_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def command(self) -> list[str]:
        cmd = [
            str(self.binary), "--host", HOST, "--port", str(self.port), "--chain-id", str(CHAIN_ID),
            "--mnemonic", ANVIL_MNEMONIC, "--accounts", str(self.accounts), "--hardfork", self.hardfork,
            "--silent",
        ]  # fmt: skip
        if self.block_time is not None:
            cmd += ["--block-time", f"{self.block_time:g}"]
        return cmd

    def start(self) -> Self:
        """Launch anvil and return once it answers `eth_chainId` (typically ~0.1 s)."""
        if self._proc is not None:
            raise AnvilError(f"anvil already started (pid {self.pid})")
        if not self.binary.is_file():
            raise AnvilError(f"no anvil binary at {self.binary}; {SETUP_HINT}")
        if not port_is_free(self.port):
            raise AnvilError(f"port {self.port} on {HOST} is already in use")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as anvil; closed in stop()
        self._proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,  # Ctrl-C goes to Python, which then stops anvil in order
            preexec_fn=_die_with_parent,
        )
        self.pid = self._proc.pid
        atexit.register(self.stop)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate anvil (SIGTERM, wait, SIGKILL fallback) and reap it. Idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        atexit.unregister(self.stop)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            self._raise_if_exited()
            chain_id = _probe_chain_id(self.rpc_url)
            if chain_id is not None:
                self._raise_if_exited()  # the answer must come from our process, not a squatter
                if chain_id != CHAIN_ID:
                    raise AnvilError(f"{self.rpc_url} answered chain id {chain_id}, expected {CHAIN_ID}")
                return
            time.sleep(_POLL_S)
        raise AnvilError(f"anvil did not answer on {self.rpc_url} within {STARTUP_TIMEOUT_S} s")

    def _raise_if_exited(self) -> None:
        assert self._proc is not None
        code = self._proc.poll()
        if code is None:
            return
        message = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            message = self._stderr.read().decode(errors="replace").strip()
        raise AnvilError(f"anvil exited with code {code} at startup: {message}")


def _probe_chain_id(rpc_url: str) -> int | None:
    """The node's chain id, or None while it does not answer yet."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(rpc_url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=1.0) as response:  # 1 s per probe
            reply: dict[str, Any] = json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
        return None
    result = reply.get("result")
    return int(result, 16) if isinstance(result, str) else None


def _die_with_parent() -> None:
    """In the child before exec: have Linux SIGTERM anvil if the Python parent dies (even by SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
