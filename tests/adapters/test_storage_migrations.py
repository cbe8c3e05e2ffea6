"""Migrations: `migrate(url)` builds the schema the adapters declare, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from solver.adapters.storage.engine import create_engine
from solver.adapters.storage.migrations import alembic_config, migrate
from solver.adapters.storage.schema import metadata
from solver.adapters.storage.sql import SqlStorage
from solver.ports import StorageUnavailable
from tests.postgres import PostgresServer, free_port


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        request.getfixturevalue("postgres")
    kind: str = request.param
    return kind


@pytest.fixture
async def empty_database(
    empty_database_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    if empty_database_kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    admin = await asyncpg.connect(server.dsn())
    await admin.execute("CREATE DATABASE fresh")
    yield server.url("fresh")
    await admin.execute("DROP DATABASE fresh WITH (FORCE)")
    await admin.close()


def _differences(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def _schema_differences(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_differences)
    finally:
        await engine.dispose()


async def _downgrade_to_base(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "base"))
    await engine.dispose()


async def test_migrating_an_empty_database_yields_the_declared_schema(empty_database: str) -> None:
    await migrate(empty_database)
    assert await _schema_differences(empty_database) == []


async def test_migrating_twice_and_down_and_up_again_is_harmless(empty_database: str) -> None:
    await migrate(empty_database)
    await migrate(empty_database)
    await _downgrade_to_base(empty_database)
    missing = {diff[1].name for diff in await _schema_differences(empty_database) if diff[0] == "add_table"}
    assert missing == set(metadata.tables)
    await migrate(empty_database)
    assert await _schema_differences(empty_database) == []


async def test_an_unreachable_database_is_reported_as_unavailable() -> None:
    with pytest.raises(StorageUnavailable):
        await SqlStorage.open(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere")
