"""Photograph metadata: rotation, crop and the key of what is shown; captions and alt text.

Revision ID: 0009_photo_metadata
Revises: 0010_review_holds
Create Date: 2026-11-30 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_photo_metadata"
down_revision: str | None = "0010_review_holds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_COLUMNS = (
    ("caption_en", sa.Text),
    ("caption_zh", sa.Text),
    ("alt_en", lambda: sa.String(length=500)),
    ("alt_zh", lambda: sa.String(length=500)),
)


def upgrade() -> None:
    op.add_column(
        "photograph",
        sa.Column("rotation", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("photograph", sa.Column("crop", sa.String(length=60), nullable=True))
    op.add_column("photograph", sa.Column("image_key", sa.String(length=64), nullable=True))
    for name, kind in TEXT_COLUMNS:
        op.add_column("photograph", sa.Column(name, kind(), nullable=True))
    # Every photograph so far is shown as contributed: under its own digest.
    op.execute("UPDATE photograph SET image_key = sha256")
    with op.batch_alter_table("photograph", schema=None) as batch_op:
        batch_op.alter_column("image_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index("ix_photograph_image_key", ["image_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("photograph", schema=None) as batch_op:
        batch_op.drop_index("ix_photograph_image_key")
        for name in ("rotation", "crop", "image_key", *(name for name, _ in TEXT_COLUMNS)):
            batch_op.drop_column(name)
