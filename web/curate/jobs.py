"""Bulk uploads in the background: a thread started by the request runs the ingest pipeline and
keeps its state in the ``bulk_job`` table, so a reload shows the progress and a restart of the
server shows an interrupted job as interrupted rather than forever running."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from archive.curation import BulkJob, JobStatus
from archive.grants import Action, permissions_of
from archive.jobs import interrupt_expired, leased_job
from archive.models import Institution, User, Ware, WareStatus, utcnow
from ingest.bundles import ZipPhotos, open_source
from ingest.mapping import map_record
from ingest.pipeline import IngestOptions, IngestReport, run_ingest
from ingest.profiles import Profile, load_profile
from ingest.records import IngestProblem, RowError, SourceRecord
from ingest.sources import SourceError
from web.curate.uploads import PHOTOS_NAME, RECORDS_STEM, UploadRejected, zip_base
from web.views.context import AppState

logger = logging.getLogger(__name__)

# Names this process: a job whose worker is another, dead process was interrupted.
PROCESS_TOKEN = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
# A job run by another machine counts as interrupted when it has been silent this long.
SILENCE = timedelta(minutes=30)
QUEUE_GRACE = timedelta(minutes=2)
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
UNEXPECTED_REASON = "an unexpected error on the server (it has been logged)"
STORE_FAILED_MESSAGE = (
    "{count} rows were not loaded because the image store could not save their photographs; "
    "the other rows are loaded. Upload the file again once the store is fixed."
)
INTERRUPTED_MESSAGE = (
    "The server stopped while this upload was being processed. Rows already loaded stay "
    "loaded; resume it to finish (loading again is safe)."
)
# An interrupted upload's files are kept this long for a resume, then removed.
KEEP_INTERRUPTED = timedelta(hours=24)
# An upload folder no job names (a request that died between saving and committing).
KEEP_UNCLAIMED = timedelta(hours=1)

_threads: dict[int, threading.Thread] = {}
_threads_lock = threading.Lock()


def upload_folder(state: AppState, job: BulkJob) -> Path:
    """Where a job's uploaded files wait (a server-chosen name, never the user's)."""
    return state.settings.home / "uploads" / job.folder


def start(state: AppState, job_id: int) -> None:
    """Run the job in a background thread; the request that calls this returns at once."""
    thread = threading.Thread(
        target=_run, args=(state, job_id), name=f"potbank-bulk-{job_id}", daemon=True
    )
    with _threads_lock:
        _threads[job_id] = thread
    thread.start()


def wait(job_id: int, timeout: float = 60) -> bool:
    """Wait for this process's thread of ``job_id`` to end; returns whether it has."""
    with _threads_lock:
        thread = _threads.get(job_id)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()


def wait_all(timeout: float = 60) -> bool:
    """Wait for every job thread of this process (tests wait before removing an instance)."""
    with _threads_lock:
        ids = list(_threads)
    return all(wait(job_id, timeout) for job_id in ids)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes for these UTC columns.
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphaned(job: BulkJob) -> bool:
    """Whether an active job has no worker left to finish it."""
    if job.status not in ACTIVE:
        return False
    if job.worker is None:
        created = _aware(job.created_at) or utcnow()
        return utcnow() - created > QUEUE_GRACE
    if job.worker == PROCESS_TOKEN:
        with _threads_lock:
            thread = _threads.get(job.id)
        return thread is None or not thread.is_alive()
    host, _, rest = job.worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        # Our own pid under another token means the process that ran it is gone (a restart).
        return pid == os.getpid() or not _process_alive(pid)
    heartbeat = _aware(job.heartbeat_at) or _aware(job.created_at) or utcnow()
    return utcnow() - heartbeat > SILENCE


def settle(session: Session, job: BulkJob) -> BulkJob:
    """Mark an orphaned job as interrupted (and say so) before it is shown; the leased job
    behind it and its ingest run are marked too (archive.jobs)."""
    if not orphaned(job):
        return job
    interrupt_expired(session, job.id)
    # Only if it is still active in the database: a worker that finished after this job was
    # read has committed its final state first, and that state must win.
    session.execute(
        update(BulkJob)
        .where(BulkJob.id == job.id, BulkJob.status.in_(ACTIVE))
        .values(status=JobStatus.INTERRUPTED, message=INTERRUPTED_MESSAGE, finished_at=utcnow())
    )
    session.commit()
    session.refresh(job)
    return job


def resumable(state: AppState, job: BulkJob) -> bool:
    """Whether an interrupted job still has its uploaded files to run again."""
    return job.status is JobStatus.INTERRUPTED and upload_folder(state, job).is_dir()


def resume(state: AppState, session: Session, job: BulkJob) -> bool:
    """Queue an interrupted job again and start it; False if it cannot be resumed."""
    if not resumable(state, job):
        return False
    requeued = session.execute(
        update(BulkJob)
        .where(BulkJob.id == job.id, BulkJob.status == JobStatus.INTERRUPTED)
        .values(
            status=JobStatus.QUEUED,
            worker=None,
            message=None,
            finished_at=None,
            processed_rows=0,
            created_at=utcnow(),
        )
    ).rowcount
    session.commit()
    if requeued:
        start(state, job.id)
    return bool(requeued)


def remove_abandoned_uploads(state: AppState, session: Session) -> list[str]:
    """Delete the files of uploads that will never run again: interrupted and not resumed
    within KEEP_INTERRUPTED, or named by no job at all; returns the folder names."""
    root = state.settings.home / "uploads"
    if not root.is_dir():
        return []
    jobs = {job.folder: job for job in session.scalars(select(BulkJob))}
    now = utcnow()
    removed = []
    for folder in root.iterdir():
        job = jobs.get(folder.name)
        if job is None:
            age = now - datetime.fromtimestamp(folder.stat().st_mtime, tz=UTC)
            abandoned = age > KEEP_UNCLAIMED
        elif job.status is JobStatus.INTERRUPTED:
            abandoned = now - (_aware(job.finished_at) or now) > KEEP_INTERRUPTED
        else:
            abandoned = job.status in (JobStatus.FINISHED, JobStatus.FAILED)
        if abandoned:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def _run(state: AppState, job_id: int) -> None:
    try:
        _execute(state, job_id)
    except Exception as error:  # anything at all: the job must end in a state a person can read
        logger.exception("bulk job %s failed", job_id)
        # Only our own refusals are shown as they are; anything else is in the log, with its
        # trace, paths and SQL, and the uploader reads a plain sentence.
        reason = str(error) if isinstance(error, UploadRejected) else UNEXPECTED_REASON
        with state.session_factory() as session:
            job = session.get(BulkJob, job_id)
            if job is not None:
                job.status = JobStatus.FAILED
                job.message = f"The upload could not be processed: {reason}"
                job.finished_at = utcnow()
                session.commit()
    finally:
        with state.session_factory() as session:
            job = session.get(BulkJob, job_id)
            if job is not None:
                shutil.rmtree(upload_folder(state, job), ignore_errors=True)
        # After the final state is committed, so a thread missing here means a job is over.
        with _threads_lock:
            _threads.pop(job_id, None)


def _execute(state: AppState, job_id: int) -> None:
    with state.session_factory() as session:
        job = session.get(BulkJob, job_id)
        if job is None:
            return
        job.status = JobStatus.RUNNING
        job.worker = PROCESS_TOKEN
        job.started_at = job.heartbeat_at = utcnow()
        session.commit()
        with leased_job(state.session_factory, "bulk", job.source_name, job.id) as lease:
            _ingest_upload(state, session, job, lease.job_id)


def _ingest_upload(state: AppState, session: Session, job: BulkJob, lease_id: int) -> None:
    settings = state.settings
    job_id = job.id
    folder = upload_folder(state, job)
    profile = load_profile(job.mapping)
    institution = session.get(Institution, job.institution_id) if job.institution_id else None
    report = IngestReport()
    with ExitStack() as stack:
        records_path = next(folder.glob(f"{RECORDS_STEM}.*"))
        try:
            source = stack.enter_context(
                open_source(
                    records_path,
                    delimiter=profile.delimiter,
                    max_photo_bytes=settings.max_upload_bytes,
                )
            )
            photos = source.photos
            if (folder / PHOTOS_NAME).exists():
                archive = stack.enter_context(zipfile.ZipFile(folder / PHOTOS_NAME))
                photos = ZipPhotos(archive, zip_base(archive), settings.max_upload_bytes)
            records = list(_records(session, job, profile, institution, source.rows, report))
        except (SourceError, zipfile.BadZipFile) as error:
            raise UploadRejected(str(error)) from None
        job.total_rows = len(records)
        session.commit()
        options = IngestOptions(
            institution=institution.name if institution else None,
            actor=_actor_of(session, job),
            photos=photos,
            job_id=lease_id,
        )

        def progress(count: int) -> None:
            with state.session_factory() as progress_session:
                live = progress_session.get(BulkJob, job_id)
                if live is not None:
                    live.processed_rows += count
                    live.heartbeat_at = utcnow()
                    progress_session.commit()

        run_ingest(
            settings,
            state.session_factory,
            f"web upload: {job.source_name}",
            profile.name,
            records,
            options,
            progress,
            report,
        )
    session.refresh(job)
    job.ingest_run_id = report.run_id
    job.summary = report.summary
    job.problems = [problem.as_dict() for problem in report.problems]
    job.processed_rows = job.total_rows
    job.status = JobStatus.FAILED if report.unstored else JobStatus.FINISHED
    if report.unstored:
        job.message = STORE_FAILED_MESSAGE.format(count=report.unstored)
    job.finished_at = utcnow()
    session.commit()


def _actor_of(session: Session, job: BulkJob) -> str:
    user = session.get(User, job.user_id)
    return user.email if user else "bulk upload"


def _records(
    session: Session,
    job: BulkJob,
    profile: Profile,
    institution: Institution | None,
    rows: Iterator[tuple[int, dict[str, Any] | RowError]],
    report: IngestReport,
) -> Iterator[tuple[int, SourceRecord | RowError]]:
    """Mapped rows with the uploader's rules applied: a partner's rows belong to the partner's
    institution and arrive as submissions, a scoped curator's to the chosen institution; nothing
    is published without a rights statement."""
    default_status = WareStatus.SUBMITTED if job.as_submission else WareStatus.PUBLISHED
    uploader = session.get(User, job.user_id)
    # Rows of an account that does not contribute everywhere all go to the chosen institution,
    # whatever institution they name (a curator of one museum cannot write into another).
    pinned = uploader is None or (
        permissions_of(session, uploader).institution_ids(Action.CONTRIBUTE) is not None
    )
    for line, row in rows:
        if isinstance(row, RowError):
            yield line, row
            continue
        try:
            record = map_record(profile, row, default_status.value)
        except RowError as error:
            yield line, error
            continue
        if institution is not None and (pinned or job.as_submission):
            record.institution = institution.name
        if job.as_submission:
            assert institution is not None
            record.fields["status"] = WareStatus.SUBMITTED.value
            if _published(session, institution.id, record.accession_number):
                yield (
                    line,
                    RowError(
                        "this ware is already published: ask a curator to change it",
                        "accession_number",
                    ),
                )
                continue
        elif record.fields.get("status") == "published" and not record.fields.get("rights"):
            record.fields["status"] = WareStatus.DRAFT.value
            report.problems.append(
                IngestProblem(
                    line,
                    record.accession_number,
                    "rights",
                    "no rights statement, so it was loaded as a draft rather than published",
                    "warning",
                )
            )
        yield line, record


def _published(session: Session, institution_id: int, accession: str) -> bool:
    status = session.scalar(
        select(Ware.status).where(
            Ware.institution_id == institution_id, Ware.accession_number == accession
        )
    )
    return status is WareStatus.PUBLISHED
