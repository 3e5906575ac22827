"""Working copies: a curator's pending edit of a ware, kept apart from the public record.

Revision ID: 0012_working_copies
Revises: 0013_bulk_profiles
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_working_copies"
down_revision: str | None = "0013_bulk_profiles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ware_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ware_id", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("base", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ware_id"],
            ["ware.id"],
            name=op.f("fk_ware_draft_ware_id_ware"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_ware_draft_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ware_draft")),
        sa.UniqueConstraint("ware_id", name=op.f("uq_ware_draft_ware_id")),
    )


def downgrade() -> None:
    op.drop_table("ware_draft")
