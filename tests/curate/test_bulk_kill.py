"""A real server killed with SIGKILL in the middle of a bulk upload: after a restart the upload
shows as interrupted with a resume button, its ingest run is not left "running", resuming it
finishes the job, and nothing is left behind (upload folder gone, indexes match)."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from archive.catalogue import get_or_create_institution
from archive.curation import BulkJob, JobStatus
from archive.jobs import Job
from archive.models import IngestRun, Role, Ware
from archive.settings import Settings
from archive.users import create_user
from index.sync import IndexSync
from tests.web.conftest import CC_BY
from tests.web.test_serve_workers import _free_port

ROOT = Path(__file__).resolve().parents[2]
ROWS = 16000  # eight batches: time to kill it half-way
EMAIL, PASSWORD = "bulk-curator@example.org", "correct horse battery"


def _records() -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["accession_number", "title_en", "rights"])
    writer.writeheader()
    for number in range(ROWS):
        writer.writerow(
            {
                "accession_number": f"BK-{number:05d}",
                "title_en": f"Bulk kill {number}",
                "rights": CC_BY,
            }
        )
    return buffer.getvalue().encode()


def _start(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "POTBANK_HOME": str(settings.home),
        "POTBANK_DATABASE_URL": settings.database_url,
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-c", "from web.cli import main; main()", "serve"]
    command += ["--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, "the server stopped"
        try:
            requests.get(f"http://127.0.0.1:{port}/login", timeout=5)
            return process
        except requests.ConnectionError:
            assert time.monotonic() < deadline
            time.sleep(0.2)


def _token(client: requests.Session, url: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url, timeout=30).text)
    assert match, url
    return match.group(1)


def _signed_in(base: str) -> requests.Session:
    client = requests.Session()
    token = _token(client, f"{base}/login")
    response = client.post(
        f"{base}/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302
    return client


def _status(client: requests.Session, base: str, job_id: int) -> dict:
    return client.get(f"{base}/curate/bulk/{job_id}/status", timeout=30).json()


@pytest.mark.slow
def test_a_killed_bulk_upload_resumes_and_leaves_nothing_behind(settings, session_factory):
    with session_factory() as session:
        create_user(session, EMAIL, PASSWORD, Role.CURATOR)
        get_or_create_institution(session, "Kill Museum")
        session.commit()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start(settings, port)
    try:
        client = _signed_in(base)
        token = _token(client, f"{base}/curate/bulk")
        response = client.post(
            f"{base}/curate/bulk",
            data={"csrf_token": token, "mapping": "potbank", "institution": "Kill Museum"},
            files={"records": ("wares.csv", _records(), "text/csv")},
            allow_redirects=False,
            timeout=60,
        )
        assert response.status_code == 302, response.text
        job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
        deadline = time.monotonic() + 240
        while _status(client, base, job_id)["processed"] == 0:
            assert time.monotonic() < deadline, "the upload never loaded a batch"
            time.sleep(0.02)
        assert _status(client, base, job_id)["status"] == "running"
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)

        server = _start(settings, port)
        client = _signed_in(base)
        page = client.get(f"{base}/curate/bulk/{job_id}", timeout=30).text
        assert "interrupted" in page and 'data-testid="job-resume"' in page
        with session_factory() as session:
            # Its process is gone: its lease, and the ingest run it was writing, say so.
            run = session.scalars(select(IngestRun)).one()
            assert run.status == "interrupted"
            lease = session.scalars(select(Job).where(Job.bulk_job_id == job_id)).one()
            assert lease.status == "interrupted" and "stopped" in (lease.message or "")

        token = _token(client, f"{base}/curate/bulk/{job_id}")
        client.post(f"{base}/curate/bulk/{job_id}/resume", data={"csrf_token": token}, timeout=30)
        deadline = time.monotonic() + 300
        while _status(client, base, job_id)["active"]:
            assert time.monotonic() < deadline, "the resumed upload never finished"
            time.sleep(0.2)
        assert _status(client, base, job_id)["status"] == "finished"
        with session_factory() as session:
            assert session.get(BulkJob, job_id).status is JobStatus.FINISHED
            assert len(session.scalars(select(Ware.id)).all()) == ROWS
            assert "running" not in set(session.scalars(select(IngestRun.status)))
        # The server's elected index writer applies the upload's logged changes as it goes.
        deadline = time.monotonic() + 120
        while True:
            with session_factory() as session:
                drift = IndexSync(settings).verify(session)
            if drift.clean:
                break
            assert time.monotonic() < deadline, drift.lines()
            time.sleep(0.5)
        assert list((settings.home / "uploads").iterdir()) == []
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
