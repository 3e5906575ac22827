"""``potbank ingest``: the template, mapping profiles, reports and plain progress lines."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from ingest.native import template_csv
from web.cli import main


def _env(settings) -> dict[str, str]:
    return {"POTBANK_HOME": str(settings.home), "POTBANK_DATABASE_URL": settings.database_url}


def test_template_is_printed_without_a_source():
    result = CliRunner().invoke(main, ["ingest", "--template"])
    assert result.exit_code == 0
    assert result.stdout_bytes == template_csv().encode("utf-8")


def test_a_source_is_required_otherwise():
    result = CliRunner().invoke(main, ["ingest"])
    assert result.exit_code != 0 and "SOURCE" in result.output


def test_unknown_mapping_is_a_usage_error(tmp_path):
    source = tmp_path / "wares.csv"
    source.write_text("accession_number\nA\n")
    result = CliRunner().invoke(main, ["ingest", str(source), "--mapping", "nope"])
    assert result.exit_code == 2 and "no mapping profile 'nope'" in result.output


def test_json_export_with_a_profile_and_a_csv_report(settings, tmp_path):
    records = [
        {
            "accession_number": "=HYPERLINK(1)",
            "title": "Jug",
            "creation_date": "in the reign of nobody",
            "creator": [{"full_name": "Minton & Co.", "role": "manufacturer"}],
            "item_height": 5.0,
        },
        {"accession_number": "", "title": "No number"},
    ]
    source = tmp_path / "export.json"
    source.write_text(json.dumps(records, indent=1), encoding="utf-8")
    report = tmp_path / "report.csv"
    args = ["ingest", str(source), "--mapping", "cmoa", "--report", str(report)]
    result = CliRunner().invoke(main, args, env=_env(settings))
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in result.output
    assert "ingest: 2 records" in result.output  # plain progress lines off a terminal
    with report.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((row["line"], row["severity"], row["field"]) for row in rows) == [
        ("14", "error", "accession_number"),
        ("2", "warning", "date_text"),
    ]
    # An accession number that looks like a formula must not run as one in a spreadsheet.
    warning = next(row for row in rows if row["severity"] == "warning")
    assert warning["accession_number"] == "'=HYPERLINK(1)"


def test_unreadable_folder_is_a_clear_error(settings, tmp_path):
    (tmp_path / "a.csv").write_text("accession_number\nA\n")
    (tmp_path / "b.csv").write_text("accession_number\nB\n")
    result = CliRunner().invoke(main, ["ingest", str(tmp_path)], env=_env(settings))
    assert result.exit_code == 1 and "several tables" in result.output


def test_a_dry_run_reports_every_problem_and_writes_nothing(settings, tmp_path):
    source = tmp_path / "wares.csv"
    source.write_text(
        "accession_number,title_en,date_text,images\n"
        "D-1,Dish,circa 1430,dish.jpg\n"
        ",No number,,\n"
        "D-3,Bowl,sometime,\n"
        "D-1,Again,,\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.json"
    before = _files(settings.home)
    args = ["ingest", str(source), "--dry-run", "--institution", "M", "--report", str(report)]
    result = CliRunner().invoke(main, args, env=_env(settings))
    assert result.exit_code == 0, result.output
    assert (
        "Dry run: 4 rows, 2 would be loaded, 2 refused; 0 of 1 photographs found; "
        "3 errors, 1 warnings. Nothing was written." in result.output
    )
    problems = json.loads(report.read_text(encoding="utf-8"))
    # Errors first, each in line order, then the warnings.
    assert [(p["line"], p["severity"]) for p in problems] == [
        (2, "error"),
        (3, "error"),
        (5, "error"),
        (4, "warning"),
    ]
    # Nothing in the instance changed: no store, no index, no database file written.
    assert _files(settings.home) == before


def _files(root):  # type: ignore[no-untyped-def]
    if not root.exists():
        return []
    return sorted(
        (str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in root.rglob("*")
    )


# The priority does not depend on the catalogue's database: three real ingests, run once.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_ingest_beside_a_serving_site_lowers_its_cpu_priority(
    settings, session_factory, tmp_path
):
    """While a site's index writer holds the write lock, a bulk ingest yields the CPU to the
    site (nice 10); alone, or with --full-speed, it runs at normal priority. A real process:
    nice cannot be undone in this one."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from index.sync import IndexSync

    source = tmp_path / "wares.csv"
    source.write_text("accession_number,title_en,status\nNICE-1,Yielding jug,published\n")
    root = Path(__file__).resolve().parents[2]
    environment = {**os.environ, **_env(settings), "PYTHONPATH": str(root)}
    command = [sys.executable, "-c", "from web.cli import main; main()", "ingest", str(source)]

    def run(*extra: str) -> str:
        done = subprocess.run(
            [*command, *extra], env=environment, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "lower CPU priority" not in run()
    writer = IndexSync(settings).writer  # as a serving site's writer process holds it
    with session_factory() as session:
        assert writer.hold(session)
        try:
            assert "lower CPU priority (nice 10)" in run()
            assert "lower CPU priority" not in run("--full-speed")
        finally:
            writer.release(session)
