"""Long jobs (bulk uploads, ingests, index rebuilds, harvests) with leases, so that a job whose
process died is known to have died: its lease stops being renewed, and whoever looks next marks
it interrupted, with the reason, and the ingest run it was writing as interrupted too.

A job's process holds its lease by renewing it from a heartbeat thread (``JobLease``); a job
whose lease expired while it was ``running`` is ``interrupted``. Interrupted bulk uploads can
be resumed (their uploaded files are kept for ``KEEP_INTERRUPTED``, then removed): running an
ingest again is idempotent, so a resumed job finishes what the dead one started.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from archive.models import Base, IngestRun, utcnow

LEASE_SECONDS = 15.0
HEARTBEAT_SECONDS = 3.0
INTERRUPTED_REASON = "its process stopped (the server or command was stopped or killed)"


class Job(Base):
    """One long job: what it is, who runs it and until when, how it ended."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # bulk, ingest, rebuild, harvest
    label: Mapped[str] = mapped_column(String(500), default="")
    # What the job works on: a bulk job's id, an ingest run's id (set once known).
    bulk_job_id: Mapped[int | None] = mapped_column()
    ingest_run_id: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="running")
    holder: Mapped[str | None] = mapped_column(String(200))
    lease_expires_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    attempts: Mapped[int] = mapped_column(default=1)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def process_token() -> str:
    """Names the process holding a lease (host, pid and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def interrupt_expired(session: Session, bulk_job_id: int | None = None) -> list[Job]:
    """Mark every running job whose lease expired as interrupted (and its ingest run); commits.
    Returns the jobs so marked. With ``bulk_job_id`` (whose process the caller knows is
    dead), that upload's running jobs are marked whatever their lease says."""
    now = _now_ms()
    by_lease = Job.lease_expires_ms < now
    dead = by_lease if bulk_job_id is None else Job.bulk_job_id == bulk_job_id
    expired = session.scalars(select(Job).where(Job.status == "running", dead)).all()
    for job in expired:
        marked = session.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == "running", dead)
            .values(status="interrupted", message=INTERRUPTED_REASON, finished_at=utcnow())
        ).rowcount
        if marked and job.ingest_run_id is not None:
            session.execute(
                update(IngestRun)
                .where(IngestRun.id == job.ingest_run_id, IngestRun.status == "running")
                .values(status="interrupted", finished_at=utcnow())
            )
    session.commit()
    for job in expired:
        session.refresh(job)
    return list(expired)


class JobLease:
    """A running job's row and the heartbeat thread that keeps its lease."""

    def __init__(self, factory: sessionmaker[Session], job_id: int, holder: str) -> None:
        self.factory = factory
        self.job_id = job_id
        self.holder = holder
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"potbank-job-{job_id}", daemon=True
        )

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.renew()
            except Exception:  # noqa: S112 (the next beat retries; expiry is the failure mode)
                continue

    def renew(self, **values: Any) -> None:
        """Extend the lease (and set ``values`` on the job)."""
        with self.factory() as session:
            session.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.holder == self.holder)
                .values(lease_expires_ms=_now_ms() + int(LEASE_SECONDS * 1000), **values)
            )
            session.commit()

    def finish(self, status: str, message: str | None = None) -> None:
        """Stop the heartbeat and record how the job ended."""
        self._stop.set()
        self._thread.join(timeout=10)
        with self.factory() as session:
            session.execute(
                update(Job)
                .where(Job.id == self.job_id)
                .values(status=status, message=message, finished_at=utcnow(), lease_expires_ms=0)
            )
            session.commit()


@contextmanager
def leased_job(
    factory: sessionmaker[Session],
    kind: str,
    label: str = "",
    bulk_job_id: int | None = None,
    job_id: int | None = None,
) -> Iterator[JobLease]:
    """Run the body as a leased job (a new one, or ``job_id`` resumed): finished or failed
    when the body ends; interrupted, by whoever looks next, if the process dies in it."""
    holder = process_token()
    expires = _now_ms() + int(LEASE_SECONDS * 1000)
    with factory() as session:
        if job_id is None:
            job = Job(
                kind=kind,
                label=label[:500],
                bulk_job_id=bulk_job_id,
                holder=holder,
                lease_expires_ms=expires,
            )
            session.add(job)
        else:
            job = session.get_one(Job, job_id)
            job.status, job.holder, job.lease_expires_ms = "running", holder, expires
            job.attempts += 1
            job.message, job.finished_at = None, None
        session.commit()
        lease = JobLease(factory, job.id, holder)
    lease._thread.start()
    try:
        yield lease
    except BaseException as error:
        lease.finish("failed", type(error).__name__)
        raise
    lease.finish("finished")


def job_for_bulk(session: Session, bulk_job_id: int) -> Job | None:
    """The newest leased job of a bulk upload."""
    return session.scalar(
        select(Job).where(Job.bulk_job_id == bulk_job_id).order_by(Job.id.desc()).limit(1)
    )
