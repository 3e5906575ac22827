"""Review holds: wares held for review because a photograph copies another ware's.

Revision ID: 0010_review_holds
Revises: 0014_ops_jobs
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_review_holds"
down_revision: str | None = "0014_ops_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "duplicate_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ware_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("match_ware_id", sa.Integer(), nullable=False),
        sa.Column("match_sha256", sa.String(length=64), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("orientation", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=254), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["ware_id"],
            ["ware.id"],
            name=op.f("fk_duplicate_hold_ware_id_ware"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["match_ware_id"],
            ["ware.id"],
            name=op.f("fk_duplicate_hold_match_ware_id_ware"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_hold")),
        sa.UniqueConstraint("ware_id", "sha256", name=op.f("uq_duplicate_hold_ware_id")),
    )
    op.create_index(
        "ix_duplicate_hold_match_ware_id", "duplicate_hold", ["match_ware_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_duplicate_hold_match_ware_id", table_name="duplicate_hold")
    op.drop_table("duplicate_hold")
