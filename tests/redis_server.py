"""A throwaway Redis server for tests: `redis-server` on a free loopback port, no persistence.

Debian's `redis-server` package provides the binary (.ci/run installs it on a fresh machine); started with
an explicit bind, port and `--save ''` so that it never writes a dump or reads a config file.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.postgres import free_port


@dataclass(frozen=True)
class RedisServer:
    host: str
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, compare=False, repr=False)

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def stop(self) -> None:
        """Stop the server now (an outage for the test); the context manager's exit is then a no-op."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def binary() -> str | None:
    return shutil.which("redis-server") or next(
        (str(p) for p in (Path("/usr/bin/redis-server"), Path("/usr/sbin/redis-server")) if p.is_file()), None
    )


@contextmanager
def running_redis(executable: str) -> Iterator[RedisServer]:
    root = Path(tempfile.mkdtemp(prefix="solver-redis-"))
    port = free_port()
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(root)],
        stdout=log, stderr=subprocess.STDOUT, cwd=root,
    )  # fmt: skip
    try:
        _wait_until_listening(port, process)
        yield RedisServer("127.0.0.1", port, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"redis-server did not answer on port {port} within {timeout_s} s")
