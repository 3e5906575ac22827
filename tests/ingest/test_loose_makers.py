"""The ingest reports a maker spelling it filed under an existing maker of another name."""

from __future__ import annotations

import csv
from pathlib import Path

from ingest.native import TEMPLATE_COLUMNS
from ingest.pipeline import IngestOptions, ingest_source


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TEMPLATE_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def test_a_loose_maker_match_is_reported_once_and_not_again(settings, session_factory, tmp_path):
    first = _csv(
        tmp_path / "first.csv",
        [{"accession_number": "W-1", "title_en": "Jug", "makers": "Josiah Wedgwood & Sons Ltd."}],
    )
    options = IngestOptions(institution="Museum")
    report = ingest_source(settings, session_factory, first, "potbank", options)
    assert [p for p in report.problems if p.field == "makers"] == []
    rows = [
        {"accession_number": "W-2", "title_en": "Plate", "makers": "Josiah Wedgwood and Sons"},
        {"accession_number": "W-3", "title_en": "Cup", "makers": "Josiah Wedgwood and Sons"},
        {"accession_number": "W-4", "title_en": "Bowl", "makers": "Josiah Wedgwood & Sons Ltd."},
    ]
    second = _csv(tmp_path / "second.csv", rows)
    report = ingest_source(settings, session_factory, second, "potbank", options)
    loose = [p for p in report.problems if p.field == "makers"]
    assert [(p.line, p.accession_number, p.severity) for p in loose] == [(2, "W-2", "warning")]
    assert "Josiah Wedgwood & Sons Ltd." in loose[0].reason
    # Once filed (an alias now), the same spelling is no longer news.
    third = _csv(tmp_path / "third.csv", rows[:1])
    report = ingest_source(settings, session_factory, third, "potbank", options)
    assert [p for p in report.problems if p.field == "makers"] == []
