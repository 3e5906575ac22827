"""baseline: the whole catalogue

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_baseline"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("mapping", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_run")),
    )
    op.create_table(
        "institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution")),
        sa.UniqueConstraint("name", name=op.f("uq_institution_name")),
    )
    op.create_table(
        "maker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_zh", sa.String(length=300), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("nationality", sa.String(length=100), nullable=True),
        sa.Column("active_from", sa.Integer(), nullable=True),
        sa.Column("active_to", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maker")),
        sa.UniqueConstraint("key", name=op.f("uq_maker_key")),
    )
    op.create_table(
        "collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_collection_institution_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection")),
        sa.UniqueConstraint("institution_id", "name", name=op.f("uq_collection_institution_id")),
    )
    op.create_table(
        "maker_name",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("maker_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["maker_id"],
            ["maker.id"],
            name=op.f("fk_maker_name_maker_id_maker"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maker_name")),
        sa.UniqueConstraint("maker_id", "name", name=op.f("uq_maker_name_maker_id")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "curator", "partner", name="role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("institution_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_user_account_institution_id_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_audit_event_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_entity", ["entity_type", "entity_id"], unique=False)

    op.create_table(
        "ware",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column("accession_number", sa.String(length=100), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=True),
        sa.Column("title_zh", sa.Text(), nullable=True),
        sa.Column("object_type", sa.String(length=200), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("description_zh", sa.Text(), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("date_text", sa.String(length=300), nullable=True),
        sa.Column("year_earliest", sa.Integer(), nullable=True),
        sa.Column("year_latest", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=300), nullable=True),
        sa.Column("material", sa.String(length=300), nullable=True),
        sa.Column("technique", sa.String(length=300), nullable=True),
        sa.Column("pattern", sa.String(length=300), nullable=True),
        sa.Column("marks", sa.Text(), nullable=True),
        sa.Column("dimensions_text", sa.String(length=500), nullable=True),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("width_cm", sa.Float(), nullable=True),
        sa.Column("depth_cm", sa.Float(), nullable=True),
        sa.Column("diameter_cm", sa.Float(), nullable=True),
        sa.Column("credit_line", sa.Text(), nullable=True),
        sa.Column("provenance", sa.Text(), nullable=True),
        sa.Column("rights", sa.String(length=300), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "published",
                "rejected",
                name="warestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("source_record", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["collection_id"], ["collection.id"], name=op.f("fk_ware_collection_id_collection")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institution.id"], name=op.f("fk_ware_institution_id_institution")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ware")),
        sa.UniqueConstraint(
            "institution_id", "accession_number", name=op.f("uq_ware_institution_id")
        ),
    )
    with op.batch_alter_table("ware", schema=None) as batch_op:
        batch_op.create_index("ix_ware_status", ["status"], unique=False)

    op.create_table(
        "photograph",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ware_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("phash", sa.String(length=32), nullable=True),
        sa.Column(
            "view",
            sa.Enum(
                "front",
                "base",
                "mark",
                "detail",
                "other",
                name="photoview",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("original_filename", sa.String(length=300), nullable=True),
        sa.Column("photographer", sa.String(length=300), nullable=True),
        sa.Column("licence", sa.String(length=300), nullable=True),
        sa.Column("attribution", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ware_id"], ["ware.id"], name=op.f("fk_photograph_ware_id_ware"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photograph")),
        sa.UniqueConstraint("ware_id", "sha256", name=op.f("uq_photograph_ware_id")),
    )
    with op.batch_alter_table("photograph", schema=None) as batch_op:
        batch_op.create_index("ix_photograph_sha256", ["sha256"], unique=False)

    op.create_table(
        "ware_maker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ware_id", sa.Integer(), nullable=False),
        sa.Column("maker_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "maker",
                "manufacturer",
                "designer",
                "decorator",
                name="makerrole",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("qualifier", sa.String(length=100), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["maker_id"], ["maker.id"], name=op.f("fk_ware_maker_maker_id_maker")
        ),
        sa.ForeignKeyConstraint(
            ["ware_id"], ["ware.id"], name=op.f("fk_ware_maker_ware_id_ware"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ware_maker")),
        sa.UniqueConstraint("ware_id", "maker_id", "role", name=op.f("uq_ware_maker_ware_id")),
    )


def downgrade() -> None:
    op.drop_table("ware_maker")
    with op.batch_alter_table("photograph", schema=None) as batch_op:
        batch_op.drop_index("ix_photograph_sha256")

    op.drop_table("photograph")
    with op.batch_alter_table("ware", schema=None) as batch_op:
        batch_op.drop_index("ix_ware_status")

    op.drop_table("ware")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_entity")

    op.drop_table("audit_event")
    op.drop_table("user_account")
    op.drop_table("maker_name")
    op.drop_table("collection")
    op.drop_table("maker")
    op.drop_table("institution")
    op.drop_table("ingest_run")
