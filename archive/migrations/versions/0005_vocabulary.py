"""Curators' bilingual vocabulary terms.

Revision ID: 0005_vocabulary
Revises: 0008_accounts_security
Create Date: 2026-11-30 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_vocabulary"
down_revision: str | None = "0008_accounts_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vocabulary_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("en", sa.String(length=200), nullable=False),
        sa.Column("zh", sa.String(length=200), nullable=False),
        sa.Column("alternates", sa.String(length=1000), nullable=True),
        sa.Column("aat_id", sa.String(length=20), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vocabulary_term")),
        sa.UniqueConstraint("category", "en", name="uq_vocabulary_term_category_en"),
    )


def downgrade() -> None:
    op.drop_table("vocabulary_term")
