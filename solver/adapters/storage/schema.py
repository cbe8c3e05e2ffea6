"""The SQL schema: column types that keep uint256 amounts and hashes exact, and the tables.

uint256 values are NUMERIC(78, 0) on PostgreSQL and 78-digit zero-padded TEXT elsewhere (SQLite's NUMERIC
would turn them into 8-byte floats); padding keeps TEXT comparisons and ORDER BY numeric. Byte strings
(ids, hashes, signatures) are lower-case 0x-hex TEXT; addresses are checksummed TEXT. Migrations (not
`metadata.create_all`) create these tables; a test checks that the two agree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from solver.domain.primitives import uint256

UINT256_DIGITS = 78  # len(str(2**256 - 1))


class Uint256(sa.TypeDecorator[int]):
    """An exact uint256: NUMERIC(78, 0) on PostgreSQL, zero-padded decimal TEXT elsewhere."""

    impl = sa.String(UINT256_DIGITS)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.Numeric(UINT256_DIGITS, 0))
        return dialect.type_descriptor(sa.String(UINT256_DIGITS))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Decimal | str | None:
        if value is None:
            return None
        uint256(value, "column value")
        return Decimal(value) if dialect.name == "postgresql" else str(value).zfill(UINT256_DIGITS)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class BigInt(sa.TypeDecorator[int]):
    """An exact signed integer of any size (rational parts): NUMERIC on PostgreSQL, decimal TEXT elsewhere.
    Not ordered on SQLite."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.Numeric())
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Decimal | str | None:
        if value is None:
            return None
        return Decimal(value) if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class Hex(sa.TypeDecorator[bytes]):
    """Bytes as lower-case 0x-prefixed hex TEXT."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else "0x" + value.hex()

    def process_result_value(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else bytes.fromhex(value[2:])


class HexList(sa.TypeDecorator[tuple[bytes, ...]]):
    """A short, never queried tuple of byte strings as space-separated 0x-hex TEXT ("" for none)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: tuple[bytes, ...] | None, dialect: Dialect) -> str | None:
        return None if value is None else " ".join("0x" + item.hex() for item in value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> tuple[bytes, ...] | None:
        return None if value is None else tuple(bytes.fromhex(item[2:]) for item in value.split())


def address() -> sa.String:
    return sa.String(42)


def amount() -> Uint256:
    return Uint256()


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)

intents = sa.Table(
    "intents",
    metadata,
    sa.Column("intent_id", Hex(), primary_key=True),
    sa.Column("owner", address(), nullable=False),
    sa.Column("sell_token", address(), nullable=False),
    sa.Column("buy_token", address(), nullable=False),
    sa.Column("receiver", address(), nullable=False),
    sa.Column("sell_amount", amount(), nullable=False),
    sa.Column("buy_amount", amount(), nullable=False),
    sa.Column("valid_to", amount(), nullable=False),
    sa.Column("nonce", amount(), nullable=False),
    sa.Column("kind", sa.SmallInteger(), nullable=False),
    sa.Column("partially_fillable", sa.Boolean(), nullable=False),
    sa.Column("app_data", Hex(), nullable=False),
    sa.Column("signature", Hex(), nullable=False),
    sa.Column("scheme", sa.SmallInteger(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("filled", amount(), nullable=False),
    sa.Column("accepted_at", sa.Double(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.UniqueConstraint("owner", "nonce"),  # an owner's nonce is used by one intent
    sa.Index("ix_intents_status_accepted_at", "status", "accepted_at"),
    # An owner's live intents by sell token: intake's commitment check (commitments.py, migration 0005).
    sa.Index("ix_intents_owner_status_sell_token", "owner", "status", "sell_token"),
)

auctions = sa.Table(
    "auctions",
    metadata,
    sa.Column("auction_id", amount(), primary_key=True),
    sa.Column("block_number", amount(), nullable=False),
    sa.Column("deadline", sa.Double(), nullable=False),
)

auction_orders = sa.Table(
    "auction_orders",
    metadata,
    sa.Column("auction_id", amount(), sa.ForeignKey("auctions.auction_id"), primary_key=True),
    sa.Column("position", sa.Integer(), primary_key=True),
    sa.Column("intent_id", Hex(), nullable=False, index=True),
)

auction_prices = sa.Table(
    "auction_prices",
    metadata,
    sa.Column("auction_id", amount(), sa.ForeignKey("auctions.auction_id"), primary_key=True),
    sa.Column("token", address(), primary_key=True),
    sa.Column("price", amount(), nullable=False),
)

bids = sa.Table(
    "bids",
    metadata,
    sa.Column("auction_id", amount(), sa.ForeignKey("auctions.auction_id"), primary_key=True),
    sa.Column("solver", address(), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("score", amount(), nullable=True),
    sa.Column("claimed_score", amount(), nullable=True),
    sa.Column("reason_code", sa.String(64), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
)

settlements = sa.Table(
    "settlements",
    metadata,
    sa.Column("tx_hash", Hex(), primary_key=True),
    sa.Column("auction_id", amount(), sa.ForeignKey("auctions.auction_id"), nullable=False, index=True),
    sa.Column("solver", address(), nullable=False),
    sa.Column("block_number", amount(), nullable=False),
    sa.Column("gas_used", amount(), nullable=False),
    sa.Column("effective_gas_price", amount(), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("submitter", address(), nullable=True),  # the keeper that sent it (NULL: recorded before 0004)
)

fills = sa.Table(
    "fills",
    metadata,
    sa.Column("tx_hash", Hex(), primary_key=True),
    sa.Column("intent_id", Hex(), primary_key=True),
    sa.Column("auction_id", amount(), nullable=False, index=True),
    sa.Column("solver", address(), nullable=False),
    sa.Column("block_number", amount(), nullable=False),
    sa.Column("owner", address(), nullable=False, index=True),
    sa.Column("sell_token", address(), nullable=False),
    sa.Column("buy_token", address(), nullable=False),
    sa.Column("kind", sa.SmallInteger(), nullable=False),
    sa.Column("executed_sell", amount(), nullable=False),
    sa.Column("executed_buy", amount(), nullable=False),
    *(
        sa.Column(f"{name}_{part}", amount(), nullable=False)
        for name in ("clearing_price", "limit_price", "reference_price")
        for part in ("num", "den")
    ),
    sa.Column("surplus", amount(), nullable=False),
    sa.Column("surplus_value", amount(), nullable=False),
    sa.Column("volume_value", amount(), nullable=False),
    sa.Column("slippage_bps_num", BigInt(), nullable=True),
    sa.Column("slippage_bps_den", BigInt(), nullable=True),
    sa.Column("cow_volume", amount(), nullable=False),
    sa.Column("inventory_volume", amount(), nullable=False),
    sa.Column("gas_used", amount(), nullable=False),
    sa.Column("gas_cost", amount(), nullable=False),
    sa.Column("settled_at", sa.Double(), nullable=False, index=True),
    sa.Column("submitter", address(), nullable=True),  # the keeper that sent the settlement (NULL: before 0004)
    sa.Index("ix_fills_intent_id", "intent_id"),
)

fill_pool_volumes = sa.Table(
    "fill_pool_volumes",
    metadata,
    sa.Column("tx_hash", Hex(), primary_key=True),
    sa.Column("intent_id", Hex(), primary_key=True),
    sa.Column("pool", address(), primary_key=True),
    sa.Column("amount", amount(), nullable=False),  # buy-token units routed through `pool`
    sa.ForeignKeyConstraint(["tx_hash", "intent_id"], ["fills.tx_hash", "fills.intent_id"]),
)

# The keeper's queue of won solutions. A job's sent transactions are rows of their own, not a JSON column:
# they are append-only (a save inserts the new ones and rewrites nothing), their fees stay exact uint256
# columns like every other amount, and "has this job signed anything yet" is a plain indexed query.
settlement_jobs = sa.Table(
    "settlement_jobs",
    metadata,
    sa.Column("auction_id", amount(), primary_key=True),
    sa.Column("calldata", Hex(), nullable=False),
    sa.Column("intent_ids", HexList(), nullable=False),
    sa.Column("deadline_block", amount(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("keeper", address(), nullable=True),
    sa.Column("nonce", amount(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("solver", address(), nullable=True),  # the winning solver (NULL: a job queued before 0004)
    sa.Index("ix_settlement_jobs_status_auction_id", "status", "auction_id"),  # claim: the oldest pending job
    sa.Index("ix_settlement_jobs_keeper_status", "keeper", "status"),  # in_flight: a keeper's sending jobs
)

settlement_job_txs = sa.Table(
    "settlement_job_txs",
    metadata,
    sa.Column("auction_id", amount(), sa.ForeignKey("settlement_jobs.auction_id"), primary_key=True),
    sa.Column("position", sa.Integer(), primary_key=True),  # 0 the first signed, then each replacement
    sa.Column("tx_hash", Hex(), nullable=False, unique=True),
    sa.Column("raw", Hex(), nullable=False),  # the signed transaction, re-broadcast as is after a restart
    sa.Column("gas_limit", amount(), nullable=False),
    sa.Column("max_fee_per_gas", amount(), nullable=False),
    sa.Column("max_priority_fee_per_gas", amount(), nullable=False),
)

# Quotes the venue answered (POST /v1/quote), which intents may cite by id until they expire, and the price
# each accepted intent was quoted (the QuoteBook): what its fills' slippage is measured against. Prices are
# exact fractions of base units, stored reduced as numerator and denominator.
quotes = sa.Table(
    "quotes",
    metadata,
    sa.Column("quote_id", Hex(), primary_key=True),
    sa.Column("sell_token", address(), nullable=False),
    sa.Column("buy_token", address(), nullable=False),
    sa.Column("kind", sa.SmallInteger(), nullable=False),
    sa.Column("sell_amount", amount(), nullable=False),
    sa.Column("buy_amount", amount(), nullable=False),
    sa.Column("block_number", amount(), nullable=False),
    sa.Column("issued_at", sa.Double(), nullable=False),
    sa.Column("expires_at", sa.Double(), nullable=False, index=True),  # pruning expired quotes
)

intent_quotes = sa.Table(
    "intent_quotes",
    metadata,
    sa.Column("intent_id", Hex(), primary_key=True),
    sa.Column("price_num", amount(), nullable=False),  # buy-token units ...
    sa.Column("price_den", amount(), nullable=False),  # ... per this many sell-token units
)
