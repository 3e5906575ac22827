"""The tables of scoped roles and invitations (see ``archive.grants`` and
``archive.invitations`` for what they mean and the operations on them).

They live beside ``archive.models``, which imports this module so one metadata holds every
table for Alembic; the operations live apart because they use ``archive.catalogue``, which
imports ``archive.models``.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.models import Base, Collection, Institution, Role, _enum, utcnow


class InvitationState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Grant(Base):
    """One role of one account in one institution or one collection (never both)."""

    __tablename__ = "access_grant"
    __table_args__ = (
        CheckConstraint("(institution_id IS NULL) <> (collection_id IS NULL)", name="one_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role))
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE")
    )
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collection.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    granted_by: Mapped[str] = mapped_column(String(254))

    institution: Mapped[Institution | None] = relationship()
    collection: Mapped[Collection | None] = relationship()


class Invitation(Base):
    """An invitation to make an account, by email link."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE")
    )
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collection.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    invited_by: Mapped[str] = mapped_column(String(254))
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    institution: Mapped[Institution | None] = relationship()
    collection: Mapped[Collection | None] = relationship()

    def state(self, now: datetime | None = None) -> InvitationState:
        if self.accepted_at is not None:
            return InvitationState.ACCEPTED
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if _aware(self.expires_at) <= (now or utcnow()):
            return InvitationState.EXPIRED
        return InvitationState.PENDING


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
