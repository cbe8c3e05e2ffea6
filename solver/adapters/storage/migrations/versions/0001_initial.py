"""Initial schema: intents, auctions with their orders and reference prices, bids, settlements, fills.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from solver.adapters.storage.schema import BigInt, Hex, Uint256

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def address() -> sa.String:
    return sa.String(42)


def upgrade() -> None:
    _intents()
    _auctions()
    _fills()


def downgrade() -> None:
    for table in ("fill_pool_volumes", "fills", "settlements", "bids", "auction_prices", "auction_orders"):
        op.drop_table(table)
    op.drop_table("auctions")
    op.drop_table("intents")


def _intents() -> None:
    op.create_table(
        "intents",
        sa.Column("intent_id", Hex(), nullable=False),
        sa.Column("owner", address(), nullable=False),
        sa.Column("sell_token", address(), nullable=False),
        sa.Column("buy_token", address(), nullable=False),
        sa.Column("receiver", address(), nullable=False),
        sa.Column("sell_amount", Uint256(), nullable=False),
        sa.Column("buy_amount", Uint256(), nullable=False),
        sa.Column("valid_to", Uint256(), nullable=False),
        sa.Column("nonce", Uint256(), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("partially_fillable", sa.Boolean(), nullable=False),
        sa.Column("app_data", Hex(), nullable=False),
        sa.Column("signature", Hex(), nullable=False),
        sa.Column("scheme", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filled", Uint256(), nullable=False),
        sa.Column("accepted_at", sa.Double(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("intent_id", name="pk_intents"),
        sa.UniqueConstraint("owner", "nonce", name="uq_intents_owner"),
    )
    op.create_index("ix_intents_status_accepted_at", "intents", ["status", "accepted_at"])


def _auctions() -> None:
    op.create_table(
        "auctions",
        sa.Column("auction_id", Uint256(), nullable=False),
        sa.Column("block_number", Uint256(), nullable=False),
        sa.Column("deadline", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("auction_id", name="pk_auctions"),
    )
    op.create_table(
        "auction_orders",
        sa.Column("auction_id", Uint256(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("intent_id", Hex(), nullable=False),
        _auction_fk("auction_orders"),
        sa.PrimaryKeyConstraint("auction_id", "position", name="pk_auction_orders"),
    )
    op.create_index("ix_auction_orders_intent_id", "auction_orders", ["intent_id"])
    op.create_table(
        "auction_prices",
        sa.Column("auction_id", Uint256(), nullable=False),
        sa.Column("token", address(), nullable=False),
        sa.Column("price", Uint256(), nullable=False),
        _auction_fk("auction_prices"),
        sa.PrimaryKeyConstraint("auction_id", "token", name="pk_auction_prices"),
    )
    op.create_table(
        "bids",
        sa.Column("auction_id", Uint256(), nullable=False),
        sa.Column("solver", address(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score", Uint256(), nullable=True),
        sa.Column("claimed_score", Uint256(), nullable=True),
        sa.Column("reason_code", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _auction_fk("bids"),
        sa.PrimaryKeyConstraint("auction_id", "solver", name="pk_bids"),
    )
    op.create_table(
        "settlements",
        sa.Column("tx_hash", Hex(), nullable=False),
        sa.Column("auction_id", Uint256(), nullable=False),
        sa.Column("solver", address(), nullable=False),
        sa.Column("block_number", Uint256(), nullable=False),
        sa.Column("gas_used", Uint256(), nullable=False),
        sa.Column("effective_gas_price", Uint256(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        _auction_fk("settlements"),
        sa.PrimaryKeyConstraint("tx_hash", name="pk_settlements"),
    )
    op.create_index("ix_settlements_auction_id", "settlements", ["auction_id"])


def _auction_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["auction_id"], ["auctions.auction_id"], name=f"fk_{table}_auction_id_auctions")


def _fills() -> None:
    op.create_table(
        "fills",
        sa.Column("tx_hash", Hex(), nullable=False),
        sa.Column("intent_id", Hex(), nullable=False),
        sa.Column("auction_id", Uint256(), nullable=False),
        sa.Column("solver", address(), nullable=False),
        sa.Column("block_number", Uint256(), nullable=False),
        sa.Column("owner", address(), nullable=False),
        sa.Column("sell_token", address(), nullable=False),
        sa.Column("buy_token", address(), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("executed_sell", Uint256(), nullable=False),
        sa.Column("executed_buy", Uint256(), nullable=False),
        *(
            sa.Column(f"{name}_{part}", Uint256(), nullable=False)
            for name in ("clearing_price", "limit_price", "reference_price")
            for part in ("num", "den")
        ),
        sa.Column("surplus", Uint256(), nullable=False),
        sa.Column("surplus_value", Uint256(), nullable=False),
        sa.Column("volume_value", Uint256(), nullable=False),
        sa.Column("slippage_bps_num", BigInt(), nullable=True),
        sa.Column("slippage_bps_den", BigInt(), nullable=True),
        sa.Column("cow_volume", Uint256(), nullable=False),
        sa.Column("inventory_volume", Uint256(), nullable=False),
        sa.Column("gas_used", Uint256(), nullable=False),
        sa.Column("gas_cost", Uint256(), nullable=False),
        sa.Column("settled_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("tx_hash", "intent_id", name="pk_fills"),
    )
    for column in ("intent_id", "auction_id", "owner", "settled_at"):
        op.create_index(f"ix_fills_{column}", "fills", [column])
    op.create_table(
        "fill_pool_volumes",
        sa.Column("tx_hash", Hex(), nullable=False),
        sa.Column("intent_id", Hex(), nullable=False),
        sa.Column("pool", address(), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tx_hash", "intent_id"], ["fills.tx_hash", "fills.intent_id"], name="fk_fill_pool_volumes_tx_hash_fills"
        ),
        sa.PrimaryKeyConstraint("tx_hash", "intent_id", "pool", name="pk_fill_pool_volumes"),
    )
