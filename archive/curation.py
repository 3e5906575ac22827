"""Tables for curating: review notes on submissions, background bulk-upload jobs and wares'
working copies (pending edits; see ``archive.working_copies``).

They live beside ``archive.models`` (which imports this module, so one metadata holds every
table for Alembic) and follow the same conventions.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from archive.models import Base, _enum, utcnow


class ReviewDecision(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class ReviewNote(Base):
    """One step of a submission's review: submitted, approved, rejected or changes asked for.

    ``snapshot`` is the ware as it stood at that step, so the queue can show what changed since.
    """

    __tablename__ = "review_note"
    __table_args__ = (Index("ix_review_note_ware", "ware_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ware_id: Mapped[int] = mapped_column(ForeignKey("ware.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor: Mapped[str] = mapped_column(String(254))
    decision: Mapped[ReviewDecision] = mapped_column(_enum(ReviewDecision))
    comment: Mapped[str | None] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BulkJob(Base):
    """A bulk upload run in the background; its state lives here so a reload or a restart of
    the server still shows where it stands."""

    __tablename__ = "bulk_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    as_submission: Mapped[bool] = mapped_column(default=False)
    mapping: Mapped[str] = mapped_column(String(50))
    source_name: Mapped[str] = mapped_column(String(300))
    folder: Mapped[str] = mapped_column(String(64))
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.QUEUED)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    # What the running job is doing (web.curate.jobs.Phase), and its photographs: named by its
    # rows (counted with them) and added so far.
    phase: Mapped[str | None] = mapped_column(String(20))
    photos_total: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    photos_done: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"))
    summary: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list[Any]] = mapped_column(default=list)
    message: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WareDraft(Base):
    """The pending edit of one ware (at most one per ware, shared by its curators)."""

    __tablename__ = "ware_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    ware_id: Mapped[int] = mapped_column(ForeignKey("ware.id", ondelete="CASCADE"), unique=True)
    # The form as typed and the record as it was when the copy began, both in that shape.
    values: Mapped[dict[str, Any]] = mapped_column()
    base: Mapped[dict[str, Any]] = mapped_column()
    # The photographs as publishing will make them, in order (``archive.pending_photos``
    # entries); None while the copy leaves the ware's photographs as they are.
    photographs: Mapped[list[Any] | None] = mapped_column()
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def pending(self) -> dict[str, Any]:
        """The values the curator changed since the copy began."""
        return {key: value for key, value in self.values.items() if self.base.get(key) != value}

    def merged_onto(self, current: dict[str, Any]) -> dict[str, Any]:
        """``current`` (the record now, same shape) with the curator's changes on top."""
        return {**current, **self.pending()}


class DuplicateHold(Base):
    """A ware held for review because one of its photographs (``sha256``) is an exact or near
    copy of a photograph (``match_sha256``) of another ware, perhaps turned or mirrored
    (``orientation``, a name from ``archive.imaging.ORIENTATIONS``).

    A held ware is not published until a curator approves it in the review queue, which
    resolves the hold; removing the photograph ends it too (see ``archive.holds``).
    """

    __tablename__ = "duplicate_hold"
    __table_args__ = (
        UniqueConstraint("ware_id", "sha256"),
        Index("ix_duplicate_hold_match_ware_id", "match_ware_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ware_id: Mapped[int] = mapped_column(ForeignKey("ware.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    match_ware_id: Mapped[int] = mapped_column(ForeignKey("ware.id", ondelete="CASCADE"))
    match_sha256: Mapped[str] = mapped_column(String(64))
    distance: Mapped[int] = mapped_column(Integer)
    orientation: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(254))
    # The review decision that ended the hold (a ReviewDecision value).
    resolution: Mapped[str | None] = mapped_column(String(16))
