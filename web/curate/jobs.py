"""Bulk uploads in the background: a thread started by the request runs the ingest pipeline and
keeps its state in the ``bulk_job`` table, so a reload shows the progress and a restart of the
server shows an interrupted job as interrupted rather than forever running."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from archive.curation import BulkJob, JobStatus
from archive.grants import Action, permissions_of
from archive.jobs import interrupt_expired, leased_job
from archive.models import Institution, User, Ware, WareStatus, utcnow
from ingest.bundles import PhotoReader, ZipPhotos, open_source
from ingest.mapping import map_record
from ingest.pipeline import IngestOptions, IngestReport, run_ingest
from ingest.profiles import Profile, ProfileError, load_profile
from ingest.records import IngestProblem, RowError, SourceRecord, ordered
from ingest.sources import RowStream, SourceError
from web.curate.uploads import PHOTOS_NAME, RECORDS_STEM, UploadRejected, zip_base
from web.job_threads import JobThreads
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
# A dry run's files wait this long for the curator to map and import them.
KEEP_PREVIEW = timedelta(hours=24)
# Marks an upload folder that holds a dry run not yet imported (web.curate.bulk_preview).
PREVIEW_MANIFEST = "preview.json"
# A mapping built on the mapping screen and not saved as a profile travels with the upload.
MAPPING_FILE = "mapping.toml"


class Phase:
    """What a running job is doing, for its progress page."""

    READING = "reading"  # reading and mapping the file: the number of rows is not known yet
    LOADING = "loading"  # rows and photographs going into the catalogue and the indexes
    FINISHING = "finishing"  # the last index writes and the report


_threads = JobThreads("bulk")


def upload_folder(state: AppState, job: BulkJob) -> Path:
    """Where a job's uploaded files wait (a server-chosen name, never the user's)."""
    return state.settings.home / "uploads" / job.folder


def start(state: AppState, job_id: int) -> None:
    """Run the job in a background thread; the request that calls this returns at once."""
    _threads.start(job_id, lambda: _run(state, job_id))


def wait(job_id: int, timeout: float = 60) -> bool:
    """Wait for this process's thread of ``job_id`` to end; returns whether it has."""
    return _threads.wait(job_id, timeout)


def wait_all(timeout: float = 60) -> bool:
    """Wait for every job thread of this process (tests wait before removing an instance)."""
    return _threads.wait_all(timeout)


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
        return not _threads.alive(job.id)
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
            photos_done=0,
            phase=Phase.READING,
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
            preview = (folder / PREVIEW_MANIFEST).is_file()
            abandoned = age > (KEEP_PREVIEW if preview else KEEP_UNCLAIMED)
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
        _threads.forget(job_id)


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


def job_profile(state: AppState, job: BulkJob) -> Profile:
    """The profile a job maps its rows with: the mapping built for it, else a named profile."""
    built = upload_folder(state, job) / MAPPING_FILE
    try:
        return load_profile(built if built.is_file() else job.mapping, state.settings.home)
    except ProfileError as error:
        # A saved profile removed or broken since the upload: say so, not "unexpected error"
        # (the details, with the server's paths, go to the log).
        logger.warning("bulk job %s: %s", job.id, error)
        raise UploadRejected(f"the mapping profile {job.mapping!r} cannot be used") from None


@contextmanager
def opened_upload(
    state: AppState, folder: Path, profile: Profile
) -> Iterator[tuple[RowStream, PhotoReader]]:
    """The rows of an upload folder's records file and where its photographs are read from
    (the records' own ZIP, or the separate ZIP of photographs); an unreadable file raises
    UploadRejected."""
    settings = state.settings
    with ExitStack() as stack:
        try:
            records_path = next(folder.glob(f"{RECORDS_STEM}.*"))
            source = stack.enter_context(
                open_source(
                    records_path,
                    delimiter=profile.delimiter,
                    encoding=profile.encoding,
                    max_photo_bytes=settings.max_upload_bytes,
                )
            )
            photos = source.photos
            if (folder / PHOTOS_NAME).exists():
                archive = stack.enter_context(zipfile.ZipFile(folder / PHOTOS_NAME))
                photos = ZipPhotos(archive, zip_base(archive), settings.max_upload_bytes)
        except StopIteration:
            raise UploadRejected("the records file is missing: upload it again") from None
        except (SourceError, zipfile.BadZipFile) as error:
            raise UploadRejected(str(error)) from None
        yield source.rows, photos


def _ingest_upload(state: AppState, session: Session, job: BulkJob, lease_id: int) -> None:
    settings = state.settings
    job_id = job.id
    profile = job_profile(state, job)
    institution = session.get(Institution, job.institution_id) if job.institution_id else None
    report = IngestReport()
    job.phase = Phase.READING
    session.commit()
    with opened_upload(state, upload_folder(state, job), profile) as (rows, photos):
        try:
            records = list(
                upload_records(
                    session,
                    job.user_id,
                    job.as_submission,
                    profile,
                    institution,
                    rows,
                    report.problems,
                )
            )
        except SourceError as error:
            raise UploadRejected(str(error)) from None
        # Counted before the first row is loaded, so the progress page shows rows done of a
        # known total rather than "0 / 0".
        job.total_rows = len(records)
        job.photos_total = len(
            {
                photo.filename
                for _, record in records
                if isinstance(record, SourceRecord)
                for photo in record.photos
            }
        )
        job.phase = Phase.LOADING
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
                    live.photos_done = report.photos_added
                    if live.processed_rows >= live.total_rows:
                        live.phase = Phase.FINISHING
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
    job.problems = [problem.as_dict() for problem in ordered(report.problems)]
    job.processed_rows = job.total_rows
    job.photos_done = report.photos_added
    job.phase = None
    job.status = JobStatus.FAILED if report.unstored else JobStatus.FINISHED
    if report.unstored:
        job.message = STORE_FAILED_MESSAGE.format(count=report.unstored)
    job.finished_at = utcnow()
    session.commit()


def _actor_of(session: Session, job: BulkJob) -> str:
    user = session.get(User, job.user_id)
    return user.email if user else "bulk upload"


def upload_records(
    session: Session,
    uploader_id: int | None,
    as_submission: bool,
    profile: Profile,
    institution: Institution | None,
    rows: RowStream,
    problems: list[IngestProblem],
) -> Iterator[tuple[int, SourceRecord | RowError]]:
    """Mapped rows with the uploader's rules applied: a partner's rows belong to the partner's
    institution and arrive as submissions, a scoped curator's to the chosen institution; nothing
    is published without a rights statement (noted in ``problems``). Reads only: the dry run
    uses it too. A file that cannot be read on raises SourceError."""
    default_status = WareStatus.SUBMITTED if as_submission else WareStatus.PUBLISHED
    uploader = session.get(User, uploader_id) if uploader_id is not None else None
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
        if institution is not None and (pinned or as_submission):
            record.institution = institution.name
        if as_submission:
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
            problems.append(
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
