"""Quotes: the quotes the venue answered (citable by id until they expire) and each intent's quoted price.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from solver.adapters.storage.schema import Hex, Uint256

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quotes",
        sa.Column("quote_id", Hex(), nullable=False),
        sa.Column("sell_token", sa.String(42), nullable=False),
        sa.Column("buy_token", sa.String(42), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("sell_amount", Uint256(), nullable=False),
        sa.Column("buy_amount", Uint256(), nullable=False),
        sa.Column("block_number", Uint256(), nullable=False),
        sa.Column("issued_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("quote_id", name="pk_quotes"),
    )
    op.create_index("ix_quotes_expires_at", "quotes", ["expires_at"])
    op.create_table(
        "intent_quotes",
        sa.Column("intent_id", Hex(), nullable=False),
        sa.Column("price_num", Uint256(), nullable=False),
        sa.Column("price_den", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint("intent_id", name="pk_intent_quotes"),
    )


def downgrade() -> None:
    op.drop_table("intent_quotes")
    op.drop_index("ix_quotes_expires_at", table_name="quotes")
    op.drop_table("quotes")
