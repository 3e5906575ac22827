"""Audit index: (action, at) on audit_event, for the sign-in throttle's counts of recent failed
sign-ins (archive.accounts.failed_logins_from), which otherwise scan the whole audit trail.

Revision ID: 0015_audit_index
Revises: 0006_public_site
Create Date: 2026-11-30 15:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_audit_index"
down_revision: str | None = "0006_public_site"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_event_action_at", "audit_event", ["action", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_event_action_at", table_name="audit_event")
