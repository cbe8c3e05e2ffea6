"""Storage backends for the contract tests: the in-memory twin, SQLite in a temp file, and a real
PostgreSQL server started once per session (one migrated database, emptied before each test)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from solver.adapters.storage import MEMORY_URL, Storage, open_storage
from solver.adapters.storage.migrations import migrate
from solver.adapters.storage.schema import metadata
from tests.postgres import PostgresServer, bindir, running_postgres

DATABASE = "solver_test"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server with a migrated database; skipped only if there are no binaries."""
    binaries = bindir()
    if binaries is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on PATH")
    with running_postgres(binaries) as server:
        asyncio.run(_create_database(server))
        yield server


async def _create_database(server: PostgresServer) -> None:
    connection = await asyncpg.connect(server.dsn())
    try:
        await connection.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await connection.close()
    await migrate(server.url(DATABASE))


async def emptied_postgres_database(server: PostgresServer) -> str:
    """The URL of the session's database with every table emptied (faster than a new database: ~5 ms
    against ~300 ms for CREATE DATABASE ... TEMPLATE)."""
    connection = await asyncpg.connect(server.dsn(DATABASE))
    try:
        await connection.execute(f"TRUNCATE {', '.join(metadata.tables)}")
    finally:
        await connection.close()
    return server.url(DATABASE)


@dataclass
class Backend:
    """One storage backend; each `open()` connects anew (for SQL: a new engine, as after a restart)."""

    name: str
    url: str
    _opened: list[Storage] = field(default_factory=list)

    @property
    def durable(self) -> bool:
        return self.url != MEMORY_URL

    async def open(self) -> Storage:
        storage = await open_storage(self.url)
        self._opened.append(storage)
        return storage

    async def close(self) -> None:
        for storage in self._opened:
            await storage.close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def backend_name(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        request.getfixturevalue("postgres")  # started here, outside the test's event loop
    name: str = request.param
    return name


@pytest.fixture
async def backend(backend_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if backend_name == "memory":
        url = MEMORY_URL
    elif backend_name == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'venue.db'}"
    else:
        url = await emptied_postgres_database(request.getfixturevalue("postgres"))
    backend = Backend(backend_name, url)
    yield backend
    await backend.close()


@pytest.fixture
async def storage(backend: Backend) -> Storage:
    return await backend.open()
