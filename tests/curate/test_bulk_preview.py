"""The bulk upload's dry run and mapping screen: the first rows as they will be catalogued and
every problem of the file with nothing written, a mapping built from the columns and saved as a
profile (reused by the web and the CLI), the import of the kept files, honest progress, and
problems errors first in line order with unused photographs grouped."""

from __future__ import annotations

import csv
import io
import re
import tomllib
import zipfile
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from archive.curation import BulkJob, JobStatus
from archive.models import AuditEvent, IngestRun, Photograph, User, Ware
from ingest.profiles import load_profile, saved_profiles_dir
from ingest.records import IngestProblem, ordered
from tests.conftest import make_image_bytes
from tests.curate.conftest import EMAILS, Site
from tests.web.conftest import CC_BY
from web.cli import main
from web.curate import jobs
from web.curate.bulk import job_state

MUSEUM = "Capital Museum, Beijing"
# A museum's own export: none of its column names is a catalogue field's.
HEADER = ["Object No.", "Name", "Maker", "Date", "Medium", "Place", "Photo", "Licence", "Note"]


def _museum_csv(count: int = 25) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for number in range(1, count + 1):
        writer.writerow(
            [
                f"MX-{number}",
                f"Bowl {number}",
                "Spode (manufacturer)",
                "circa 1430" if number != 24 else "in the reign of nobody",
                "porcelain",
                "Jingdezhen",
                f"p{number}.jpg" if number <= 3 else "",
                CC_BY,
                "kept raw",
            ]
        )
    # Problems past the first 20 rows: the dry run must still report them (line = row + 1).
    writer.writerow(["", "No number", "", "", "", "", "", "", ""])  # line 27: an error
    writer.writerow(["MX-5", "Twice", "", "", "", "", "", CC_BY, ""])  # line 28: a repeat
    return buffer.getvalue().encode()


def _photos_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("p1.jpg", make_image_bytes(seed=61))
        archive.writestr("p2.jpg", make_image_bytes(seed=62))
        archive.writestr("p3.jpg", b"not an image at all")
        for spare in ("spare-a.jpg", "spare-b.jpg", "spare-c.jpg"):
            archive.writestr(spare, make_image_bytes(seed=70 + len(spare)))
    return buffer.getvalue()


def _preview(client, token, records: bytes, name: str = "museum.csv", **extra) -> str:  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": token,
        "action": "preview",
        "mapping": "",
        "records": (io.BytesIO(records), name),
        "photos": (io.BytesIO(_photos_zip()), "photos.zip"),
        "institution": MUSEUM,
        **extra,
    }
    response = client.post("/curate/bulk", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert re.search(r"/curate/bulk/preview/[0-9a-f]{32}$", location), location
    return location


def _snapshot(site: Site) -> dict[str, object]:
    """Everything a dry run must leave as it was: catalogue rows, store and index files."""
    with site.sessions() as session:
        counts = {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Ware, Photograph, IngestRun, BulkJob, AuditEvent)
        }

    def files(root: Path) -> list[tuple[str, int, int]]:
        if not root.exists():
            return []
        return sorted(
            (str(path.relative_to(root)), path.stat().st_size, path.stat().st_mtime_ns)
            for path in root.rglob("*")
            if path.is_file()
        )

    return {
        "rows": counts,
        "store": files(site.settings.store_dir),
        "index": files(site.settings.index_dir),
    }


def _mapping_form(page: str) -> dict[str, str]:
    """The mapping screen's selects as the page sets them (what a browser would post)."""
    form = {"assigned": "1"}
    for found in re.finditer(r'<select id="(target-\d+)".*?</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', found.group(0))
        form[found.group(1)] = chosen.group(1) if chosen else ""
    profile = re.search(r'name="profile".*?<option value="([^"]*)" selected>', page, re.S)
    form["profile"] = profile.group(1) if profile else ""
    return form


def _column_index(page: str, column: str) -> str:
    match = re.search(rf'<select id="(target-\d+)" name="target-\d+" data-column="{column}"', page)
    assert match, column
    return match.group(1)


def test_the_dry_run_shows_rows_as_catalogued_and_every_problem_and_writes_nothing(
    signed_in, site: Site
):
    client, token = signed_in("curator")
    before = _snapshot(site)
    location = _preview(client, token, _museum_csv())
    page = client.get(location).get_data(as_text=True)
    # The columns were guessed from their names: nothing to map by hand for this file.
    form = _mapping_form(page)
    assert form[_column_index(page, "Object No.")] == "accession_number"
    assert form[_column_index(page, "Maker")] == "makers"
    assert form[_column_index(page, "Note")] == ""
    # The first 20 rows as they will be catalogued: title, maker, years parsed, photo found.
    rows = page.split('data-testid="preview-rows"')[1].split("</table>")[0]
    assert rows.count("<tr data-line=") == 20
    assert "Bowl 1" in rows and "Bowl 20" in rows and "Bowl 21" not in rows
    assert "Spode" in rows and "manufacturer" in rows
    assert "porcelain" in rows and "Jingdezhen" in rows
    assert re.search(r"circa 1430 <span[^>]*>\[14\d\d–14\d\d\]", rows), rows[:2000]
    assert "✓ p1.jpg" in rows and "✗ p3.jpg" in rows
    # Every problem of the whole file, errors first, each in line order.
    problems = page.split('data-testid="problems"')[1].split("</table>")[0]
    severities = re.findall(r'data-severity="(\w+)"', problems)
    lines = [int(n) for n in re.findall(r"<td>(\d+)</td>", problems)]
    assert severities == sorted(severities)  # "error" < "warning"
    errors = severities.count("error")
    assert lines[:errors] == sorted(lines[:errors])
    assert "the accession number is missing" in problems
    assert "duplicate accession number in this file (first on line 6)" in problems
    assert "p3.jpg: not an image" in problems
    assert "date not recognised" in problems  # line 25, past the sample
    # The spare photographs are one grouped warning, their names behind a disclosure.
    assert problems.count("named by no row") == 1
    assert "3 photographs in the source named by no row" in problems
    assert "<details>" in problems and "spare-b.jpg" in problems
    assert "27 rows: 25 would be loaded, 2 refused" in page
    assert "2 of 3 photographs found" in page
    assert "25 new wares, 0 already in the catalogue" in page
    # Updating the preview with another mapping is a dry run too.
    form[_column_index(page, "Note")] = "marks"
    again = client.post(location, data={"csrf_token": token, **form})
    assert again.status_code == 200
    assert _snapshot(site) == before

    # Import: the kept files are loaded with the mapping on the screen, not sent again.
    response = client.post(f"{location}/import", data={"csrf_token": token, **form})
    assert response.status_code == 302, response.get_data(as_text=True)
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert jobs.wait(job_id, 120)
    state = client.get(f"/curate/bulk/{job_id}/status").get_json()
    assert state["status"] == "finished", state
    assert state["total"] == state["processed"] == 27
    assert state["photos_total"] == 3 and state["photos_done"] == 2
    with site.sessions() as session:
        ware = session.scalar(select(Ware).where(Ware.accession_number == "MX-2"))
        assert ware is not None and ware.title_en == "Bowl 2" and ware.marks == "kept raw"
        assert ware.year_earliest is not None and ware.material == "porcelain"
        assert len(ware.photographs) == 1
        count = session.scalar(
            select(func.count(Ware.id)).where(Ware.accession_number.like("MX-%"))
        )
        assert count == 25
        job = session.get(BulkJob, job_id)
        assert job is not None and job.mapping == "columns"
    # The preview is gone once imported: it cannot be imported twice.
    assert client.get(location).status_code == 404


def test_a_mapping_saved_as_a_profile_is_reused_by_the_web_and_the_cli(
    signed_in, site: Site, tmp_path
):
    client, token = signed_in("curator")
    location = _preview(client, token, _museum_csv(3))
    page = client.get(location).get_data(as_text=True)
    form = _mapping_form(page)
    form[_column_index(page, "Note")] = "description_en"
    for bad in ("../evil", "Potbank", "potbank", ""):
        refused = client.post(
            f"{location}/profile",
            data={"csrf_token": token, **form, "profile_name": bad},
        )
        assert refused.status_code == 422, bad
    assert not list(saved_profiles_dir(site.settings.home).glob("*.toml"))
    saved = client.post(
        f"{location}/profile",
        data={
            "csrf_token": token,
            **form,
            "profile_name": "museum-x",
            "profile_description": 'Museum X "export"',
        },
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)
    path = saved_profiles_dir(site.settings.home) / "museum-x.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["fields"]["accession_number"] == "Object No."
    assert data["fields"]["description_en"] == "Note"
    assert data["profile"]["description"] == 'Museum X "export"'
    assert not str(path).startswith(str(Path(__file__).resolve().parents[2]))
    # Now chosen on the screen, and offered for later uploads.
    assert re.search(r'<option value="museum-x" selected>', saved.get_data(as_text=True))
    assert 'value="museum-x"' in client.get("/curate/bulk").get_data(as_text=True)
    with site.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "save_profile"))
        assert event is not None and event.after["profile"]["name"] == "museum-x"
    # A later upload with the profile by name.
    later = _preview(client, token, _museum_csv(2), mapping="museum-x")
    page = client.get(later).get_data(as_text=True)
    assert _mapping_form(page)["profile"] == "museum-x"
    assert "Bowl 2" in page
    # And the command line, by name, from the same instance.
    source = tmp_path / "museum.csv"
    source.write_bytes(_museum_csv(2))
    env = {
        "POTBANK_HOME": str(site.settings.home),
        "POTBANK_DATABASE_URL": site.settings.database_url,
    }
    result = CliRunner().invoke(
        main, ["ingest", str(source), "--profile", "museum-x", "--institution", MUSEUM], env=env
    )
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output  # MX-1, MX-2 and the file's MX-5
    with site.sessions() as session:
        ware = session.scalar(select(Ware).where(Ware.accession_number == "MX-1"))
        assert ware is not None and ware.description_en == "kept raw"
    assert load_profile("museum-x", site.settings.home).description == 'Museum X "export"'
    # The same file again: the dry run says each row updates a ware already catalogued.
    page = client.get(_preview(client, token, _museum_csv(2), mapping="museum-x"))
    text = page.get_data(as_text=True)
    assert "0 new wares, 3 already in the catalogue (updated)" in text
    assert text.count("updates the ware") == 3


def test_partners_cannot_save_profiles_or_open_anothers_preview(signed_in, site: Site):
    curator, curator_token = signed_in("curator")
    location = _preview(curator, curator_token, _museum_csv(2))
    partner, partner_token = signed_in("partner_a")
    assert partner.get(location).status_code == 404
    assert partner.post(f"{location}/import", data={"csrf_token": partner_token}).status_code == 404
    own = _preview(partner, partner_token, _museum_csv(2))
    response = partner.post(
        f"{own}/profile", data={"csrf_token": partner_token, "profile_name": "mine"}
    )
    assert response.status_code in (403, 404)
    assert not saved_profiles_dir(site.settings.home).exists()
    # A partner's dry run shows the rows as submissions of the partner's institution.
    assert "submitted" in partner.get(own).get_data(as_text=True)


def test_a_saved_profile_broken_by_hand_is_left_out_not_a_failed_page(signed_in, site: Site):
    folder = saved_profiles_dir(site.settings.home)
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text("[fields\naccession_number = ", encoding="utf-8")
    client, token = signed_in("curator")
    form = client.get("/curate/bulk")
    assert form.status_code == 200 and 'value="broken"' not in form.get_data(as_text=True)
    location = _preview(client, token, _museum_csv(2))
    page = client.post(location, data={"csrf_token": token, "profile": "broken"})
    assert page.status_code == 200
    assert "This mapping cannot be used" in page.get_data(as_text=True)
    refused = client.post(f"{location}/import", data={"csrf_token": token, "profile": "broken"})
    assert refused.status_code == 422


def test_a_discarded_upload_leaves_nothing_behind(signed_in, site: Site):
    client, token = signed_in("curator")
    before = _snapshot(site)
    location = _preview(client, token, _museum_csv(2))
    folder = site.settings.home / "uploads" / location.rsplit("/", 1)[1]
    assert folder.is_dir()
    response = client.post(f"{location}/discard", data={"csrf_token": token})
    assert response.status_code == 302
    assert not folder.exists()
    assert client.get(location).status_code == 404
    assert _snapshot(site) == before


def test_hostile_mapping_input_is_refused_or_ignored(signed_in, site: Site):
    client, token = signed_in("curator")
    location = _preview(client, token, _museum_csv(2))
    # An unknown field, a path for a profile, a token that is not one: never a 500.
    odd = {"csrf_token": token, "assigned": "1", "target-0": "__class__", "profile": "../x"}
    response = client.post(location, data=odd)
    assert response.status_code == 200
    assert "the profile must say where the accession number comes from" in response.get_data(
        as_text=True
    )
    assert client.post(f"{location}/import", data=odd).status_code == 422
    assert client.get("/curate/bulk/preview/..%2F..%2Fetc").status_code == 404
    assert client.get("/curate/bulk/preview/" + "g" * 32).status_code == 404


def test_progress_says_it_is_reading_until_the_rows_are_counted(signed_in, site: Site):
    client, _ = signed_in("curator")
    with site.sessions() as session:
        owner = session.scalar(select(User).where(User.email == EMAILS["curator"]))
        assert owner is not None
        job = BulkJob(
            user_id=owner.id,
            mapping="potbank",
            source_name="big.csv",
            folder="e" * 32,
            phase=jobs.Phase.READING,
        )
        session.add(job)
        session.commit()
        job_id = job.id
        state = job_state(job)
        assert state["total"] is None and state["phase"] == "reading"
        page = client.get(f"/curate/bulk/{job_id}").get_data(as_text=True)
        assert "Reading the file: counting its rows" in page
        assert not re.search(r">0</span> / <span[^>]*>0</span>", page.split("hidden")[0])
        # Counted: rows done of a known total, and the photographs.
        job.phase, job.total_rows, job.processed_rows = jobs.Phase.LOADING, 500, 120
        job.photos_total, job.photos_done = 40, 9
        session.commit()
        state = client.get(f"/curate/bulk/{job_id}/status").get_json()
        assert (state["total"], state["processed"], state["phase"]) == (500, 120, "loading")
        assert (state["photos_total"], state["photos_done"]) == (40, 9)
        job.status = JobStatus.FINISHED
        session.commit()


def test_problems_are_errors_first_then_warnings_each_in_line_order():
    problems = [
        IngestProblem(9, "A", "date_text", "late warning", "warning"),
        IngestProblem(0, None, "images", "unused", "warning"),
        IngestProblem(7, "B", "images", "late error"),
        IngestProblem(3, "C", "date_text", "early warning", "warning"),
        IngestProblem(2, "D", "accession_number", "early error"),
    ]
    assert [p.reason for p in ordered(problems)] == [
        "early error",
        "late error",
        "unused",
        "early warning",
        "late warning",
    ]


def test_a_finished_job_lists_errors_first_and_groups_unused_photographs(signed_in, site: Site):
    client, token = signed_in("curator")
    records = _museum_csv(3)
    data = {
        "csrf_token": token,
        "mapping": "potbank",
        "records": (io.BytesIO(records), "m.csv"),
        "photos": (io.BytesIO(_photos_zip()), "photos.zip"),
        "institution": MUSEUM,
    }
    # A script's upload (no dry run) with the native profile: every row lacks an accession.
    response = client.post("/curate/bulk", data=data, content_type="multipart/form-data")
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert jobs.wait(job_id, 120)
    with site.sessions() as session:
        job = session.get(BulkJob, job_id)
        assert job is not None and job.status is JobStatus.FINISHED, job.message if job else ""
        found = job.problems
    severities = [problem["severity"] for problem in found]
    assert severities == sorted(severities)
    errors = [problem["line"] for problem in found if problem["severity"] == "error"]
    assert errors == sorted(errors) and len(errors) == 5
    unused = [problem for problem in found if "named by no row" in problem["reason"]]
    assert len(unused) == 1 and len(unused[0]["details"]) == 6
    report = client.get(f"/curate/bulk/{job_id}/report.csv").get_data(as_text=True)
    assert "spare-a.jpg; spare-b.jpg" in report
