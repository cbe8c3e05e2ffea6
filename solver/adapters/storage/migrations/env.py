"""Alembic environment: migrates through the connection `migrate()` hands over, or, from the alembic
command line, through a new engine for `-x url=...`."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from solver.adapters.storage.engine import create_engine
from solver.adapters.storage.schema import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_from_command_line(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("pass the database: alembic -x url=sqlite+aiosqlite:///venue.db upgrade head")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(run_from_command_line(url))


main()
