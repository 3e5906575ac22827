"""The index change log: what the search indexes must redo, recorded in the catalogue itself.

Every transaction that changes what a ware's search document or photographs look like writes
rows here before it commits, in the same transaction, so a change and its note stand or fall
together: nothing committed can be missed by the indexes, even if the process dies right after
its commit. The index writer (``index.writer``) applies the log in sequence order and keeps its
place per index generation.

Sequence numbers are handed out under the lock of the one ``index_log_head`` row, taken just
before the commit (``before_commit``) and released by it, so they are in commit order: a reader
that has seen change *n* has seen every change below *n* (a plain autoincrement would let a
slow transaction commit a lower number after a reader moved past it).

Most changes are noticed on their own: an ORM flush that touches a ware, its photographs or
makers, or the names a document shows (maker, alias, institution, collection) is recorded by
the session events below. Bulk statements that bypass the ORM (the ingest's set-based inserts)
call ``record_ware_changes`` themselves.

The lease table elects one index writer per instance (an instance is one copy of the indexes:
one folder, one machine) and tells the log how far each instance has applied it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Index,
    String,
    event,
    false,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm import attributes as orm_attributes

from archive.db import in_chunks
from archive.models import (
    Base,
    Collection,
    Institution,
    Maker,
    MakerName,
    Photograph,
    Ware,
    WareMaker,
    utcnow,
)

HEAD_ID = 1
_PENDING_KEY = "potbank.index_changes"
# A transaction logging at most this many changes is "small" (a curator's save, a photograph
# added): the writer applies small changes ahead of a bulk backlog, so a save is searchable in
# about a second even while an ingest's thousands of changes wait.
SMALL_TRANSACTION = 32


class IndexChange(Base):
    """One ware to re-index (and, for a photograph removed or shown otherwise, what the indexes
    hold of it, to drop)."""

    __tablename__ = "index_change"
    __table_args__ = (
        Index("ix_index_change_recorded_at", "recorded_at"),
        Index("ix_index_change_small_seq", "small", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ware_id: Mapped[int | None] = mapped_column(BigInteger)
    photo_id: Mapped[int | None] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Written by a transaction of at most SMALL_TRANSACTION changes (see there).
    small: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class IndexLogHead(Base):
    """The log's one head row: the last sequence number given and how far it has been pruned."""

    __tablename__ = "index_log_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0)


class IndexWriterLease(Base):
    """Which process writes an instance's indexes, until when, and how far it has applied."""

    __tablename__ = "index_writer_lease"

    instance: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    # Milliseconds since the epoch: compared in SQL the same way on SQLite and PostgreSQL.
    expires_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    applied_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass
class _Pending:
    """What a transaction has touched so far (kept in ``session.info`` until it commits)."""

    wares: set[int] = field(default_factory=set)
    photos: set[int] = field(default_factory=set)
    makers: set[int] = field(default_factory=set)
    institutions: set[int] = field(default_factory=set)
    collections: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(
            self.wares or self.photos or self.makers or self.institutions or self.collections
        )


def _pending(session: Session) -> _Pending:
    found = session.info.get(_PENDING_KEY)
    if found is None:
        found = session.info[_PENDING_KEY] = _Pending()
    return found


def record_ware_changes(session: Session, ware_ids: Iterable[int]) -> None:
    """Note that these wares must be re-indexed; written when the session's transaction commits.

    For changes made with bulk statements (the ORM's own changes are noticed without this)."""
    _pending(session).wares.update(int(ware_id) for ware_id in ware_ids)


def _name_changed(obj: Any, *names: str) -> bool:
    state = orm_attributes.instance_state(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _notice_changes(session: Session, _context: Any) -> None:
    pending: _Pending | None = None
    for obj, deleted in (
        *((obj, False) for obj in session.new),
        *((obj, False) for obj in session.dirty),
        *((obj, True) for obj in session.deleted),
    ):
        if isinstance(obj, Ware):
            pending = pending or _pending(session)
            pending.wares.add(obj.id)
        elif isinstance(obj, Photograph | WareMaker):
            pending = pending or _pending(session)
            pending.wares.add(obj.ware_id)
            # A photograph gone, or shown otherwise (turned, cropped): whatever the indexes
            # hold of it must go, and its ware's row then describes it afresh.
            if isinstance(obj, Photograph) and (
                deleted or (obj not in session.new and _name_changed(obj, "image_key"))
            ):
                pending.photos.add(obj.id)
        elif isinstance(obj, Maker) and (deleted or _name_changed(obj, "name", "name_zh")):
            pending = pending or _pending(session)
            pending.makers.add(obj.id)
        elif isinstance(obj, MakerName):
            pending = pending or _pending(session)
            pending.makers.add(obj.maker_id)
        elif isinstance(obj, Institution | Collection) and _name_changed(obj, "name"):
            pending = pending or _pending(session)
            target = pending.institutions if isinstance(obj, Institution) else pending.collections
            target.add(obj.id)


@event.listens_for(Session, "before_commit")
def _write_changes(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer commit writes everything at once
    # Nothing noticed yet and nothing left to flush: nothing to write.
    if not session.info.get(_PENDING_KEY) and not (session.new or session.dirty or session.deleted):
        return
    session.flush()
    pending: _Pending | None = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    rows = _change_rows(session, pending)
    if rows:
        append_changes(session, rows)


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session: Session, previous_transaction: Any) -> None:
    # Only the whole transaction's rollback undoes every change noticed; a savepoint's leaves
    # ids behind, which costs at most a needless re-index of those wares.
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_PENDING_KEY, None)


def _change_rows(session: Session, pending: _Pending) -> list[tuple[int | None, int | None]]:
    wares = set(pending.wares)
    for ids, column in (
        (pending.makers, WareMaker.maker_id),
        (pending.institutions, Ware.institution_id),
        (pending.collections, Ware.collection_id),
    ):
        source = WareMaker.ware_id if column is WareMaker.maker_id else Ware.id
        for chunk in in_chunks(sorted(ids)):
            wares.update(session.scalars(select(source).where(column.in_(chunk))))
    # Photographs first: a turned one is dropped before its ware's row adds it back, even when
    # the writer reads the two in different batches.
    rows: list[tuple[int | None, int | None]] = [
        (None, photo_id) for photo_id in sorted(pending.photos)
    ]
    rows.extend((ware_id, None) for ware_id in sorted(wares))
    return rows


def append_changes(session: Session, rows: list[tuple[int | None, int | None]]) -> int:
    """Append ``(ware_id, photo_id)`` rows to the log in the session's transaction; returns the
    last sequence number given. The head row stays locked until the transaction ends."""
    connection = session.connection()
    head = IndexLogHead.__table__
    bumped = connection.execute(
        update(head).where(head.c.id == HEAD_ID).values(last_seq=head.c.last_seq + len(rows))
    )
    if bumped.rowcount == 0:
        ensure_head(session)
        connection.execute(
            update(head).where(head.c.id == HEAD_ID).values(last_seq=head.c.last_seq + len(rows))
        )
    last = int(connection.scalar(select(head.c.last_seq).where(head.c.id == HEAD_ID)) or 0)
    first = last - len(rows) + 1
    now = utcnow()
    small = len(rows) <= SMALL_TRANSACTION
    values = [
        {
            "seq": first + offset,
            "ware_id": ware,
            "photo_id": photo,
            "recorded_at": now,
            "small": small,
        }
        for offset, (ware, photo) in enumerate(rows)
    ]
    for start in range(0, len(values), 1000):
        connection.execute(insert(IndexChange.__table__), values[start : start + 1000])
    return last


def ensure_head(session: Session) -> None:
    """Create the head row if this database has none yet (a savepoint absorbs a lost race)."""
    head = IndexLogHead.__table__
    connection = session.connection()
    if connection.scalar(select(head.c.id).where(head.c.id == HEAD_ID)) is not None:
        return
    try:
        with session.begin_nested():
            session.connection().execute(
                insert(head).values(id=HEAD_ID, last_seq=0, pruned_through=0)
            )
    except IntegrityError:
        pass


@dataclass(frozen=True)
class LogPosition:
    """The log's last sequence number and the last one pruned away."""

    last_seq: int
    pruned_through: int


def log_position(session: Session) -> LogPosition:
    """Where the log stands now."""
    row = session.execute(
        select(IndexLogHead.last_seq, IndexLogHead.pruned_through).where(IndexLogHead.id == HEAD_ID)
    ).first()
    return LogPosition(0, 0) if row is None else LogPosition(int(row[0]), int(row[1]))


def changes_after(
    session: Session, seq: int, limit: int = 20_000
) -> list[tuple[int, int | None, int | None]]:
    """Up to ``limit`` changes after ``seq``: ``(seq, ware_id, photo_id)`` in order."""
    rows = session.execute(
        select(IndexChange.seq, IndexChange.ware_id, IndexChange.photo_id)
        .where(IndexChange.seq > seq)
        .order_by(IndexChange.seq)
        .limit(limit)
    )
    return [(int(s), w, p) for s, w, p in rows]


def small_changes_after(
    session: Session, seq: int, limit: int
) -> list[tuple[int, int | None, int | None]]:
    """Up to ``limit`` changes of small transactions after ``seq``, in order (see
    SMALL_TRANSACTION): what the writer applies ahead of the backlog before them."""
    rows = session.execute(
        select(IndexChange.seq, IndexChange.ware_id, IndexChange.photo_id)
        .where(IndexChange.small.is_(True), IndexChange.seq > seq)
        .order_by(IndexChange.seq)
        .limit(limit)
    )
    return [(int(s), w, p) for s, w, p in rows]


def prune_log(session: Session, keep_seconds: float) -> int:
    """Delete changes every live instance has applied and older than ``keep_seconds``.

    An instance whose writer has not been seen for ``keep_seconds`` no longer holds pruning
    back; when it returns it finds its place pruned away and repairs by content instead.
    Returns the new ``pruned_through``."""
    now_ms = int(time.time() * 1000)
    cutoff_ms = now_ms - int(keep_seconds * 1000)
    leases = session.execute(
        select(IndexWriterLease.applied_seq, IndexWriterLease.expires_ms)
    ).all()
    live = [int(applied) for applied, expires in leases if int(expires) >= cutoff_ms]
    if not live:
        return log_position(session).pruned_through
    cutoff_time = utcnow().timestamp() - keep_seconds
    old_enough = session.scalar(
        select(IndexChange.seq)
        .where(IndexChange.recorded_at < datetime.fromtimestamp(cutoff_time, tz=utcnow().tzinfo))
        .order_by(IndexChange.seq.desc())
        .limit(1)
    )
    through = min(min(live), int(old_enough or 0))
    position = log_position(session)
    if through <= position.pruned_through:
        return position.pruned_through
    session.execute(IndexChange.__table__.delete().where(IndexChange.seq <= through))
    session.execute(
        update(IndexLogHead).where(IndexLogHead.id == HEAD_ID).values(pruned_through=through)
    )
    return through


def _now_ms() -> int:
    return int(time.time() * 1000)


def acquire_lease(
    session: Session, instance: str, holder: str, ttl: float, force: bool = False
) -> bool:
    """Take (or renew) the writer lease of ``instance`` for ``ttl`` seconds; commits.

    Succeeds when nobody holds it, its holder let it expire, or ``holder`` holds it already;
    with ``force``, always (the caller has proof the holder is gone: the instance's lock)."""
    now = _now_ms()
    table = IndexWriterLease.__table__
    query = update(table).where(table.c.instance == instance)
    if not force:
        query = query.where(
            (table.c.holder == holder) | table.c.holder.is_(None) | (table.c.expires_ms < now)
        )
    taken = session.execute(
        query.values(holder=holder, expires_ms=now + int(ttl * 1000), heartbeat_at=utcnow())
    ).rowcount
    if taken:
        session.commit()
        return True
    exists = session.scalar(select(table.c.instance).where(table.c.instance == instance))
    if exists is not None:
        session.rollback()
        return False
    try:
        session.execute(
            insert(table).values(
                instance=instance,
                holder=holder,
                expires_ms=now + int(ttl * 1000),
                applied_seq=0,
                heartbeat_at=utcnow(),
            )
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def release_lease(session: Session, instance: str, holder: str) -> None:
    """Give the lease up now (if ``holder`` has it) so another process need not wait it out."""
    table = IndexWriterLease.__table__
    session.execute(
        update(table)
        .where(table.c.instance == instance, table.c.holder == holder)
        .values(holder=None, expires_ms=0)
    )
    session.commit()


def note_applied(session: Session, instance: str, seq: int) -> None:
    """Record how far ``instance``'s indexes have applied the log (for pruning); commits."""
    table = IndexWriterLease.__table__
    session.execute(update(table).where(table.c.instance == instance).values(applied_seq=seq))
    session.commit()


def lease_holder(session: Session, instance: str) -> str | None:
    """Who holds ``instance``'s writer lease now (None if nobody or it expired)."""
    row = session.execute(
        select(IndexWriterLease.holder, IndexWriterLease.expires_ms).where(
            IndexWriterLease.instance == instance
        )
    ).first()
    if row is None or row[0] is None or int(row[1]) < _now_ms():
        return None
    return str(row[0])
