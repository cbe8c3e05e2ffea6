"""Storage adapters: SQL (SQLite by default, PostgreSQL) and in-memory twins, chosen by URL.

`await open_storage(url)` returns the stores (intents, auctions, fills, issued quotes and the quote book)
and the keeper's job queue over one backend, its schema migrated to the newest revision: `memory://`,
`sqlite+aiosqlite:///path/to/venue.db` or `postgresql+asyncpg://user@host/db`.
"""

from __future__ import annotations

from typing import Protocol

from solver.keeper.ports import JobQueue
from solver.ports import AuctionLog, FillLog, IntentStore, QuoteBook
from solver.services.quotes import IssuedQuotes

from .memory import MemoryStorage
from .sql import SqlStorage

DEFAULT_URL = "sqlite+aiosqlite:///venue.db"
MEMORY_URL = "memory://"


class Storage(Protocol):
    @property
    def intents(self) -> IntentStore: ...

    @property
    def auctions(self) -> AuctionLog: ...

    @property
    def fills(self) -> FillLog: ...

    @property
    def jobs(self) -> JobQueue: ...

    @property
    def quotes(self) -> IssuedQuotes: ...

    @property
    def quote_book(self) -> QuoteBook: ...

    async def close(self) -> None: ...


async def open_storage(url: str = DEFAULT_URL) -> Storage:
    """The stores for `url`; SQL databases are migrated to the newest schema first."""
    if url == MEMORY_URL:
        return MemoryStorage()
    return await SqlStorage.open(url)
