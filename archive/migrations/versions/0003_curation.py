"""Curating: review notes on submissions and background bulk-upload jobs.

Revision ID: 0003_curation
Revises: 0001_baseline
Create Date: 2026-11-22 17:36:15.358531
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_curation"
down_revision: str | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("as_submission", sa.Boolean(), nullable=False),
        sa.Column("mapping", sa.String(length=50), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("folder", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "finished",
                "failed",
                "interrupted",
                name="jobstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("ingest_run_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ingest_run_id"], ["ingest_run.id"], name=op.f("fk_bulk_job_ingest_run_id_ingest_run")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_bulk_job_institution_id_institution"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_bulk_job_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_job")),
    )
    op.create_table(
        "review_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ware_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                "changes",
                name="reviewdecision",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_review_note_user_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["ware_id"], ["ware.id"], name=op.f("fk_review_note_ware_id_ware"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_note")),
    )
    with op.batch_alter_table("review_note", schema=None) as batch_op:
        batch_op.create_index("ix_review_note_ware", ["ware_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_note", schema=None) as batch_op:
        batch_op.drop_index("ix_review_note_ware")

    op.drop_table("review_note")
    op.drop_table("bulk_job")
