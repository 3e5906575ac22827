"""Jobs that survive: rebuilds and harvests run as jobs with progress, resumable parameters,
who started them, and an exclusive key (one running rebuild of an index folder at a time).

Revision ID: 0014_ops_jobs
Revises: 0011_invitations_roles
Create Date: 2026-11-30 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_ops_jobs"
down_revision: str | None = "0011_invitations_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("exclusive_key", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("started_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("done", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("total", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ux_job_exclusive_key", "job", ["exclusive_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_job_exclusive_key", table_name="job")
    with op.batch_alter_table("job") as batch:
        for column in ("total", "done", "started_by", "params", "exclusive_key"):
            batch.drop_column(column)
