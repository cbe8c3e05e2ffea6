"""Owners' commitments: an index for "the live intents of these owners, by sell token".

Intake reads, in the transaction that inserts a new intent, what its owner's live intents still need per
sell token (solver.adapters.storage.commitments): WHERE owner IN (...) AND status IN (live ones) ... GROUP
BY owner, sell_token. With (owner, status, sell_token) that is an index range per owner and live status,
never a scan of the owner's settled history or of the whole table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_intents_owner_status_sell_token", "intents", ["owner", "status", "sell_token"])


def downgrade() -> None:
    op.drop_index("ix_intents_owner_status_sell_token", table_name="intents")
