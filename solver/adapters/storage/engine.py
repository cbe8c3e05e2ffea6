"""Async SQLAlchemy engines from a database URL, with the SQLite settings that make commits durable.

SQLite (`sqlite+aiosqlite:///path`): WAL journal with synchronous=FULL (a commit is on disk when it
returns), foreign keys on, and every transaction opened with BEGIN IMMEDIATE, so a read-then-write
transaction takes the write lock up front instead of failing when another writer got there first;
waiting writers queue for up to `BUSY_TIMEOUT_S`. PostgreSQL (`postgresql+asyncpg://...`) is used as is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

BUSY_TIMEOUT_S = 30.0
_SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON")


def create_engine(url: str) -> AsyncEngine:
    """An engine for `url`; for a SQLite file, its directory is created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})
    event.listen(engine.sync_engine, "connect", _sqlite_connected)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connected(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver opens no transactions of its own: _sqlite_begin does
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
