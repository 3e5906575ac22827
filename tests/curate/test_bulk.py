"""Bulk upload in the background: records plus a ZIP of photographs, the progress page, the
partner's rules, a restart mid-run, and a report safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile

from sqlalchemy import select

from archive.curation import BulkJob, JobStatus
from archive.models import User, Ware, WareStatus
from tests.conftest import make_image_bytes
from tests.curate.conftest import EMAILS, Site, sign_in
from tests.web.conftest import CC_BY
from web.app import create_app
from web.curate import jobs
from web.views.context import app_state

FIELDS = ["accession_number", "title_en", "rights", "images", "status", "makers"]


def _csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _upload(client, token, records: bytes, name: str, photos: bytes | None = None, **extra):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token, "mapping": "potbank", "records": (io.BytesIO(records), name)}
    if photos is not None:
        data["photos"] = (io.BytesIO(photos), "photos.zip")
    data.update(extra)
    response = client.post("/curate/bulk", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert jobs.wait(job_id, 120)
    return job_id


def test_curator_uploads_csv_and_zip_and_sees_the_report(signed_in, site: Site):
    client, token = signed_in("curator")
    records = _csv(
        [
            {
                "accession_number": "B-1",
                "title_en": "Bulk vase",
                "rights": CC_BY,
                "images": "vase.jpg",
                "makers": "Spode (manufacturer)",
            },
            {"accession_number": "B-2", "title_en": "Bulk bowl, no rights"},
            {"accession_number": "", "title_en": "No number"},
            {"accession_number": "B-3", "title_en": "Missing photo", "images": "gone.jpg"},
        ]
    )
    photos = _zip({"upload/vase.jpg": make_image_bytes(seed=21)})
    job_id = _upload(
        client, token, records, "wares.csv", photos, institution="Capital Museum, Beijing"
    )
    page = client.get(f"/curate/bulk/{job_id}").get_data(as_text=True)
    assert "finished" in page
    assert "3 created" in page
    assert "no rights statement" in page
    status = client.get(f"/curate/bulk/{job_id}/status").get_json()
    assert status["status"] == "finished" and status["processed"] == status["total"] == 4
    with site.sessions() as session:
        wares = {
            ware.accession_number: ware
            for ware in session.scalars(select(Ware).where(Ware.accession_number.like("B-%")))
        }
        assert wares["B-1"].status is WareStatus.PUBLISHED
        assert len(wares["B-1"].photographs) == 1
        # Published needs a rights statement: without one the row lands as a draft.
        assert wares["B-2"].status is WareStatus.DRAFT
    assert not any((site.settings.home / "uploads").iterdir())


def test_json_records_are_accepted(signed_in, site: Site):
    client, token = signed_in("curator")
    records = json.dumps(
        [{"accession_number": "J-1", "title_en": "JSON jar", "rights": CC_BY}]
    ).encode()
    job_id = _upload(client, token, records, "export.json", institution="Capital Museum, Beijing")
    with site.sessions() as session:
        job = session.get(BulkJob, job_id)
        assert job is not None and job.status is JobStatus.FINISHED, job.message if job else None
        assert session.scalar(select(Ware).where(Ware.accession_number == "J-1")) is not None


def test_partner_rows_are_submissions_of_their_own_institution(signed_in, site: Site):
    client, token = signed_in("partner_b")
    records = _csv(
        [
            # The row claims to be published and names nobody's institution column: both ignored.
            {"accession_number": "P-1", "title_en": "Partner piece", "status": "published"},
            {"accession_number": "JCI-001", "title_en": "Resubmitted bowl"},
        ]
    )
    _upload(client, token, records, "mine.csv")
    published = site.make_ware(institution="b", status=WareStatus.PUBLISHED)
    _upload(
        client,
        token,
        _csv([{"accession_number": published.accession_number, "title_en": "Overwrite"}]),
        "again.csv",
    )
    with site.sessions() as session:
        piece = session.scalar(select(Ware).where(Ware.accession_number == "P-1"))
        assert piece is not None
        assert piece.institution_id == site.institution_b
        assert piece.status is WareStatus.SUBMITTED
        still = session.get(Ware, published.id)
        assert still is not None and still.title_en != "Overwrite"
        assert still.status is WareStatus.PUBLISHED


def test_partner_cannot_see_another_partners_upload(signed_in, site: Site):
    owner, token = signed_in("partner_a")
    job_id = _upload(owner, token, _csv([{"accession_number": "Q-1", "title_en": "Q"}]), "q.csv")
    other, _ = signed_in("partner_b")
    assert other.get(f"/curate/bulk/{job_id}").status_code == 404
    assert other.get(f"/curate/bulk/{job_id}/report.csv").status_code == 404
    assert "q.csv" not in other.get("/curate/bulk").get_data(as_text=True)


def test_report_csv_defuses_spreadsheet_formulas(signed_in, site: Site):
    client, token = signed_in("curator")
    records = _csv(
        [
            {
                "accession_number": '=HYPERLINK("http://evil.example","x")',
                "title_en": "",
            },
            {"accession_number": "@SUM(A1)", "title_en": "+cmd", "images": "-x.jpg"},
        ]
    )
    job_id = _upload(client, token, records, "evil.csv", institution="Capital Museum, Beijing")
    report = client.get(f"/curate/bulk/{job_id}/report.csv")
    assert report.status_code == 200
    rows = list(csv.DictReader(io.StringIO(report.get_data(as_text=True))))
    assert rows
    for row in rows:
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", row


def test_zip_with_traversal_names_and_a_bomb_loads_nothing_outside(signed_in, site: Site):
    client, token = signed_in("curator")
    bomb = b"\0" * (site.settings.max_upload_bytes + 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../../escape.jpg", make_image_bytes(seed=5))
        archive.writestr("bomb.jpg", bomb)
    records = _csv(
        [
            {"accession_number": "Z-1", "title_en": "Escape", "images": "../../escape.jpg"},
            {"accession_number": "Z-2", "title_en": "Bomb", "images": "bomb.jpg"},
        ]
    )
    job_id = _upload(
        client, token, records, "z.csv", buffer.getvalue(), institution="Capital Museum, Beijing"
    )
    page = client.get(f"/curate/bulk/{job_id}").get_data(as_text=True)
    assert "outside" in page and "larger than" in page
    assert not (site.settings.home.parent / "escape.jpg").exists()
    with site.sessions() as session:
        for accession in ("Z-1", "Z-2"):
            ware = session.scalar(select(Ware).where(Ware.accession_number == accession))
            assert ware is not None and ware.photographs == []


def test_a_job_whose_server_stopped_shows_as_interrupted(signed_in, site: Site):
    client, _ = signed_in("curator")
    with site.sessions() as session:
        owner = session.scalar(select(User).where(User.email == EMAILS["curator"]))
        assert owner is not None
        # The worker named is this machine under a process id that no longer runs.
        job = BulkJob(
            user_id=owner.id,
            mapping="potbank",
            source_name="big.csv",
            folder="f" * 32,
            status=JobStatus.RUNNING,
            worker=f"{os.uname().nodename}:{_dead_pid()}:abcdef12",
        )
        session.add(job)
        session.commit()
        job_id = job.id
    page = client.get(f"/curate/bulk/{job_id}").get_data(as_text=True)
    assert "interrupted" in page and "server stopped" in page
    with site.sessions() as session:
        stored = session.get(BulkJob, job_id)
        assert stored is not None and stored.status is JobStatus.INTERRUPTED


def _dead_pid() -> int:
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_the_request_returns_before_the_job_ends(signed_in, site: Site, monkeypatch):
    client, token = signed_in("curator")
    started: list[int] = []
    # The job is not run at all: the request must not have waited for it.
    monkeypatch.setattr(jobs, "start", lambda state, job_id: started.append(job_id))
    response = client.post(
        "/curate/bulk",
        data={
            "csrf_token": token,
            "mapping": "potbank",
            "records": (io.BytesIO(_csv([{"accession_number": "W-1", "title_en": "W"}])), "w.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and started
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "queued" in page and 'data-job-active="true"' in page


def test_bulk_uploads_have_their_own_larger_size_limit(settings, site: Site):
    # Small limits keep every request body under the test client's 500 KB spooling threshold,
    # so no temporary file is left for the garbage collector to close.
    small = type(settings)(**{**settings.__dict__, "max_upload_bytes": 10_000})
    app = create_app(small, testing=True)
    try:
        client = app.test_client()
        token = sign_in(client, "curator")
        rows = _csv([{"accession_number": "L-1", "title_en": "Large", "images": "a.jpg"}])
        # Over the single-photograph limit, under the bulk limit (25 times larger): accepted.
        fits = _zip({"a.jpg": make_image_bytes(seed=1), "pad.bin": os.urandom(100_000)})
        accepted = client.post(
            "/curate/bulk",
            data={
                "csrf_token": token,
                "mapping": "potbank",
                "records": (io.BytesIO(rows), "rows.csv"),
                "photos": (io.BytesIO(fits), "photos.zip"),
            },
            content_type="multipart/form-data",
        )
        assert accepted.status_code == 302
        assert jobs.wait(int(accepted.headers["Location"].split("/")[-1]), 120)
        too_big = client.post(
            "/curate/bulk",
            data={
                "csrf_token": token,
                "mapping": "potbank",
                "records": (io.BytesIO(rows), "rows.csv"),
                "photos": (io.BytesIO(os.urandom(300_000)), "photos.zip"),
            },
            content_type="multipart/form-data",
        )
        assert too_big.status_code == 413
        photo_page = client.post(
            f"/curate/wares/{site.catalogue.draft}/photos",
            data={"csrf_token": token, "photos": [(io.BytesIO(fits), "big.jpg")]},
            content_type="multipart/form-data",
        )
        assert photo_page.status_code == 413
    finally:
        app_state(app).close()
