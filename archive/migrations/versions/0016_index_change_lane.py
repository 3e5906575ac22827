"""Index change lane: ``index_change.small`` marks the changes of small transactions (a
curator's save) so the index writer can apply them ahead of a bulk backlog (an ingest's).

Revision ID: 0016_index_change_lane
Revises: 0015_audit_index
Create Date: 2026-11-30 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_index_change_lane"
down_revision: str | None = "0015_audit_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("index_change") as table:
        table.add_column(
            sa.Column("small", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_index_change_small_seq", "index_change", ["small", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_index_change_small_seq", table_name="index_change")
    with op.batch_alter_table("index_change") as table:
        table.drop_column("small")
