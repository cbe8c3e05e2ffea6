"""Alembic migrations of the storage schema. `migrate(url)` brings a database to the newest revision;
the app and the tests call it on start. From a shell: `alembic -x url=sqlite+aiosqlite:///venue.db upgrade head`.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from ..engine import create_engine

SCRIPTS = Path(__file__).parent
MIGRATION_LOCK = 0x501_7E5  # PostgreSQL advisory lock key held while migrating; SQLite's BEGIN IMMEDIATE serializes


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for these scripts; `connection` is the one env.py migrates through."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


async def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision`, in one transaction."""
    engine = create_engine(url)
    try:
        await upgrade(engine, revision)
    finally:
        await engine.dispose()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # app instances starting together migrate one at a time
            await connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        await connection.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)
