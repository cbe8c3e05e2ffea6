"""A throwaway PostgreSQL server for tests: initdb into a temp dir, pg_ctl start on a free loopback port.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user that the
Debian packages create. The server runs with fsync off: the tests check what a commit makes visible to a
new connection (a restart of the app), not what survives a power cut, and fsync would make them slow.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PREFERRED_BINDIR = Path("/usr/lib/postgresql/15/bin")
SERVER_SETTINGS = ("-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200")


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str = "postgres"
    # pg_ctl's arguments for `stop` and `start` (an outage a test injects); None for a server not started here.
    control: tuple[Path, Path, str | None, str] | None = field(default=None, compare=False, repr=False)

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy asyncpg URL for `database` (trust auth: no password)."""
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """The same for asyncpg itself."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def stop(self) -> None:
        """Stop the server at once (`immediate`: connections are cut, as in a crash)."""
        assert self.control is not None, "not a server running_postgres started"
        binaries, data, run_as, _ = self.control
        _run(run_as, binaries / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")

    def start(self) -> None:
        """Start it again after `stop`, on the same port."""
        assert self.control is not None, "not a server running_postgres started"
        binaries, data, run_as, options = self.control
        _run(run_as, binaries / "pg_ctl", "-D", data, "-l", data.parent / "server.log", "-w", "-o", options, "start")


def bindir() -> Path | None:
    """Where initdb and pg_ctl are: PostgreSQL 15's Debian location, another version's, or PATH."""
    candidates = [PREFERRED_BINDIR, *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).parent)
    return next((d for d in candidates if (d / "initdb").is_file() and (d / "pg_ctl").is_file()), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_postgres(binaries: Path, settings: tuple[str, ...] = SERVER_SETTINGS) -> Iterator[PostgresServer]:
    """Start a fresh server from `binaries` with `settings` (postgres -c options); stop it and delete its
    data directory on exit."""
    root = Path(tempfile.mkdtemp(prefix="solver-pg-"))
    run_as = _server_user(root)
    data, port = root / "data", free_port()
    try:
        _run(run_as, binaries / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--locale=C", "--no-sync")
        options = " ".join(("-p", str(port), "-k", str(root), "-c", "listen_addresses=127.0.0.1", *settings))
        _run(run_as, binaries / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-o", options, "start")
        try:
            yield PostgresServer("127.0.0.1", port, control=(binaries, data, run_as, options))
        finally:
            if (data / "postmaster.pid").exists():  # a test may have stopped it already
                _run(run_as, binaries / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _server_user(root: Path) -> str | None:
    """None to run as ourselves; as root, the `postgres` user, which is given `root`."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise RuntimeError("running as root, but there is no `postgres` user to run PostgreSQL as") from exc
    os.chown(root, entry.pw_uid, entry.pw_gid)
    return "postgres"


def _run(user: str | None, *command: object) -> None:
    args = [str(c) for c in command]
    result = subprocess.run(
        args, user=user, extra_groups=[] if user else None, cwd="/", capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
