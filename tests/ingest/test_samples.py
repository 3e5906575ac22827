"""The demo collection in samples/ follows the documented native CSV template and its licences."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from PIL import Image

from ingest.normalise import parse_makers
from ingest.normalise.makers import ROLES

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "samples"
COLLECTIONS = ["chinesenotes", "staffordshire"]
ATTRIBUTION = "Photo: Alex Amies, chinesenotes.com, CC BY 2.5"


def documented_columns() -> list[str]:
    """The template's columns, in order, from the table in docs/architecture.md."""
    text = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## The native CSV template", 1)[1]
    columns: list[str] = []
    for line in section.splitlines():
        if line.startswith("| `"):
            columns += re.findall(r"`([a-z_]+)`", line.split("|")[1])
    return columns


def rows(collection: str) -> list[dict[str, str]]:
    with (SAMPLES / collection / "wares.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_header_is_the_documented_template(collection: str) -> None:
    raw = (SAMPLES / collection / "wares.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no byte-order mark"
    header = raw.decode("utf-8").splitlines()[0].split(",")
    assert header == documented_columns()


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_every_row_is_valid(collection: str) -> None:
    table = rows(collection)
    assert len({(row["institution"], row["accession_number"]) for row in table}) == len(table)
    for row in table:
        assert row["accession_number"]
        assert row["title_en"] or row["title_zh"]
        assert row["status"] == "published"
        assert row["rights"].startswith("http://creativecommons.org/")
        if row["year_earliest"] and row["year_latest"]:
            assert int(row["year_earliest"]) <= int(row["year_latest"])
        for credit in parse_makers(row["makers"]):
            assert credit.role in ROLES


def test_chinesenotes_photographs_exist_are_small_and_credited() -> None:
    table = rows("chinesenotes")
    images = SAMPLES / "chinesenotes" / "images"
    assert len(table) == 89
    assert sorted(row["images"] for row in table) == sorted(p.name for p in images.iterdir())
    for row in table:
        with Image.open(images / row["images"]) as image:
            assert max(image.size) <= 1600
        assert row["image_attribution"] == ATTRIBUTION
        assert row["image_licence"] == "http://creativecommons.org/licenses/by/2.5/"
        assert row["photographer"] == "Alex Amies"


def test_staffordshire_is_metadata_only() -> None:
    table = rows("staffordshire")
    assert len(table) > 400
    assert all(not row["images"] for row in table)
    assert all(row["institution"] == "Carnegie Museum of Art" for row in table)
    # The museum's multi-line provenance texts survive CSV quoting.
    assert any("\n" in row["provenance"] for row in table)


def test_licence_and_attribution_are_shipped() -> None:
    licence = (SAMPLES / "LICENSE.md").read_text(encoding="utf-8")
    assert ATTRIBUTION in licence
    assert "CC0 1.0 Universal" in licence
    assert "de21945c1a01ffc11f262aa984f7659507e8354c" in licence
    assert "3603ad5f5ed121f0ff5fc76b2e0ffb5f63974db1" in licence
