"""Public site: featured wares and collections, maker authority records, exhibitions.

Revision ID: 0006_public_site
Revises: 0007_workbench
Create Date: 2026-11-30 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_public_site"
down_revision: str | None = "0007_workbench"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAKER_COLUMNS = (
    ("born", sa.Integer),
    ("died", sa.Integer),
    ("biography_en", sa.Text),
    ("biography_zh", sa.Text),
    ("wikidata_id", lambda: sa.String(length=20)),
    ("ulan_id", lambda: sa.String(length=20)),
)


def upgrade() -> None:
    for table in ("ware", "collection"):
        op.add_column(
            table, sa.Column("featured", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    for name, kind in MAKER_COLUMNS:
        op.add_column("maker", sa.Column(name, kind(), nullable=True))
    op.create_table(
        "exhibition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=True),
        sa.Column("title_zh", sa.String(length=300), nullable=True),
        sa.Column("intro_en", sa.Text(), nullable=True),
        sa.Column("intro_zh", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("draft", "published", name="exhibitionstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exhibition")),
        sa.UniqueConstraint("slug", name=op.f("uq_exhibition_slug")),
    )
    op.create_table(
        "exhibition_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exhibition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("heading_en", sa.String(length=300), nullable=True),
        sa.Column("heading_zh", sa.String(length=300), nullable=True),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("text_zh", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["exhibition_id"],
            ["exhibition.id"],
            name=op.f("fk_exhibition_section_exhibition_id_exhibition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exhibition_section")),
    )
    op.create_index(
        "ix_exhibition_section_exhibition",
        "exhibition_section",
        ["exhibition_id", "position"],
        unique=False,
    )
    op.create_table(
        "exhibition_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ware_id", sa.Integer(), nullable=False),
        sa.Column("photograph_id", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=60), nullable=True),
        sa.Column("caption_en", sa.Text(), nullable=True),
        sa.Column("caption_zh", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["photograph_id"],
            ["photograph.id"],
            name=op.f("fk_exhibition_item_photograph_id_photograph"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["exhibition_section.id"],
            name=op.f("fk_exhibition_item_section_id_exhibition_section"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ware_id"],
            ["ware.id"],
            name=op.f("fk_exhibition_item_ware_id_ware"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exhibition_item")),
    )
    op.create_index(
        "ix_exhibition_item_section", "exhibition_item", ["section_id", "position"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_exhibition_item_section", table_name="exhibition_item")
    op.drop_table("exhibition_item")
    op.drop_index("ix_exhibition_section_exhibition", table_name="exhibition_section")
    op.drop_table("exhibition_section")
    op.drop_table("exhibition")
    with op.batch_alter_table("maker") as batch:
        for name, _kind in reversed(MAKER_COLUMNS):
            batch.drop_column(name)
    for table in ("collection", "ware"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("featured")
