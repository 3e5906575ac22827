"""Tables for the curator's workbench: named sets of wares, saved searches, and batch jobs whose
per-ware changes are kept so a whole batch can be undone as one unit.

They live beside ``archive.models`` (which imports this module, so one metadata holds every
table for Alembic) and follow the same conventions.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from archive.models import Base, _enum, utcnow


class BatchAction(enum.StrEnum):
    SET_FIELD = "set_field"
    APPEND_FIELD = "append_field"
    ADD_TO_COLLECTION = "add_to_collection"
    REMOVE_FROM_COLLECTION = "remove_from_collection"
    ADD_TO_SET = "add_to_set"
    REMOVE_FROM_SET = "remove_from_set"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    SEND_TO_REVIEW = "send_to_review"
    DELETE = "delete"
    # Publish the working copies of the chosen wares (archive.batch_copies).
    PUBLISH_CHANGES = "publish_changes"
    UNDO = "undo"


class BatchStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class WareSet(Base):
    """A named set of wares, private to its owner or shared with the owner's institution."""

    __tablename__ = "ware_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WareSetMember(Base):
    """One ware in one set."""

    __tablename__ = "ware_set_member"
    __table_args__ = (UniqueConstraint("set_id", "ware_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("ware_set.id", ondelete="CASCADE"))
    ware_id: Mapped[int] = mapped_column(ForeignKey("ware.id", ondelete="CASCADE"))


class SavedSearch(Base):
    """A named query string of the curators' wares list (filters, sort and search words)."""

    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    shared: Mapped[bool] = mapped_column(default=False)
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BatchJob(Base):
    """One batch action over many wares, run in the background; ``undone_by`` names the job
    that undid it."""

    __tablename__ = "batch_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # Plain text (a BatchAction value): the longest action names exceed the enum column width.
    action: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ware_ids: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[BatchStatus] = mapped_column(_enum(BatchStatus), default=BatchStatus.QUEUED)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[list[Any]] = mapped_column(default=list)
    message: Mapped[str | None] = mapped_column(Text)
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("batch_job.id"))
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("batch_job.id"))
    worker: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BatchItem(Base):
    """What one batch job changed on one ware: the values before and after, for undo."""

    __tablename__ = "batch_item"
    __table_args__ = (Index("ix_batch_item_job", "job_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("batch_job.id", ondelete="CASCADE"))
    ware_id: Mapped[int] = mapped_column(ForeignKey("ware.id", ondelete="CASCADE"))
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MakerMerge(Base):
    """One maker merged into another: what moved, so the merge can be undone.

    ``merged`` holds the merged maker's row and aliases as they were (it is deleted by the
    merge and recreated, with its id, by an undo); ``credits`` the ware credits that moved
    (``[credit id, ware id, role, qualifier, position, moved]``, ``moved`` false for a credit
    dropped because the ware already credited the kept maker in that role); ``aliases`` the ids
    of the aliases the kept maker gained. While not undone, ingest resolves the merged maker's
    key to the kept maker.
    """

    __tablename__ = "maker_merge"
    __table_args__ = (Index("ix_maker_merge_merged_key", "merged_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("maker.id", ondelete="CASCADE"))
    merged_id: Mapped[int] = mapped_column()
    merged_key: Mapped[str] = mapped_column(String(300))
    merged: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credits: Mapped[list[Any]] = mapped_column(default=list)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
