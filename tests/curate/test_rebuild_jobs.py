"""Index rebuilds as jobs that survive, with real processes: while ``potbank index rebuild``
runs, a rebuild asked for on the status page is refused (one job per index folder, whichever
door); the CLI's rebuild killed with SIGKILL shows as interrupted with a resume button; resumed
from the web it shows its progress and completes, publishing a new generation. On SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import signal
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from archive.jobs import Job
from archive.models import AuditEvent, Photograph
from archive.settings import Settings
from index.generations import Generations
from index.sync import IndexSync
from ingest.native import TEMPLATE_COLUMNS
from ingest.pipeline import IngestOptions, ingest_native_csv
from tests.conftest import ADMIN_EMAIL, admin_client, distinct_image_bytes
from tests.curate.conftest import page_token
from tests.index.test_kill_rebuild import _potbank, _wait_for_folder
from web import operations
from web.cli import main
from web.operations import Operation

PHOTOS = 240


def _catalogue_with_photographs(settings: Settings, session_factory, count: int) -> None:
    folder = settings.home / "source"
    (folder / "images").mkdir(parents=True)
    path = folder / "wares.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TEMPLATE_COLUMNS)
        writer.writeheader()
        for number in range(count):
            name = f"rb-{number:04d}.jpg"
            (folder / "images" / name).write_bytes(distinct_image_bytes((200, 150), seed=number))
            writer.writerow(
                {
                    "accession_number": f"RB-{number:04d}",
                    "title_en": f"Rebuilt jar {number}",
                    "images": name,
                }
            )
    ingest_native_csv(
        settings,
        session_factory,
        path,
        IngestOptions(institution="Rebuild Museum", images_dir=folder / "images"),
    )


def _rebuild_jobs(session_factory) -> list[Job]:
    with session_factory() as session:
        return list(session.scalars(select(Job).where(Job.kind == "rebuild").order_by(Job.id)))


@pytest.mark.slow
def test_rebuilds_run_one_at_a_time_survive_a_kill_and_show_progress(
    settings, session_factory, admin_app
):
    _catalogue_with_photographs(settings, session_factory, PHOTOS)
    generations = Generations(settings.index_dir)
    client = admin_client(admin_app)

    process = _potbank(settings, "index", "rebuild")
    _wait_for_folder(generations, "g000002", process)
    (cli_job,) = _rebuild_jobs(session_factory)
    assert cli_job.status == "running" and cli_job.started_by == "command line"
    # A second rebuild, from the web, is refused and pointed at the running one.
    token = page_token(client, "/curate/status")
    refused = client.post("/curate/jobs/rebuild", data={"csrf_token": token})
    assert refused.headers["Location"].endswith(f"/curate/jobs/{cli_job.id}")
    assert len(_rebuild_jobs(session_factory)) == 1

    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    status_page = client.get("/curate/status").get_data(as_text=True)
    assert 'data-testid="job-resume"' in status_page
    (cli_job,) = _rebuild_jobs(session_factory)
    assert cli_job.status == "interrupted" and "stopped" in cli_job.message
    assert generations.current().name == "g000001"  # the killed rebuild never published

    response = client.post(f"/curate/jobs/{cli_job.id}/resume", data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/curate/jobs/{cli_job.id}")
    page = client.get(f"/curate/jobs/{cli_job.id}").get_data(as_text=True)
    assert f'data-job-status="/curate/jobs/{cli_job.id}/status"' in page
    seen = []
    deadline = time.monotonic() + 300
    while (state := client.get(f"/curate/jobs/{cli_job.id}/status").get_json())["active"]:
        seen.append((state["processed"], state["total"]))
        assert time.monotonic() < deadline, "the resumed rebuild never ended"
        time.sleep(0.1)
    assert operations.wait_all(60)
    # Progress was shown while it ran: photographs embedded out of how many.
    assert any(done > 0 and total == PHOTOS for done, total in seen), seen[-5:]
    assert state["status"] == "finished", state
    assert (state["processed"], state["total"]) == (PHOTOS, PHOTOS)
    assert state["message"].startswith(f"Rebuilt: {PHOTOS} wares")
    assert generations.current().name == "g000003"
    with session_factory() as session:
        assert session.scalar(select(func.count(Photograph.id))) == PHOTOS
        assert IndexSync(settings).verify(session).clean
        resumed = session.scalar(select(AuditEvent).where(AuditEvent.action == "resume"))
        assert resumed.actor == ADMIN_EMAIL and resumed.entity_id == cli_job.id
    assert (jobs := _rebuild_jobs(session_factory))[0].attempts == 2 and len(jobs) == 1


def test_a_second_rebuild_is_refused_by_either_door_while_one_runs(
    settings, session_factory, admin_app
):
    client = admin_client(admin_app)
    # A rebuild held by a live process (this one), as a running CLI or server holds it.
    lease = operations.begin(settings, session_factory, Operation.rebuild(), "command line")
    token = page_token(client, "/curate/status")
    refused = client.post("/curate/jobs/rebuild", data={"csrf_token": token})
    assert refused.headers["Location"].endswith(f"/curate/jobs/{lease.job_id}")
    followed = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "already running" in followed
    env = {"POTBANK_HOME": str(settings.home), "POTBANK_DATABASE_URL": settings.database_url}
    cli = CliRunner().invoke(main, ["index", "rebuild"], env=env)
    assert cli.exit_code == 1 and "already running" in cli.output
    assert [job.id for job in _rebuild_jobs(session_factory)] == [lease.job_id]

    lease.finish("finished")
    started = client.post("/curate/jobs/rebuild", data={"csrf_token": token})
    job_id = int(started.headers["Location"].rstrip("/").split("/")[-1])
    assert job_id != lease.job_id
    assert operations.wait_all(120)
    state = client.get(f"/curate/jobs/{job_id}/status").get_json()
    assert state["status"] == "finished" and state["message"].startswith("Rebuilt: 0 wares")
    # Another machine's index folder (its own instance id) is rebuilt independently.
    elsewhere = Settings(**{**vars(settings), "home": settings.home / "elsewhere"})
    assert Operation.rebuild().exclusive_key(elsewhere) != Operation.rebuild().exclusive_key(
        settings
    )
