"""A serving process's chores: every minute (and once at start) mark jobs whose process died as
interrupted, and remove the files of jobs that ended or were abandoned: upload folders
(``web.curate.jobs``) and job work folders (``archive.jobs``). Without them an interrupted upload
nobody looks at again would keep its folder, and its job would say "running", for good.

Every worker of ``potbank serve`` runs them; each step is safe to run twice at once (updates are
conditional, removals ignore what is already gone).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import select

from archive.curation import BulkJob
from archive.jobs import interrupt_expired, remove_stale_work_folders
from web.curate import jobs as bulk_jobs
from web.views.context import AppState

logger = logging.getLogger(__name__)

CHORES_SECONDS = 60.0


def run_chores(state: AppState) -> None:
    """One round of the chores (see the module docstring)."""
    with state.session_factory() as session:
        interrupt_expired(session)
        for job in session.scalars(select(BulkJob).where(BulkJob.status.in_(bulk_jobs.ACTIVE))):
            bulk_jobs.settle(session, job)
        bulk_jobs.remove_abandoned_uploads(state, session)
        remove_stale_work_folders(session, state.settings)


def start_chores(state: AppState, every: float = CHORES_SECONDS) -> Callable[[], None]:
    """Run the chores now and then every ``every`` seconds in a daemon thread; returns a
    function that stops it."""
    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                run_chores(state)
            except Exception:  # the next round retries
                logger.exception("serving chores failed")
            if stop.wait(every):
                return

    thread = threading.Thread(target=loop, name="potbank-chores", daemon=True)
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=30)

    return stopper
