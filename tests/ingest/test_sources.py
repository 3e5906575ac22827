"""Readers: CSV dialects and encodings, incremental JSON arrays, JSONL, gzip, folders, ZIPs."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest

from ingest.bundles import open_source
from ingest.records import RowError
from ingest.sources import SourceError, read_csv_rows, read_json_array, read_jsonl
from tests.conftest import make_image_bytes


def _rows(path: Path) -> list[tuple[int, object]]:
    with open_source(path) as source:
        return list(source.rows)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("accession_number,title_en\r\nA,Bowl\r\n", ","),
        ("accession_number;title_en\r\nA;Bowl\r\n", ";"),  # Excel in a comma-decimal locale
        ("accession_number\ttitle_en\nA\tBowl\n", "\t"),  # Excel "Unicode text"
    ],
)
def test_csv_dialects_are_recognised(tmp_path, text, delimiter):
    path = tmp_path / "wares.csv"
    path.write_text(text, encoding="utf-8")
    assert _rows(path) == [(2, {"accession_number": "A", "title_en": "Bowl"})]


def test_csv_with_bom_quoted_newlines_and_blank_lines(tmp_path):
    path = tmp_path / "wares.csv"
    path.write_bytes(b'\xef\xbb\xbfaccession_number,title_en\r\nA,"Two\r\nlines"\r\n\r\nB,Bowl\r\n')
    rows = list(read_csv_rows(path))
    assert [line for line, _ in rows] == [2, 5]
    assert rows[0][1] == {"accession_number": "A", "title_en": "Two\r\nlines"}


def test_bad_utf8_spoils_only_its_row(tmp_path):
    path = tmp_path / "wares.csv"
    path.write_bytes(b"accession_number,title_en\nA,Bowl\nB,Caf\xe9 cup\nC,Jug\n")
    rows = _rows(path)
    assert [line for line, _ in rows] == [2, 3, 4]
    error = rows[1][1]
    assert isinstance(error, RowError)
    assert error.field == "title_en" and "UTF-8" in error.reason
    assert rows[2][1] == {"accession_number": "C", "title_en": "Jug"}


def test_more_cells_than_the_header_is_a_row_error(tmp_path):
    path = tmp_path / "wares.csv"
    path.write_text("accession_number,title_en\nA,Bowl," + ",".join(["x"] * 10_000) + "\n")
    [(line, error)] = _rows(path)
    assert line == 2 and isinstance(error, RowError) and "10002 cells" in error.reason


def test_json_array_is_parsed_incrementally_with_line_numbers():
    items = [{"n": i, "text": "x" * (i * 5000)} for i in range(40)]
    data = json.dumps(items, indent=1).encode()
    rows = list(read_json_array(io.BytesIO(data)))
    assert [row["n"] for _, row in rows] == list(range(40))
    lines = data.decode().splitlines()
    assert all('"n": ' + str(row["n"]) in lines[line] for line, row in rows)


def test_json_array_numbers_cut_by_chunk_boundaries():
    # Numbers at every chunk boundary must not be split in two.
    items = [{"value": 123456789} for _ in range(20_000)]
    rows = list(read_json_array(io.BytesIO(json.dumps(items).encode())))
    assert len(rows) == 20_000 and {row["value"] for _, row in rows} == {123456789}


def test_malformed_json_array_stops_with_the_line():
    data = b'[\n{"a": 1},\n{"a": 2},\n{"a": oops}\n]'
    reader = read_json_array(io.BytesIO(data))
    assert [row for _, row in [next(reader), next(reader)]] == [{"a": 1}, {"a": 2}]
    with pytest.raises(SourceError) as caught:
        next(reader)
    assert caught.value.line == 4


def test_jsonl_bad_lines_are_row_errors():
    data = b'{"a": 1}\n\nnot json\n[1, 2]\n{"a": 2}\n'
    rows = list(read_jsonl(io.BytesIO(data)))
    assert [line for line, _ in rows] == [1, 3, 4, 5]
    assert isinstance(rows[1][1], RowError) and isinstance(rows[2][1], RowError)
    assert rows[3][1] == {"a": 2}


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("wares.json", b'[{"accession_number": "A"}]'),
        ("wares.jsonl", b'{"accession_number": "A"}\n'),
        ("wares.json", b'{"accession_number": "A"}\n'),  # JSON Lines under a .json name
        ("wares.csv", b"accession_number\nA\n"),
        ("export.dat", b'[{"accession_number": "A"}]'),  # told by content
    ],
)
def test_format_by_name_or_content_with_or_without_gzip(tmp_path, name, payload):
    plain = tmp_path / name
    plain.write_bytes(payload)
    zipped = tmp_path / (name + ".gz")
    zipped.write_bytes(gzip.compress(payload))
    for path in (plain, zipped):
        [(_, row)] = _rows(path)
        assert row == {"accession_number": "A"}


def test_folder_with_sidecar_reads_photos_inside_only(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.jpg").write_bytes(make_image_bytes())
    (tmp_path / "wares.csv").write_text("accession_number,images\nA,a.jpg\n")
    (tmp_path.parent / "secret.jpg").write_bytes(b"secret")
    with open_source(tmp_path) as source:
        assert source.kind == "folder"
        assert [row for _, row in source.rows] == [{"accession_number": "A", "images": "a.jpg"}]
        assert source.photos.read("a.jpg")[:2] == b"\xff\xd8"
        with pytest.raises(RowError, match="outside"):
            source.photos.read("../secret.jpg")


def test_zip_members_are_read_safely(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export/wares.csv", "accession_number,images\nA,a.jpg\n")
        archive.writestr("export/images/a.jpg", make_image_bytes((40, 30)))
        archive.writestr("export/big.jpg", b"\0" * 5000)
        archive.writestr("../evil.jpg", b"evil")
        archive.writestr("__MACOSX/export/._wares.csv", b"junk")
    with open_source(path, max_photo_bytes=4000) as source:
        assert source.kind == "zip"
        assert [row for _, row in source.rows] == [{"accession_number": "A", "images": "a.jpg"}]
        assert source.photos.read("a.jpg")[:2] == b"\xff\xd8"
        for name, reason in [
            ("../evil.jpg", "outside"),
            ("/etc/passwd", "outside"),
            ("big.jpg", "larger than"),
            ("missing.jpg", "no such file"),
        ]:
            with pytest.raises(RowError, match=reason):
                source.photos.read(name)


def test_folder_with_two_unnamed_tables_asks_which(tmp_path):
    (tmp_path / "a.csv").write_text("accession_number\nA\n")
    (tmp_path / "b.csv").write_text("accession_number\nB\n")
    with pytest.raises(SourceError, match="several tables"), open_source(tmp_path):
        pass


@pytest.mark.slow
def test_memory_stays_flat_on_the_whole_cmoa_corpus():
    import tracemalloc

    from tests.conftest import shared_data_or_skip

    path = shared_data_or_skip("cmoa", "cmoa-all.jsonl.gz")
    tracemalloc.start()
    count = 0
    with open_source(path) as source:
        for _, row in source.rows:
            count += isinstance(row, dict)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 28_258
    # One record and one chunk at a time: a few MB at most for a 6 MB gzip of 60 MB of JSON.
    assert peak < 8 * 1024 * 1024


def test_a_csv_in_another_encoding(tmp_path):
    path = tmp_path / "wares.csv"
    path.write_bytes("accession_number;title_en\r\nA;Café cup\r\n".encode("cp1252"))
    with open_source(path, encoding="cp1252") as source:
        assert [row for _, row in source.rows] == [
            {"accession_number": "A", "title_en": "Café cup"}
        ]
