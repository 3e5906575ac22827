from __future__ import annotations

import pytest

from ingest.native import TEMPLATE_COLUMNS, map_native_row
from ingest.records import RowError
from ingest.sources import read_csv_rows


def _row(**cells: str) -> dict[str, str]:
    row = dict.fromkeys(TEMPLATE_COLUMNS, "")
    row.update(accession_number="W-1", title_en="Teapot")
    row.update(cells)
    return row


def test_maps_fields_makers_and_photos():
    record = map_native_row(
        _row(
            title_zh="茶壶",
            makers="Minton & Co. (manufacturer); Christopher Dresser (attributed designer)",
            year_earliest="1879",
            year_latest="-300",
            images="a.jpg; b.jpg",
            photographer="A. Potter",
        )
        | {"year_latest": "1880", "shelf": "B4"}
    )
    assert record.accession_number == "W-1"
    assert record.fields["title_zh"] == "茶壶"
    assert (record.fields["year_earliest"], record.fields["year_latest"]) == (1879, 1880)
    assert [(m.name, m.role, m.qualifier) for m in record.makers] == [
        ("Minton & Co.", "manufacturer", None),
        ("Christopher Dresser", "designer", "attributed"),
    ]
    assert [p.filename for p in record.photos] == ["a.jpg", "b.jpg"]
    assert record.photos[0].photographer == "A. Potter"
    assert record.raw["unmapped"] == {"shelf": "B4"}
    assert record.fields["status"] == "published"


@pytest.mark.parametrize(
    ("cells", "field", "reason"),
    [
        ({"accession_number": ""}, "accession_number", "missing"),
        ({"title_en": "", "title_zh": ""}, "title_en", "title"),
        ({"year_earliest": "c. 1800"}, "year_earliest", "whole year"),
        ({"year_earliest": "1900", "year_latest": "1800"}, "year_earliest", "after"),
        ({"status": "lost"}, "status", "unknown status"),
    ],
)
def test_bad_rows_name_the_field(cells, field, reason):
    with pytest.raises(RowError, match=reason) as caught:
        map_native_row(_row(**cells))
    assert caught.value.field == field


def test_row_with_ten_thousand_columns_is_refused():
    row = _row() | {f"extra{i}": "x" for i in range(10_000)}
    with pytest.raises(RowError, match="columns"):
        map_native_row(row)


def test_control_characters_are_removed():
    record = map_native_row(_row(title_en="Tea\x00pot\x07"))
    assert record.fields["title_en"] == "Teapot"


def test_csv_reader_handles_bom_and_newlines_in_quoted_fields(tmp_path):
    path = tmp_path / "wares.csv"
    path.write_bytes('\ufeffaccession_number,title_en\r\nA,"Two\r\nlines"\r\nB,Bowl\r\n'.encode())
    rows = list(read_csv_rows(path))
    assert [line for line, _ in rows] == [2, 4]
    assert rows[0][1] == {"accession_number": "A", "title_en": "Two\r\nlines"}
    assert rows[1][1]["title_en"] == "Bowl"
