"""Owners' commitments in SQL (`solver.domain.commitments`): what their live intents still need, per sell token.

Read inside the transaction that inserts the new intents (group_commit), for every owner in the batch at
once, through `ix_intents_owner_status_sell_token` (migration 0005): one grouped aggregate, plus a row read
for the rare partially fillable intents that are already part filled (their need is a rounded-up fraction
of the rest, computed in Python like the domain's `needed`).

Exact arithmetic: on PostgreSQL amounts are NUMERIC(78, 0) and SUM is exact. SQLite keeps them as 78-digit
zero-padded text, and its SUM is 64-bit integer (or float) arithmetic, so each amount is summed as seven
slices of its digits (6 + 6 x 12 digits, each < 10**12: no overflow for fewer than ~9 million rows) and
Python puts the slices back together: exact, with SQLite doing the per-row work in C.

Serialization: SQLite runs one write transaction at a time across processes (BEGIN IMMEDIATE). PostgreSQL
runs READ COMMITTED transactions side by side, so the batch first takes a transaction-scoped advisory lock
per owner (in a fixed order, so batches never deadlock): a second process inserting an intent of the same
owner waits until the first commits and then sees its intents. Only inserts take the lock: the other
writes (status changes, fills) can only keep or lower a commitment, so a read that misses one is
conservative.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from solver.domain.commitments import Commitment, needed_units
from solver.domain.intent import Intent, IntentKind
from solver.domain.lifecycle import LIVE

from . import schema
from .database import all_rows
from .schema import UINT256_DIGITS

SLICE = 12  # digits per slice of a zero-padded amount (SQLite)
_FIRST = UINT256_DIGITS - SLICE * (UINT256_DIGITS // SLICE)  # the leading slice's width: 6
_SLICES = [(1, _FIRST)] + [(_FIRST + 1 + SLICE * k, SLICE) for k in range(UINT256_DIGITS // SLICE)]
LOCK_CLASS = 0x1D7E  # pg_advisory_xact_lock(class, key): this module's namespace of keys ("intents")

_c = schema.intents.c
_LIVE_VALUES = sorted(s.value for s in LIVE)


class Commitments:
    """Per (owner, sell token): live intents and the sell units they still need; per owner: live intents."""

    def __init__(self) -> None:
        self.live: dict[str, int] = defaultdict(int)
        self.in_token: dict[tuple[str, str], int] = defaultdict(int)
        self.committed: dict[tuple[str, str], int] = defaultdict(int)

    def of(self, intent: Intent) -> Commitment:
        key = (intent.owner, intent.sell_token)
        return Commitment(self.live[intent.owner], self.in_token[key], self.committed[key])

    def add(self, intent: Intent, need: int) -> None:
        """Count one more live intent (admitted earlier in the same batch)."""
        key = (intent.owner, intent.sell_token)
        self.live[intent.owner] += 1
        self.in_token[key] += 1
        self.committed[key] += need


async def lock_owners(connection: AsyncConnection, owners: Collection[str]) -> None:
    """PostgreSQL: hold a transaction-scoped advisory lock per owner, taken in key order."""
    keys = sorted({int.from_bytes(bytes.fromhex(owner[2:10]), "big", signed=True) for owner in owners})
    if keys:
        statement = sa.text("SELECT pg_advisory_xact_lock(:class, k) FROM unnest(CAST(:keys AS integer[])) AS k")
        await connection.execute(statement, {"class": LOCK_CLASS, "keys": keys})


async def read(connection: AsyncConnection, dialect: str, owners: Collection[str], now: int) -> Commitments:
    """The live intents of `owners` at unix second `now`, as stored (see the module's notes)."""
    found = Commitments()
    if not owners:
        return found
    live = sa.and_(_c.owner.in_(sorted(owners)), _c.status.in_(_LIVE_VALUES), _c.valid_to >= now)
    started = sa.and_(_c.partially_fillable, _c.filled != 0)
    sums = _exact_sum if dialect == "postgresql" else _sliced_sums
    query = (
        sa.select(_c.owner, _c.sell_token, sa.func.count().label("n"),
                  sa.func.sum(sa.case((started, 1), else_=0)).label("started"), *sums(started))
        .where(live)
        .group_by(_c.owner, _c.sell_token)
    )  # fmt: skip
    partial: set[str] = set()
    for row in await all_rows(connection, query):
        key = (row["owner"], row["sell_token"])
        found.live[row["owner"]] += row["n"]
        found.in_token[key] += row["n"]
        found.committed[key] += _total(row, dialect)
        if row["started"]:
            partial.add(row["owner"])
    if partial:
        columns = (_c.owner, _c.sell_token, _c.sell_amount, _c.buy_amount, _c.kind, _c.filled)
        rows = await all_rows(connection, sa.select(*columns).where(live, started, _c.owner.in_(sorted(partial))))
        for row in rows:
            found.committed[(row["owner"], row["sell_token"])] += _need(row)
    return found


def _exact_sum(started: sa.ColumnElement[bool]) -> list[sa.ColumnElement[Any]]:
    return [sa.func.sum(sa.case((started, 0), else_=sa.cast(_c.sell_amount, sa.Numeric))).label("plain")]


def _sliced_sums(started: sa.ColumnElement[bool]) -> list[sa.ColumnElement[Any]]:
    text = sa.cast(_c.sell_amount, sa.String)  # the zero-padded digits as stored
    return [
        sa.func.sum(sa.case((started, 0), else_=sa.cast(sa.func.substr(text, at, width), sa.Integer))).label(f"s{i}")
        for i, (at, width) in enumerate(_SLICES)
    ]


def _total(row: sa.RowMapping, dialect: str) -> int:
    """The plain intents' sell amounts added up (those not part filled: they need all of it)."""
    if dialect == "postgresql":
        return int(row["plain"] or 0)
    total = 0
    for i, (_, width) in enumerate(_SLICES):
        total = total * 10**width + int(row[f"s{i}"] or 0)
    return total


def _need(row: sa.RowMapping) -> int:
    """A part-filled, partially fillable intent's need (its row's columns; the domain's rule)."""
    full = row["sell_amount"] if IntentKind(row["kind"]) is IntentKind.SELL else row["buy_amount"]
    return needed_units(row["sell_amount"], full, row["filled"], partially_fillable=True)
