"""The winning solver apart from the submitting keeper: settlement jobs carry their winner; settlements and
fills record the account that sent the transaction (the keeper, which the chain's Settled event names).

Rows written before this revision keep NULL in the new columns: their winner (jobs) and sender (settlements,
fills) were not kept.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("settlement_jobs", "solver"), ("settlements", "submitter"), ("fills", "submitter"))


def upgrade() -> None:
    for table, column in _COLUMNS:
        op.add_column(table, sa.Column(column, sa.String(42), nullable=True))


def downgrade() -> None:
    for table, column in reversed(_COLUMNS):
        # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild would drop and re-create `fills`,
        # which the pool volumes reference under PRAGMA foreign_keys=ON.
        op.drop_column(table, column)
