"""Photograph changes in a ware's working copy: the photographs as they will be published.

Revision ID: 0017_photo_working_copy
Revises: 0009_photo_metadata
Create Date: 2026-11-30 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_photo_working_copy"
down_revision: str | None = "0009_photo_metadata"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ware_draft") as batch:
        batch.add_column(sa.Column("photographs", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ware_draft") as batch:
        batch.drop_column("photographs")
