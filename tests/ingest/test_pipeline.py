"""The pipeline end to end: broken inputs reported and skipped, upserts with audit on real records,
photographs through validation, orientation, duplicates and the image index."""

from __future__ import annotations

import csv
import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from archive.models import AuditEvent, IngestRun, Maker, Photograph, Ware
from index.sync import IndexSync, text_index_for
from ingest.native import TEMPLATE_COLUMNS
from ingest.photo_workers import PhotoWorkers
from ingest.pipeline import IngestOptions, ingest_source, run_ingest
from tests.conftest import distinct_image_bytes, make_image_bytes, shared_data_or_skip


def _write_csv(path: Path, rows: list[dict[str, str]], columns=TEMPLATE_COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def _huge_png_header(width: int, height: int) -> bytes:
    """A PNG that claims width × height pixels: a decompression bomb's header, a few bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))


def _jpeg_with_exif(orientation: int) -> bytes:
    image = Image.open(io.BytesIO(make_image_bytes((400, 200), seed=9)))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (52.0, 59.0, 0.0), 3: "W", 4: (2.0, 10.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_broken_rows_and_images_are_reported_and_skipped(settings, session_factory, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    (images / "good.jpg").write_bytes(make_image_bytes(seed=1))
    (images / "truncated.jpg").write_bytes(make_image_bytes((800, 600), seed=2)[:3000])
    (images / "text.jpg").write_text("not an image at all")
    (images / "bomb.png").write_bytes(_huge_png_header(20_000, 20_000))
    rows = [
        {"accession_number": "G-1", "title_en": "Good", "images": "good.jpg"},
        {"accession_number": "T-1", "title_en": "Truncated", "images": "truncated.jpg"},
        {"accession_number": "X-1", "title_en": "Text", "images": "text.jpg"},
        {"accession_number": "B-1", "title_en": "Bomb", "images": "bomb.png"},
        {"accession_number": "", "title_en": "No number"},
        {"accession_number": "G-1", "title_en": "Again"},
        {"accession_number": "D-1", "title_en": "Undated", "date_text": "some time ago"},
        {"accession_number": "M-1", "title_en": "Missing photo", "images": "gone.jpg"},
    ]
    source = _write_csv(tmp_path / "wares.csv", rows)
    with source.open("a", encoding="utf-8", newline="") as handle:
        handle.write("W-1,,,Wide," + ",".join(["x"] * 10_000) + "\r\n")
    with source.open("ab") as handle:
        handle.write(b"U-1,,,Caf\xe9 cup" + b"," * (len(TEMPLATE_COLUMNS) - 4) + b"\r\n")
    options = IngestOptions(institution="Test Museum", images_dir=images)
    report = ingest_source(settings, session_factory, source, "potbank", options)

    found = {(p.line, p.field): p for p in report.problems}
    assert found[(3, "images")].reason.startswith("truncated.jpg: the image is damaged")
    assert "not an image" in found[(4, "images")].reason
    assert "too large" in found[(5, "images")].reason
    assert found[(6, "accession_number")].reason == "the accession number is missing"
    assert "first on line 2" in found[(7, "accession_number")].reason
    assert found[(8, "date_text")].severity == "warning"
    assert "no such file" in found[(9, "images")].reason
    assert "cells" in found[(10, None)].reason
    assert "UTF-8" in found[(11, "title_en")].reason
    # Wares whose photographs fail still land (the photo is reported); broken rows do not.
    assert (report.created, report.rejected, report.photos_added) == (6, 4, 1)
    with session_factory() as session:
        run = session.get(IngestRun, report.run_id)
        assert run.status == "finished" and (run.created, run.rejected) == (6, 4)
        assert len(run.errors) == len(report.problems)
        assert session.scalar(select(func.count()).select_from(Ware)) == 6


@pytest.mark.slow
def test_cmoa_rerun_changes_nothing_and_a_correction_is_audited(
    settings, session_factory, tmp_path
):
    source = shared_data_or_skip("cmoa", "cmoa-ceramics.jsonl")
    with source.open(encoding="utf-8") as handle:
        records = [json.loads(line) for _, line in zip(range(300), handle, strict=False)]
    export = tmp_path / "export.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    options = IngestOptions()
    first = ingest_source(settings, session_factory, export, "cmoa", options)
    assert first.created + first.rejected == 300 and first.created > 290

    with session_factory() as session:
        audits = session.scalar(select(func.count()).select_from(AuditEvent))
        wedgwood = session.scalars(select(Maker).where(Maker.name == "Josiah Wedgwood")).all()
    again = ingest_source(settings, session_factory, export, "cmoa", options)
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)

    corrected = [dict(r) for r in records]
    target = next(r for r in corrected if r["title"] and r["medium"])
    target["medium"] = "bone china"
    export.write_text("\n".join(json.dumps(r) for r in corrected), encoding="utf-8")
    fixed = ingest_source(settings, session_factory, export, "cmoa", options)
    assert (fixed.created, fixed.updated) == (0, 1)
    with session_factory() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert len(events) == audits + 1
        assert events[-1].action == "update"
        assert events[-1].after == {"material": "bone china"}
        assert events[-1].before == {"material": target_medium(records, target)}
        assert (
            len(session.scalars(select(Maker).where(Maker.name == "Josiah Wedgwood")).all())
            == len(wedgwood)
            <= 1
        )


def target_medium(records: list[dict], target: dict) -> str:
    return next(r["medium"] for r in records if r["accession_number"] == target["accession_number"])


def test_photographs_by_content_oriented_without_gps_and_indexed(
    settings, session_factory, tmp_path
):
    images = tmp_path / "images"
    images.mkdir()
    (images / "turned.jpg").write_bytes(_jpeg_with_exif(orientation=6))
    (images / "plate.webp").write_bytes(make_image_bytes(seed=3, fmt="WEBP"))
    (images / "scan.tif").write_bytes(make_image_bytes(seed=4, fmt="TIFF"))
    (images / "named-wrong.gif").write_bytes(make_image_bytes(seed=5, fmt="PNG"))
    rows = [
        {"accession_number": "P-1", "title_en": "Turned", "images": "turned.jpg"},
        {"accession_number": "P-2", "title_en": "Formats", "images": "plate.webp; scan.tif"},
        {"accession_number": "P-3", "title_en": "Misnamed", "images": "named-wrong.gif"},
    ]
    source = _write_csv(tmp_path / "wares.csv", rows)
    options = IngestOptions(institution="Test Museum", images_dir=images)
    report = ingest_source(settings, session_factory, source, "potbank", options)
    assert report.photos_added == 4 and not report.errors
    with session_factory() as session:
        photos = {p.original_filename: p for p in session.scalars(select(Photograph))}
        turned = photos["turned.jpg"]
        assert (turned.width, turned.height) == (200, 400)
        assert {photos["plate.webp"].format, photos["scan.tif"].format} == {"webp", "tif"}
        assert photos["named-wrong.gif"].format == "png"
        from archive.store import ImageStore

        store = ImageStore(settings.store_dir)
        for size in ("display", "thumb"):
            with Image.open(store.derivative_path(turned.sha256, size)) as derived:
                assert derived.height > derived.width
                assert not derived.getexif()
        drift = IndexSync(settings).verify(session)
        assert drift.clean, drift.lines()


def test_duplicates_stored_once_and_near_duplicates_flagged_across_institutions(
    settings, session_factory, tmp_path
):
    images = tmp_path / "images"
    images.mkdir()
    original = make_image_bytes((800, 600), seed=7)
    (images / "a.jpg").write_bytes(original)
    (images / "a-copy.jpg").write_bytes(original)
    smaller = Image.open(io.BytesIO(original)).resize((400, 300))
    smaller.save(images / "a-small.jpg", "JPEG", quality=70)
    (images / "other.jpg").write_bytes(make_image_bytes((800, 600), colour=(200, 30, 30), seed=2))
    rows = [
        {"accession_number": "A-1", "institution": "Museum A", "title_en": "A", "images": "a.jpg"},
        {
            "accession_number": "B-1",
            "institution": "Museum B",
            "title_en": "B",
            "images": "a-copy.jpg",
        },
        {
            "accession_number": "B-2",
            "institution": "Museum B",
            "title_en": "C",
            "images": "a-small.jpg",
        },
        {
            "accession_number": "B-3",
            "institution": "Museum B",
            "title_en": "D",
            "images": "other.jpg",
        },
    ]
    source = _write_csv(tmp_path / "wares.csv", rows)
    report = ingest_source(
        settings, session_factory, source, "potbank", IngestOptions(images_dir=images)
    )
    with session_factory() as session:
        first = session.scalar(select(Ware).where(Ware.accession_number == "A-1"))
        statuses = {
            a: s.value for a, s in session.execute(select(Ware.accession_number, Ware.status))
        }
    flagged = {p.accession_number: p.reason for p in report.warnings if p.field == "images"}
    assert set(flagged) == {"B-1", "B-2"}
    assert (
        f"held for review: an exact copy of a photograph of ware {first.id} (A-1; 0 of 64"
        in (flagged["B-1"])
    )
    assert f"held for review: a near copy of a photograph of ware {first.id}" in flagged["B-2"]
    # The copies wait in the review queue; the original and the different photograph are out.
    assert statuses == {
        "A-1": "published",
        "B-1": "submitted",
        "B-2": "submitted",
        "B-3": "published",
    }
    assert report.held == 2
    originals = list((settings.store_dir / "originals").rglob("*.jpg"))
    assert len(originals) == 3  # a.jpg and a-copy.jpg are the same bytes, stored once


def test_folder_and_zip_sources(settings, session_factory, tmp_path):
    folder = tmp_path / "export"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "a.jpg").write_bytes(make_image_bytes(seed=11))
    (folder / "images" / "forgotten.jpg").write_bytes(make_image_bytes(seed=13))
    (folder / "images" / ".hidden.jpg").write_bytes(b"editor droppings")
    (folder / "notes.txt").write_text("not a photograph")
    _write_csv(
        folder / "wares.csv", [{"accession_number": "F-1", "title_en": "F", "images": "a.jpg"}]
    )
    options = IngestOptions(institution="Folder Museum")
    report = ingest_source(settings, session_factory, folder, "potbank", options)
    assert (report.created, report.photos_added, report.errors) == (1, 1, [])
    # A photograph in the bundle that no row names is reported, not silently left behind: the
    # unused ones together, as one warning on the source listing their names.
    assert [(p.line, p.field, p.details) for p in report.warnings] == [
        (0, "images", ("images/forgotten.jpg",))
    ]
    assert report.warnings[0].reason.startswith("1 photograph in the source named by no row")

    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("wares.csv", "accession_number,title_en,images\r\nZ-1,Z,images/z.png\r\n")
        bundle.writestr("images/z.png", make_image_bytes(seed=12, fmt="PNG"))
        bundle.writestr("images/extra.png", make_image_bytes(seed=14, fmt="PNG"))
        bundle.writestr("__MACOSX/images/._z.png", b"resource fork")
    zipped = ingest_source(
        settings, session_factory, archive, "potbank", IngestOptions(institution="Zip Museum")
    )
    assert (zipped.created, zipped.photos_added, zipped.errors) == (1, 1, [])
    assert [p.details for p in zipped.warnings] == [("images/extra.png",)]
    with session_factory() as session:
        text = text_index_for(settings)
        assert len(text.ids()) == 2
        text.close()
        assert IndexSync(settings).verify(session).clean


def test_shared_photographs_and_their_transformed_copies(settings, session_factory, tmp_path):
    shared = shared_data_or_skip("chinesenotes", "images")
    chosen = sorted(shared.glob("*.jpg"))[:12]
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for number, path in enumerate(chosen):
        (images / path.name).write_bytes(path.read_bytes())
        rows.append(
            {"accession_number": f"CN-{number}", "title_en": path.stem, "images": path.name}
        )
    for number, path in enumerate(chosen[:4]):
        copy = Image.open(path)
        copy = copy.resize((copy.width * 2 // 3, copy.height * 2 // 3))
        copy.save(images / f"copy-{path.name}", "JPEG", quality=60)
        rows.append(
            {
                "accession_number": f"COPY-{number}",
                "title_en": f"copy of {path.stem}",
                "images": f"copy-{path.name}",
            }
        )
    source = _write_csv(tmp_path / "wares.csv", rows)
    options = IngestOptions(institution="Shared", images_dir=images)
    report = ingest_source(settings, session_factory, source, "potbank", options)
    assert report.photos_added == 16 and not report.errors
    flagged = sorted(p.accession_number for p in report.warnings if "held for review" in p.reason)
    assert flagged == ["COPY-0", "COPY-1", "COPY-2", "COPY-3"]


def _records(rows: list[tuple[str, dict, list]]) -> list:
    from ingest.records import SourceRecord

    return [
        (line, SourceRecord(number, "Set Museum", "Jugs", fields, makers, raw={"n": number}))
        for line, (number, fields, makers) in enumerate(rows, start=2)
    ]


def _catalogue(session_factory) -> list[tuple]:
    with session_factory() as session:
        wares = session.scalars(select(Ware).order_by(Ware.accession_number)).all()
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.entity_id)).all()
        return [
            (
                w.id,
                w.accession_number,
                w.title_en,
                w.status.value,
                w.collection.name,
                [(c.maker.name, c.role.value, c.qualifier, c.position) for c in w.makers],
                sorted(a.name for c in w.makers for a in c.maker.aliases),
                w.source_record,
            )
            for w in wares
        ] + [(e.action, e.entity_type, e.entity_id, e.before, e.after) for e in events]


def test_set_based_batches_write_what_row_by_row_writes(tmp_path, monkeypatch):
    """A batch without photographs goes in with multi-row INSERTs; a batch the database refuses
    goes row by row, so only the bad row is rejected; either way the catalogue is the same."""
    from archive.db import make_engine, make_session_factory, upgrade_database
    from archive.settings import load_settings
    from ingest import pipeline
    from ingest.records import MakerMention

    minton = MakerMention("Minton & Co.", "manufacturer", nationality="British")
    variant = MakerMention("MINTON & CO", "manufacturer")
    dresser = MakerMention("Christopher Dresser", "designer", "attributed")
    rows = [
        ("J-1", {"title_en": "Jug", "status": "published"}, [minton, dresser]),
        ("J-2", {"title_en": "Jug two"}, [variant, minton]),  # the same maker twice
        ("J-3", {"title_en": "Odd", "status": "no such status"}, []),
        ("J-4", {"title_en": "Jug four", "status": "published", "year_earliest": 1870}, []),
    ]

    def run(name: str, records: list) -> tuple:
        local = load_settings({"POTBANK_HOME": str(tmp_path / name)})
        upgrade_database(local.database_url)
        factory = make_session_factory(make_engine(local.database_url))
        return run_ingest(local, factory, "set", "test", records, IngestOptions()), factory, local

    report, factory, local = run("set", _records(rows))
    assert (report.created, report.rejected) == (3, 1)
    assert [(p.line, p.accession_number) for p in report.errors] == [(4, "J-3")]
    assert "the catalogue refused the row" in report.errors[0].reason
    with monkeypatch.context() as patch:
        patch.setattr(pipeline._Loader, "_load_set", lambda self, batch, stored: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            run("broken", _records(rows))
        patch.setattr(
            pipeline._Loader,
            "_load_set",
            lambda self, batch, stored: (_ for _ in ()).throw(ValueError),
        )
        by_rows, rows_factory, _ = run("rows", _records(rows))
    assert by_rows.summary == report.summary and by_rows.problems == report.problems
    assert _catalogue(factory) == _catalogue(rows_factory)

    # Re-running writes nothing, a maker credited twice included.
    before = _catalogue(factory)
    again = run_ingest(local, factory, "set", "test", _records(rows), IngestOptions())
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 1)
    assert _catalogue(factory) == before
    # New credits for the same maker and role: an audited update.
    changed = [("J-2", {"title_en": "Jug two"}, [dresser, minton])]
    fixed = run_ingest(local, factory, "set", "test", _records(changed), IngestOptions())
    assert (fixed.updated, fixed.rejected) == (1, 0)
    with factory() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.action == "update" and set(event.after) == {"makers"}


def _photographs(session_factory, settings) -> dict[str, list[tuple]]:
    """Each ware's photographs in order, each with its vector in the image index."""
    from index.embedders import active_embedder
    from index.sync import vector_index_for

    vectors = vector_index_for(settings, active_embedder(settings)[0])
    with session_factory() as session:
        found: dict[str, list[tuple]] = {}
        query = select(Ware, Photograph).join(Photograph).order_by(Photograph.position)
        for ware, photo in session.execute(query):
            vector = vectors.vector(photo.id)
            found.setdefault(ware.accession_number, []).append(
                (
                    photo.position,
                    photo.sha256,
                    photo.phash,
                    (photo.width, photo.height, photo.format),
                    photo.original_filename,
                    photo.licence,
                    None if vector is None else np.round(vector, 5).tolist(),
                )
            )
        return found


def test_photographed_batches_agree_set_based_row_by_row_and_in_worker_processes(
    tmp_path, monkeypatch
):
    """The same photographed rows, written set-based (photographs prepared in threads), row by
    row, and with photographs prepared in worker processes: the same catalogue, photographs,
    vectors and report. A re-run that brings a new photograph updates an unchanged ware."""
    from archive.db import make_engine, make_session_factory, upgrade_database
    from archive.settings import load_settings
    from ingest import pipeline
    from ingest.records import PhotoReference, SourceRecord

    images = tmp_path / "images"
    images.mkdir()
    for seed in range(6):
        (images / f"p{seed}.jpg").write_bytes(make_image_bytes((500, 400), seed=seed))
    (images / "broken.jpg").write_text("not a photograph")
    smaller = Image.open(images / "p1.jpg").resize((250, 200))
    smaller.save(images / "p1-small.jpg", "JPEG", quality=70)
    rows = [
        ("Q-1", ["p0.jpg", "p1.jpg"]),
        ("Q-2", ["p2.jpg", "broken.jpg", "missing.jpg"]),
        ("Q-3", ["p1-small.jpg"]),  # a near-duplicate of Q-1's second photograph
        ("Q-4", ["p3.jpg", "p3.jpg"]),  # the same file twice: attached once
        ("Q-5", ["p0.jpg"]),  # the same bytes as Q-1's first: stored once, attached to both
        ("Q-6", ["p4.jpg", "p5.jpg"]),
    ]

    def records(extra: dict[str, list[str]] | None = None) -> list:
        made = []
        for line, (number, names) in enumerate(rows, start=2):
            names = names + (extra or {}).get(number, [])
            photos = [PhotoReference(name, licence="CC0") for name in names]
            fields = {"title_en": f"Ware {number}", "status": "published"}
            made.append((line, SourceRecord(number, "Photo Museum", "Photos", fields, [], photos)))
        return made

    def run(name: str, extra: dict[str, list[str]] | None = None) -> tuple:
        local = load_settings({"POTBANK_HOME": str(tmp_path / name)})
        upgrade_database(local.database_url)
        factory = make_session_factory(make_engine(local.database_url))
        options = IngestOptions(images_dir=images)
        report = run_ingest(local, factory, "photos", "test", records(extra), options)
        return report, factory, local

    started: list[PhotoWorkers] = []

    class CountedWorkers(PhotoWorkers):
        def __init__(self, *args, **kwargs) -> None:
            started.append(self)
            super().__init__(*args, **kwargs)

    threads, threads_factory, threads_settings = run("threads")
    assert not started  # a handful of photographs: prepared in threads
    with monkeypatch.context() as patch:
        patch.setattr(pipeline._Loader, "_load_set", lambda self, batch, stored: 1 / int("0"))
        with pytest.raises(ZeroDivisionError):
            run("broken")
        patch.setattr(
            pipeline._Loader,
            "_load_set",
            lambda self, batch, stored: (_ for _ in ()).throw(ValueError),
        )
        by_rows, rows_factory, rows_settings = run("rows")
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "PHOTOS_PER_BATCH", 3)
        patch.setattr(pipeline, "PhotoWorkers", CountedWorkers)
        workers, workers_factory, workers_settings = run("workers")
    assert len(started) == 1

    # Q-3 (resized) and Q-5 (the same bytes) look like Q-1's photographs.
    assert (threads.created, threads.photos_added, threads.possible_duplicates) == (6, 8, 2)
    errors = [(p.accession_number, p.reason) for p in threads.errors]
    assert [number for number, _ in errors] == ["Q-2", "Q-2"]
    assert "broken.jpg: not an image" in errors[0][1]
    assert "missing.jpg: no such file" in errors[1][1]
    for other in (by_rows, workers):
        assert other.summary == threads.summary and other.problems == threads.problems
    expected = _photographs(threads_factory, threads_settings)
    assert [len(expected[n]) for n in ("Q-1", "Q-2", "Q-3", "Q-4", "Q-5", "Q-6")] == [
        2, 1, 1, 1, 1, 2,
    ]  # fmt: skip
    assert expected["Q-1"][0][1] == expected["Q-5"][0][1]
    # Q-3 and Q-5 copy Q-1's photographs: held for review, so not in the public image index.
    for number, photos in expected.items():
        held = number in ("Q-3", "Q-5")
        assert all((photo[-1] is None) == held for photo in photos), number
    assert _photographs(rows_factory, rows_settings) == expected
    assert _photographs(workers_factory, workers_settings) == expected
    assert _catalogue(rows_factory) == _catalogue(threads_factory)
    assert _catalogue(workers_factory) == _catalogue(threads_factory)

    with threads_factory() as session:
        stamp = session.scalar(select(Ware.updated_at).where(Ware.accession_number == "Q-6"))
    again, _, _ = run("threads", extra={"Q-6": ["p2.jpg"]})
    assert (again.updated, again.unchanged, again.photos_added) == (1, 5, 1)
    after = _photographs(threads_factory, threads_settings)
    assert [photo[0] for photo in after["Q-6"]] == [0, 1, 2]
    assert after["Q-6"][2][1] == expected["Q-2"][0][1]
    with threads_factory() as session:
        moved = session.scalar(select(Ware.updated_at).where(Ware.accession_number == "Q-6"))
    assert moved > stamp


def test_a_rebuild_gives_the_vectors_the_ingest_gave(settings, session_factory, tmp_path):
    """Ingest embeds the derivative it just encoded, decoded as a rebuild reads it back."""
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for seed in range(3):
        (images / f"r{seed}.jpg").write_bytes(make_image_bytes((900, 700), seed=seed))
        rows.append({"accession_number": f"R-{seed}", "title_en": "R", "images": f"r{seed}.jpg"})
    source = _write_csv(tmp_path / "wares.csv", rows)
    options = IngestOptions(institution="Rebuild Museum", images_dir=images)
    assert ingest_source(settings, session_factory, source, "potbank", options).photos_added == 3
    ingested = _photographs(session_factory, settings)
    with session_factory() as session:
        IndexSync(settings).rebuild(session)
    assert _photographs(session_factory, settings) == ingested


@pytest.mark.slow  # importing torch and open_clip takes about five seconds
def test_a_full_batch_embedded_in_process_by_clip_matches_a_rebuild(
    settings, session_factory, tmp_path, tiny_checkpoint
):
    """CLIP stays in the ingest process (threads prepare its photographs, no worker processes);
    its vectors come from the display image decoded down to its input size, as a rebuild's do."""
    from index.embedders import ClipEmbedder
    from ingest import pipeline
    from tests.conftest import TINY

    clip = ClipEmbedder(TINY, pretrained=str(tiny_checkpoint))
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for number in range(pipeline.PHOTOS_PER_BATCH + 6):
        name = f"c{number}.jpg"
        (images / name).write_bytes(distinct_image_bytes((480, 360), seed=number))
        rows.append({"accession_number": f"C-{number}", "title_en": "C", "images": name})
    source = _write_csv(tmp_path / "wares.csv", rows)
    options = IngestOptions(institution="Clip Museum", images_dir=images)
    report = ingest_source(settings, session_factory, source, "potbank", options, embedder=clip)
    assert report.photos_added == len(rows) and not report.errors
    sync = IndexSync(settings, clip)
    with session_factory() as session:
        assert sync.verify(session).clean
    from index.sync import vector_index_for

    vectors = vector_index_for(settings, clip)
    ingested = {int(i): vectors.vector(int(i)) for i in vectors.ids()}
    with session_factory() as session:
        sync.rebuild(session)
    rebuilt = vector_index_for(settings, clip)
    assert len(ingested) == len(rows)
    for photo_id, vector in ingested.items():
        np.testing.assert_allclose(rebuilt.vector(photo_id), vector, atol=1e-5)


def test_unnamed_photographs_are_reported_where_photographs_were_offered(
    settings, session_factory, tmp_path
):
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.jpg").write_bytes(make_image_bytes(seed=21))
    (images / "b.jpg").write_bytes(make_image_bytes(seed=22))
    rows = [{"accession_number": "U-1", "title_en": "U", "images": "a.jpg"}]
    source = _write_csv(tmp_path / "wares.csv", rows)
    # Without --images the table's own folder is searched as a convenience: nothing to report.
    beside = ingest_source(
        settings, session_factory, source, "potbank", IngestOptions(institution="U")
    )
    assert beside.photos_added == 1 and beside.warnings == []
    offered = IngestOptions(institution="U", images_dir=images)
    again = ingest_source(settings, session_factory, source, "potbank", offered)
    assert [(w.line, w.details) for w in again.warnings] == [(0, ("b.jpg",))]
    with session_factory() as session:
        run = session.scalars(select(IngestRun).order_by(IngestRun.id.desc())).first()
        assert any("b.jpg" in problem.get("details", []) for problem in run.errors)


def test_a_bulk_ingest_refreshes_the_planner_statistics_on_postgresql(
    settings, session_factory, tmp_path, monkeypatch
):
    """After a bulk load PostgreSQL's planner knew the tables as empty and scanned every ware
    for a page of results; a large run ends with ANALYZE (SQLite has nothing to refresh)."""
    from sqlalchemy import text

    import ingest.pipeline as pipeline

    monkeypatch.setattr(pipeline, "BULK_ROWS", 50)
    source = tmp_path / "wares.csv"
    rows = "".join(f"BULK-{n},Bulk Museum,Bulk jar {n},published\n" for n in range(60))
    source.write_text("accession_number,institution,title_en,status\n" + rows)
    with session_factory() as session:
        postgresql = session.get_bind().dialect.name == "postgresql"
        if postgresql:
            before = session.execute(
                text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'ware'")
            ).scalar()
    report = pipeline.ingest_native_csv(settings, session_factory, source, pipeline.IngestOptions())
    assert report.created == 60
    if postgresql:
        with session_factory() as session:
            after = session.execute(
                text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'ware'")
            ).scalar()
        assert after > before
