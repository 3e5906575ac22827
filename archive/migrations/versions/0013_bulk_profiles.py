"""Bulk upload progress: the phase a job is in and its photographs named and added.

Revision ID: 0013_bulk_profiles
Revises: 0016_index_change_lane
Create Date: 2026-11-30 15:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_bulk_profiles"
down_revision: str | None = "0016_index_change_lane"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bulk_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phase", sa.String(length=20), nullable=True))
        for name in ("photos_total", "photos_done"):
            batch_op.add_column(
                sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)
            )


def downgrade() -> None:
    with op.batch_alter_table("bulk_job", schema=None) as batch_op:
        for name in ("photos_done", "photos_total", "phase"):
            batch_op.drop_column(name)
