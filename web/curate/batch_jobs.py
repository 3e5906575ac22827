"""Batch jobs in the background: a thread started by the request applies the batch chunk by
chunk (``archive.batch``), then brings the search indexes up to date for the changed wares.

Its state lives in the ``batch_job`` table, so the progress page follows it across reloads, and
a job whose thread is gone (a restart) is shown as interrupted; what it had done stays undoable.
This module only enqueues, runs and settles jobs, so it can move onto a shared job table.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import UTC, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from archive.batch import run_batch
from archive.jobs import holder_gone
from archive.models import User, utcnow
from archive.settings import Settings
from archive.workbench import BatchJob, BatchStatus
from index.sync import BackgroundTextIndex, IndexSync, current_generation
from web.curate.dating import read_copy
from web.curate.indexing import Syncer
from web.job_threads import JobThreads
from web.views.context import AppState

logger = logging.getLogger(__name__)

PROCESS_TOKEN = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
ACTIVE = (BatchStatus.QUEUED, BatchStatus.RUNNING)
QUEUE_GRACE = timedelta(minutes=2)
INTERRUPTED_MESSAGE = "interrupted"
INDEX_FAILED_MESSAGE = "index_failed"

# Changed wares are indexed in runs of this many while the batch goes on.
INDEX_RUN = 2000

_threads = JobThreads("batch")


class ChunkIndexer:
    """Brings the indexes up to date for a batch's changed wares while the batch goes on: the
    keyword index is written by a child process (``index.sync.BackgroundTextIndex``), so on a
    second core, while this one works out the next chunk.

    A failure is logged and remembered, never raised: the catalogue is the truth, and
    ``potbank index rebuild`` repairs what the indexes missed.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sync = IndexSync(settings)
        self.writer: BackgroundTextIndex | None = None
        self.pending: list[int] = []
        self.failed = False

    def add(self, session: Session, ware_ids: list[int], *, final: bool = False) -> None:
        """Index ``ware_ids`` (committed already), in runs of ``INDEX_RUN``."""
        self.pending.extend(ware_ids)
        if self.failed or not self.pending or (len(self.pending) < INDEX_RUN and not final):
            return
        try:
            # A child process pays for itself only when more runs are to come, and only while
            # this batch holds the index writer's lease (else the elected writer applies them).
            # The lease is taken before the first run, so that run is written by the child
            # too, overlapping the next chunks rather than holding the batch up.
            if self.writer is None and not final and self.sync.writer.hold(session):
                self.writer = BackgroundTextIndex(current_generation(self.settings).path / "text")
            self.sync.update_wares(session, self.pending, text_writer=self.writer, keep_lease=True)
        except Exception:  # any index failure: see the class docstring
            logger.exception("index update failed for %s wares of a batch", len(self.pending))
            self.failed = True
        self.pending = []

    def finish(self, session: Session) -> None:
        """Index what is left and wait until the keyword index has committed it all."""
        self.add(session, [], final=True)
        try:
            # Waits for the last keyword run, records it applied and gives the lease up.
            self.sync.release(session)
        except Exception:  # as in add
            logger.exception("the index writer of a batch failed")
            self.failed = True
        finally:
            self.sync.writer.abandon()
            if self.writer is not None:
                try:
                    self.writer.close()
                except Exception:  # as in add
                    logger.exception("the keyword index writer of a batch failed")
                    self.failed = True


def start(state: AppState, job_id: int, syncer: Syncer | None) -> None:
    """Run the job in a background thread; the request that calls this returns at once.

    ``syncer`` None means the real indexes, updated chunk by chunk as the batch goes (a test
    gives a syncer of its own, called once with every changed id)."""
    _threads.start(job_id, lambda: _run(state, job_id, syncer))


def wait_all(timeout: float = 120) -> bool:
    """Wait for every batch thread of this process; returns whether all ended."""
    return _threads.wait_all(timeout)


def orphaned(job: BatchJob) -> bool:
    """Whether an active job has no thread left to finish it."""
    if job.status not in ACTIVE:
        return False
    if job.worker is None:
        created = job.created_at
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        return utcnow() - created > QUEUE_GRACE and not _threads.alive(job.id)
    if job.worker == PROCESS_TOKEN:
        return not _threads.alive(job.id)
    if holder_gone(job.worker):
        return True
    # This process's pid under another token: the process that ran it is gone (a restart).
    host, _, rest = job.worker.partition(":")
    return host == socket.gethostname() and rest.partition(":")[0] == str(os.getpid())


def settle(session: Session, job: BatchJob) -> BatchJob:
    """Mark an orphaned job as interrupted before it is shown."""
    if orphaned(job):
        session.execute(
            update(BatchJob)
            .where(BatchJob.id == job.id, BatchJob.status.in_(ACTIVE))
            .values(
                status=BatchStatus.INTERRUPTED, message=INTERRUPTED_MESSAGE, finished_at=utcnow()
            )
        )
        session.commit()
        session.refresh(job)
    return job


def _run(state: AppState, job_id: int, syncer: Syncer | None) -> None:
    try:
        with state.session_factory() as session:
            _execute(session, job_id, state.settings, syncer)
    except Exception:  # anything at all: the job must end in a state a person can read
        logger.exception("batch job %s failed", job_id)
        with state.session_factory() as session:
            job = session.get(BatchJob, job_id)
            if job is not None:
                job.status = BatchStatus.FAILED
                job.finished_at = utcnow()
                session.commit()
    finally:
        _threads.forget(job_id)


def _execute(session: Session, job_id: int, settings: Settings, syncer: Syncer | None) -> None:
    job = session.get(BatchJob, job_id)
    if job is None:
        return
    job.status = BatchStatus.RUNNING
    job.worker = PROCESS_TOKEN
    job.started_at = utcnow()
    session.commit()
    user = session.get(User, job.user_id)
    actor = user.email if user else "batch"
    if syncer is None:
        indexer = ChunkIndexer(settings)
        try:
            run_batch(
                session,
                job,
                actor=actor,
                committed=lambda ids: indexer.add(session, ids),
                read_copy=read_copy,
            )
        finally:
            # Also after a failed batch: the chunks committed so far are indexed and the
            # writer's lock is let go (the change log keeps whatever was not applied).
            indexer.finish(session)
        indexed = not indexer.failed
    else:
        changed = run_batch(session, job, actor=actor, read_copy=read_copy)
        indexed = not changed or sync_with(syncer, session, changed)
    if not indexed:
        job.message = INDEX_FAILED_MESSAGE
    job.status = BatchStatus.FINISHED
    job.finished_at = utcnow()
    session.commit()


def sync_with(syncer: Syncer, session: Session, ware_ids: list[int]) -> bool:
    """Run ``syncer``; a failure is logged and reported, as in ``ChunkIndexer``."""
    try:
        syncer(session, ware_ids)
    except Exception:  # see ChunkIndexer
        logger.exception("index update failed for %s wares of a batch", len(ware_ids))
        return False
    return True
