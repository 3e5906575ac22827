"""The serving chores (web.chores) on every path an upload or job folder can be left on: an
upload whose worker died is settled as interrupted and keeps its files for a resume; one not
resumed within a day, one that ended, and one no job names lose theirs; a dead job's work folder
goes; nothing is left "running"."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import select

from archive.curation import BulkJob, JobStatus
from archive.jobs import Job, begin_job, work_folder
from archive.models import User, utcnow
from tests.curate.conftest import EMAILS, Site
from web.chores import run_chores, start_chores
from web.curate import jobs
from web.views.context import app_state


def _dead_worker() -> str:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:gone"


def _upload(site: Site, folder: str, status: JobStatus, **values: object) -> int:
    with site.sessions() as session:
        owner = session.scalar(select(User).where(User.email == EMAILS["curator"]))
        job = BulkJob(
            user_id=owner.id,
            mapping="potbank",
            source_name=f"{folder}.csv",
            folder=folder,
            status=status,
            **values,
        )
        session.add(job)
        session.commit()
        (site.settings.home / "uploads" / folder).mkdir(parents=True)
        (site.settings.home / "uploads" / folder / "records.csv").write_text("a\n")
        return job.id


def test_chores_settle_dead_uploads_and_remove_every_folder_left_behind(app, site: Site):
    uploads = site.settings.home / "uploads"
    now = utcnow()
    dead = _upload(site, "dead", JobStatus.RUNNING, worker=_dead_worker())
    _upload(site, "recent", JobStatus.INTERRUPTED, finished_at=now - timedelta(hours=1))
    _upload(site, "stale", JobStatus.INTERRUPTED, finished_at=now - timedelta(hours=25))
    _upload(site, "done", JobStatus.FINISHED, finished_at=now)
    _upload(site, "failed", JobStatus.FAILED, finished_at=now)
    unclaimed = uploads / "unclaimed"
    unclaimed.mkdir()
    two_hours_ago = time.time() - 7200
    os.utime(unclaimed, (two_hours_ago, two_hours_ago))
    (uploads / "just-saved").mkdir()  # a request between saving its files and committing
    harvest = begin_job(site.sessions, "harvest", "oai:x")
    work = work_folder(site.settings, harvest.job_id)
    with site.sessions() as session:
        session.get(Job, harvest.job_id).holder = _dead_worker()
        session.commit()

    run_chores(app_state(app))

    assert sorted(path.name for path in uploads.iterdir()) == ["dead", "just-saved", "recent"]
    assert not work.exists()
    with site.sessions() as session:
        upload = session.get(BulkJob, dead)
        assert upload.status is JobStatus.INTERRUPTED
        assert jobs.resumable(app_state(app), upload)
        assert session.get(Job, harvest.job_id).status == "interrupted"
        assert "running" not in set(session.scalars(select(Job.status)))


def test_chores_run_at_start_and_then_in_a_thread(app, site: Site):
    harvest = begin_job(site.sessions, "harvest", "oai:y")
    with site.sessions() as session:
        session.get(Job, harvest.job_id).holder = _dead_worker()
        session.commit()
    stop = start_chores(app_state(app), every=0.1)
    try:
        deadline = time.monotonic() + 30
        while True:
            with site.sessions() as session:
                if session.get(Job, harvest.job_id).status == "interrupted":
                    break
            assert time.monotonic() < deadline, "the chores never ran"
            time.sleep(0.05)
    finally:
        stop()
