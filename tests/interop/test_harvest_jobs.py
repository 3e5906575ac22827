"""Harvests as jobs that survive: ``potbank ingest oai:URL`` killed with SIGKILL half-way is
marked interrupted (its job and its ingest run, with the reason) and its photographs' work
folder goes; the status page offers to resume it and the resumed harvest loads every record; a
harvest started from the status page runs as a job with progress; ``potbank jobs resume``
resumes from the command line. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from archive.jobs import INTERRUPTED_REASON, Job, interrupt_expired
from archive.models import AuditEvent, IngestRun, Photograph, Ware
from archive.settings import Settings
from tests.conftest import ADMIN_EMAIL as ADMIN
from tests.conftest import admin_client
from tests.curate.conftest import page_token
from tests.interop.fake_oai import fake_remote
from web import operations
from web.chores import run_chores
from web.cli import main
from web.views.context import app_state

ROOT = Path(__file__).resolve().parents[2]


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "POTBANK_HOME": str(settings.home),
        "POTBANK_DATABASE_URL": settings.database_url,
        "PYTHONPATH": str(ROOT),
    }


def _count(session_factory, column) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count(column))) or 0)


@pytest.mark.slow
def test_a_killed_harvest_is_marked_interrupted_and_resumes(settings, session_factory, admin_app):
    with fake_remote(pages=12, per_page=40, delay=0.4) as remote:
        command = [sys.executable, "-c", "from web.cli import main; main()"]
        command += ["ingest", f"oai:{remote.endpoint}"]
        process = subprocess.Popen(
            command,
            env=_env(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 240
        # Half-way: some wares committed, pages still to come.
        while _count(session_factory, Ware.id) == 0:
            assert process.poll() is None, process.communicate()[0].decode()
            assert time.monotonic() < deadline, "the harvest never loaded a batch"
            time.sleep(0.05)
        assert remote.pages_served < remote.pages
        with session_factory() as session:
            job = session.scalars(select(Job).where(Job.kind == "harvest")).one()
            assert job.status == "running" and job.started_by == "command line"
            assert job.params["endpoint"] == remote.endpoint
            work = settings.home / "jobs" / str(job.id)
            assert work.is_dir()  # the photographs fetched wait here, not in /tmp
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)

        # Its process is gone: whoever looks next (the status page here) says so at once.
        client = admin_client(admin_app)
        page = client.get("/curate/status").get_data(as_text=True)
        assert 'data-testid="job-resume"' in page
        with session_factory() as session:
            job = session.get(Job, job.id)
            assert job.status == "interrupted" and job.message == INTERRUPTED_REASON
            assert job.exclusive_key is None
            run = session.get(IngestRun, job.ingest_run_id)
            assert run.status == "interrupted" and run.finished_at is not None
        assert "its process stopped" in client.get(f"/curate/jobs/{job.id}").get_data(as_text=True)
        run_chores(app_state(admin_app))
        assert not work.exists()

        token = page_token(client, "/curate/status")
        response = client.post(f"/curate/jobs/{job.id}/resume", data={"csrf_token": token})
        assert response.headers["Location"].endswith(f"/curate/jobs/{job.id}")
        assert operations.wait_all(300)
        state = client.get(f"/curate/jobs/{job.id}/status").get_json()
        assert state["status"] == "finished", state
        assert state["attempts"] == 2 and state["processed"] == remote.records
        assert "Harvested" in state["message"]
    assert _count(session_factory, Ware.id) == remote.records
    assert _count(session_factory, Photograph.id) == remote.records
    with session_factory() as session:
        assert "running" not in set(session.scalars(select(IngestRun.status)))
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "resume"))
    assert not (settings.home / "jobs" / str(job.id)).exists()


def test_a_harvest_started_from_the_status_page_is_a_job_with_progress(
    settings, session_factory, admin_app
):
    client = admin_client(admin_app)
    token = page_token(client, "/curate/status")
    refused = client.post(
        "/curate/jobs/harvest", data={"csrf_token": token, "endpoint": "file:///etc/passwd"}
    )
    assert refused.status_code == 302 and _count(session_factory, Job.id) == 0
    with fake_remote(pages=2, per_page=5) as remote:
        response = client.post(
            "/curate/jobs/harvest",
            data={"csrf_token": token, "endpoint": remote.endpoint, "collection": "Harvested"},
        )
        assert response.status_code == 302
        job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
        page = client.get(f"/curate/jobs/{job_id}").get_data(as_text=True)
        assert "data-job-status" in page
        assert operations.wait_all(120)
    state = client.get(f"/curate/jobs/{job_id}/status").get_json()
    assert state["status"] == "finished" and state["processed"] == 10
    with session_factory() as session:
        job = session.get(Job, job_id)
        assert job.started_by == ADMIN and job.kind == "harvest"
        assert session.get(IngestRun, job.ingest_run_id).status == "finished"
    status_page = client.get("/curate/status").get_data(as_text=True)
    assert f'data-job-id="{job_id}"' in status_page and ADMIN in status_page
    # A remote that does not answer: the job fails with a plain reason, nothing runs on.
    response = client.post(
        "/curate/jobs/harvest", data={"csrf_token": token, "endpoint": "http://127.0.0.1:9/oai"}
    )
    failed_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert operations.wait_all(60)
    state = client.get(f"/curate/jobs/{failed_id}/status").get_json()
    assert state["status"] == "failed" and state["message"].startswith("cannot harvest")
    assert "Traceback" not in state["message"]


def test_potbank_jobs_resume_finishes_an_interrupted_harvest(settings, session_factory):
    with fake_remote(pages=2, per_page=3) as remote:
        with session_factory() as session:
            # As a killed `potbank ingest oai:` leaves it once its death is noticed.
            job = Job(
                kind="harvest",
                label=f"oai:{remote.endpoint}",
                status="interrupted",
                message=INTERRUPTED_REASON,
                params={"endpoint": remote.endpoint, "image_hosts": []},
            )
            session.add(job)
            session.commit()
            job_id = job.id
        env = {"POTBANK_HOME": str(settings.home), "POTBANK_DATABASE_URL": settings.database_url}
        result = CliRunner().invoke(main, ["jobs", "resume", str(job_id)], env=env)
        assert result.exit_code == 0, result.output
        assert "6 created" in result.output
        listed = CliRunner().invoke(main, ["jobs", "list"], env=env)
        assert f"{job_id}\tharvest\tfinished\t6" in listed.output
        again = CliRunner().invoke(main, ["jobs", "resume", str(job_id)], env=env)
        assert again.exit_code == 1 and "is finished" in again.output
    with session_factory() as session:
        assert session.get(Job, job_id).attempts == 2
        interrupt_expired(session)
        assert "running" not in set(session.scalars(select(IngestRun.status)))
