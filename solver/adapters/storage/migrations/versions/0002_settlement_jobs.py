"""The keeper's job queue: settlement jobs and the signed transactions of each (write-ahead).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from solver.adapters.storage.schema import Hex, HexList, Uint256

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "settlement_jobs",
        sa.Column("auction_id", Uint256(), nullable=False),
        sa.Column("calldata", Hex(), nullable=False),
        sa.Column("intent_ids", HexList(), nullable=False),
        sa.Column("deadline_block", Uint256(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("keeper", sa.String(42), nullable=True),
        sa.Column("nonce", Uint256(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("auction_id", name="pk_settlement_jobs"),
    )
    op.create_index("ix_settlement_jobs_status_auction_id", "settlement_jobs", ["status", "auction_id"])
    op.create_index("ix_settlement_jobs_keeper_status", "settlement_jobs", ["keeper", "status"])
    op.create_table(
        "settlement_job_txs",
        sa.Column("auction_id", Uint256(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tx_hash", Hex(), nullable=False),
        sa.Column("raw", Hex(), nullable=False),
        sa.Column("gas_limit", Uint256(), nullable=False),
        sa.Column("max_fee_per_gas", Uint256(), nullable=False),
        sa.Column("max_priority_fee_per_gas", Uint256(), nullable=False),
        sa.ForeignKeyConstraint(
            ["auction_id"], ["settlement_jobs.auction_id"], name="fk_settlement_job_txs_auction_id_settlement_jobs"
        ),
        sa.PrimaryKeyConstraint("auction_id", "position", name="pk_settlement_job_txs"),
        sa.UniqueConstraint("tx_hash", name="uq_settlement_job_txs_tx_hash"),
    )


def downgrade() -> None:
    op.drop_table("settlement_job_txs")
    op.drop_index("ix_settlement_jobs_keeper_status", table_name="settlement_jobs")
    op.drop_index("ix_settlement_jobs_status_auction_id", table_name="settlement_jobs")
    op.drop_table("settlement_jobs")
