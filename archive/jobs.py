"""Long jobs (bulk uploads, ingests, index rebuilds, harvests) with leases, so that a job whose
process died is known to have died: its lease stops being renewed, and whoever looks next marks
it interrupted, with the reason, and the ingest run it was writing as interrupted too.

A job's process holds its lease by renewing it from a heartbeat thread (``JobLease``); a job
whose lease expired while it was ``running`` is ``interrupted``, and so is one whose holder is a
process of this host that no longer exists (no need to wait for the lease then). An interrupted
job can be resumed: ``params`` keeps what it was asked to do, and every job kind's work is
idempotent (an ingest upserts, a rebuild starts a new generation, a harvest re-reads from its
last successful point), so a resumed job finishes what the dead one started.

A job may name an ``exclusive_key`` (a rebuild names its index folder, a harvest its endpoint and
set): a unique index lets one running job hold a key at a time, so a second rebuild of the same
indexes is refused by the database itself, whoever (CLI or web, this machine or another) starts
it. The key is let go when the job ends or is marked interrupted.

A job may also have a work folder (``work_folder``) for files it needs only while it runs, such
as a harvest's fetched photographs; it goes when the job ends, and ``remove_stale_work_folders``
removes those of jobs that died.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String, Text, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from archive.models import Base, IngestRun, utcnow
from archive.settings import Settings

LEASE_SECONDS = 15.0
HEARTBEAT_SECONDS = 3.0
PROGRESS_SECONDS = 1.0
INTERRUPTED_REASON = "its process stopped (the server or command was stopped or killed)"
UNEXPECTED_REASON = "an unexpected error (it has been logged)"
STOPPED_REASON = "it was stopped (Ctrl-C or a signal) before it ended"
ENDED = ("finished", "failed", "interrupted")


class JobRunning(RuntimeError):
    """Another running job holds the same exclusive key (e.g. a rebuild of the same indexes)."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"{job.kind} job {job.id} is already running ({job.label})")
        self.job_id = job.id


class Job(Base):
    """One long job: what it is, who runs it and until when, how far it is, how it ended."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_status", "status"),
        Index("ux_job_exclusive_key", "exclusive_key", unique=True),
    )

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
    # Set while running only (NULLs never collide): one running job per key.
    exclusive_key: Mapped[str | None] = mapped_column(String(300))
    # What to do again on resume (a harvest's endpoint and options...).
    params: Mapped[dict[str, Any] | None] = mapped_column()
    started_by: Mapped[str | None] = mapped_column(String(200))
    # Progress: ``done`` of ``total`` (0: not known yet) in the job's own unit.
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)


def process_token() -> str:
    """Names the process holding a lease (host, pid and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def holder_gone(holder: str | None) -> bool:
    """Whether ``holder`` names a process of this host that no longer exists (a process of
    another host is judged by its lease alone)."""
    host, _, rest = (holder or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def interrupt_expired(session: Session, bulk_job_id: int | None = None) -> list[Job]:
    """Mark every running job whose process is gone (its lease expired, or its holder is a dead
    process of this host) as interrupted, and its ingest run; commits. Returns the jobs so
    marked. With ``bulk_job_id`` (whose process the caller knows is dead), that upload's running
    jobs are marked whatever their lease says."""
    now = _now_ms()
    running = session.scalars(select(Job).where(Job.status == "running")).all()
    if bulk_job_id is not None:
        dead = [job for job in running if job.bulk_job_id == bulk_job_id]
    else:
        dead = [job for job in running if job.lease_expires_ms < now or holder_gone(job.holder)]
    marked = []
    for job in dead:
        # Only if the same holder still has it: a resume that claimed it meanwhile wins.
        if _end(session, job.id, job.holder, "interrupted", INTERRUPTED_REASON):
            marked.append(job.id)
    _interrupt_orphaned_runs(session)
    session.commit()
    return [session.get_one(Job, job_id, populate_existing=True) for job_id in marked]


def _interrupt_orphaned_runs(session: Session) -> None:
    """Mark "running" ingest runs that no running job drives as interrupted. A run is tied to
    its job in the transaction that creates it, so such a run's process is gone: it was started
    before runs belonged to jobs, or its job ended without it."""
    driven = select(Job.ingest_run_id).where(
        Job.status == "running", Job.ingest_run_id.is_not(None)
    )
    session.execute(
        update(IngestRun)
        .where(IngestRun.status == "running", IngestRun.id.not_in(driven))
        .values(status="interrupted", finished_at=utcnow())
    )


def _end(
    session: Session,
    job_id: int,
    holder: str | None,
    status: str,
    message: str | None,
    ending: tuple[str, ...] = ("running",),
) -> bool:
    """End a job in one of the ``ending`` states, held by ``holder``, and the ingest run it was
    writing; not committed."""
    held = Job.holder.is_(None) if holder is None else Job.holder == holder
    ended = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(ending), held)
        .values(
            status=status,
            message=message,
            finished_at=utcnow(),
            lease_expires_ms=0,
            exclusive_key=None,
        )
    ).rowcount
    if ended:
        run_id = session.scalar(select(Job.ingest_run_id).where(Job.id == job_id))
        if run_id is not None and status != "finished":
            # A run its job no longer drives never finishes on its own: say how it ended.
            session.execute(
                update(IngestRun)
                .where(IngestRun.id == run_id, IngestRun.status == "running")
                .values(status=status, finished_at=utcnow())
            )
    return bool(ended)


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
        self._progress: dict[str, int] = {}
        self._progress_lock = threading.Lock()
        self._progress_written = 0.0
        # What the job did, set by its body: written with "finished" in one update, so that no
        # reader sees a finished job without its summary.
        self.summary: str | None = None

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.renew()
            except Exception:  # noqa: S112 (the next beat retries; expiry is the failure mode)
                continue

    def renew(self, **values: Any) -> None:
        """Extend the lease (and set ``values``, and any progress noted, on the job)."""
        with self._progress_lock:
            values = {**self._progress, **values}
            self._progress = {}
        with self.factory() as session:
            session.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.holder == self.holder)
                .values(lease_expires_ms=_now_ms() + int(LEASE_SECONDS * 1000), **values)
            )
            session.commit()

    def progress(self, done: int, total: int | None = None) -> None:
        """Note how far the job is; written at most every PROGRESS_SECONDS (not per item),
        else with the next heartbeat."""
        with self._progress_lock:
            self._progress["done"] = done
            if total is not None:
                self._progress["total"] = total
            due = time.monotonic() - self._progress_written >= PROGRESS_SECONDS
            if due:
                self._progress_written = time.monotonic()
        if due:
            # A failed write is retried by the next heartbeat.
            with contextlib.suppress(Exception):
                self.renew()

    def start(self) -> None:
        """Start the heartbeat (from the thread or process that runs the job)."""
        self._thread.start()

    def finish(self, status: str, message: str | None = None) -> None:
        """Stop the heartbeat and record how the job ended (its progress and ingest run too)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        with self._progress_lock:
            progress, self._progress = self._progress, {}
        with self.factory() as session:
            if progress:
                session.execute(update(Job).where(Job.id == self.job_id).values(**progress))
            # Also if it was taken for dead (a heartbeat starved past its lease): its own end is
            # the truth, unless a resume has claimed it since (another holder).
            _end(session, self.job_id, self.holder, status, message, ("running", "interrupted"))
            session.commit()


def begin_job(
    factory: sessionmaker[Session],
    kind: str,
    label: str = "",
    *,
    bulk_job_id: int | None = None,
    job_id: int | None = None,
    exclusive_key: str | None = None,
    params: dict[str, Any] | None = None,
    started_by: str | None = None,
) -> JobLease:
    """Create a running job (or claim ``job_id`` again, to resume it) and return its lease,
    heartbeat not started yet. Jobs whose process died are marked first; ``JobRunning`` if a
    running job holds ``exclusive_key``, or ``job_id`` is running already."""
    holder = process_token()
    expires = _now_ms() + int(LEASE_SECONDS * 1000)
    with factory() as session:
        interrupt_expired(session)
        if job_id is None:
            job = Job(
                kind=kind,
                label=label[:500],
                bulk_job_id=bulk_job_id,
                holder=holder,
                lease_expires_ms=expires,
                exclusive_key=exclusive_key,
                params=params,
                started_by=(started_by or "")[:200] or None,
            )
            session.add(job)
        else:
            job = session.get_one(Job, job_id)
            if job.status == "running":
                raise JobRunning(job)
            job.status, job.holder, job.lease_expires_ms = "running", holder, expires
            job.exclusive_key = exclusive_key
            job.attempts += 1
            job.message, job.finished_at = None, None
            job.done = job.total = 0
            job.started_by = (started_by or job.started_by or "")[:200] or None
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise JobRunning(_holding(session, exclusive_key)) from None
        return JobLease(factory, job.id, holder)


def _holding(session: Session, key: str | None) -> Job:
    job = session.scalar(select(Job).where(Job.exclusive_key == key))
    # The holder ended between the failed insert and this read: report it all the same.
    return job or Job(id=0, kind="job", label=key or "")


@contextmanager
def leased_job(
    factory: sessionmaker[Session],
    kind: str,
    label: str = "",
    bulk_job_id: int | None = None,
    job_id: int | None = None,
    **options: Any,
) -> Iterator[JobLease]:
    """Run the body as a leased job (a new one, or ``job_id`` resumed): finished or failed
    when the body ends; interrupted, by whoever looks next, if the process dies in it.
    ``options``: those of ``begin_job``."""
    lease = begin_job(factory, kind, label, bulk_job_id=bulk_job_id, job_id=job_id, **options)
    with run_lease(lease):
        yield lease


@contextmanager
def run_lease(lease: JobLease) -> Iterator[JobLease]:
    """Heartbeat ``lease`` while the body runs, then finish it: ``finished`` (with the
    ``lease.summary`` the body set), or ``failed`` with a plain message if the body raised (a
    ``JobFailed``'s own words, else a generic one)."""
    lease.start()
    try:
        yield lease
    except (KeyboardInterrupt, SystemExit):
        lease.finish("interrupted", STOPPED_REASON)
        raise
    except BaseException as error:
        lease.finish("failed", str(error) if isinstance(error, JobFailed) else UNEXPECTED_REASON)
        raise
    lease.finish("finished", lease.summary)


class JobFailed(RuntimeError):
    """A job's failure whose words are fit to show (no path, no SQL, no trace)."""


def work_folder(settings: Settings, job_id: int) -> Path:
    """A folder for files a job needs only while it runs (made on first use)."""
    folder = settings.home / "jobs" / str(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def remove_stale_work_folders(session: Session, settings: Settings) -> list[str]:
    """Delete the work folders of jobs that are not running (ended, interrupted, or unknown);
    returns their names. A resumed job makes its folder again."""
    root = settings.home / "jobs"
    if not root.is_dir():
        return []
    running = {
        str(job_id) for job_id in session.scalars(select(Job.id).where(Job.status == "running"))
    }
    removed = []
    for folder in root.iterdir():
        if folder.name not in running:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def recent_jobs(session: Session, limit: int = 30, kinds: tuple[str, ...] = ()) -> list[Job]:
    """The newest jobs (of ``kinds``, or all), newest first."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if kinds:
        query = query.where(or_(*(Job.kind == kind for kind in kinds)))
    return list(session.scalars(query))


def job_for_bulk(session: Session, bulk_job_id: int) -> Job | None:
    """The newest leased job of a bulk upload."""
    return session.scalar(
        select(Job).where(Job.bulk_job_id == bulk_job_id).order_by(Job.id.desc()).limit(1)
    )
