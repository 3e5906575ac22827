"""Kill -9 a real ``potbank ingest`` mid-run and run it again: the runs the resume tests share.

Each test file holds one such run (photographs; metadata only), so that the suite's two
processes take one each instead of one process running both at the end of the suite."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from archive.catalogue import ware_snapshot
from archive.db import make_engine, make_session_factory
from archive.models import AuditEvent, Photograph, Ware
from archive.settings import load_settings
from index.embedders import active_embedder
from index.sync import IndexSync, text_index_for, vector_index_for
from ingest.native import TEMPLATE_COLUMNS
from tests.conftest import distinct_image_bytes

ROWS = 256  # four batches of 64 photographed rows


def photographed_collection(folder: Path) -> Path:
    images = folder / "images"
    images.mkdir(parents=True)
    for number in range(ROWS):
        image = distinct_image_bytes((480, 360), seed=number)
        (images / f"ware-{number}.jpg").write_bytes(image)
    return _wares_csv(
        folder,
        (
            {
                "accession_number": f"K-{number:04d}",
                "title_en": f"Kill test ware {number}",
                "makers": f"Potter {number % 7} (manufacturer)",
                "date_text": f"{1700 + number}",
                "images": f"ware-{number}.jpg",
            }
            for number in range(ROWS)
        ),
    )


def _wares_csv(folder: Path, rows: Iterable[dict[str, str]]) -> Path:
    """``folder/wares.csv`` in the native template, with ``rows``."""
    path = folder / "wares.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TEMPLATE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _ingest(home: Path, source: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "POTBANK_HOME": str(home)}
    env.pop("POTBANK_DATABASE_URL", None)
    command = [sys.executable, "-c", "from web.cli import main; main()", "ingest", str(source)]
    command += ["--institution", "Kill Museum"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wares_in(home: Path) -> int:
    settings = load_settings({"POTBANK_HOME": str(home)})
    if not Path(settings.database_url.removeprefix("sqlite:///")).exists():
        return 0
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Ware)) or 0)
    except Exception:  # the schema may not exist yet
        return 0
    finally:
        engine.dispose()


def _state(home: Path) -> dict[str, Any]:
    """Everything a user could observe, keyed by accession number and SHA-256 (not row ids)."""
    settings = load_settings({"POTBANK_HOME": str(home)})
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        wares = {w.accession_number: w for w in session.scalars(select(Ware))}
        photos = {p.id: p for p in session.scalars(select(Photograph))}
        catalogue = {
            accession: (ware_snapshot(ware), sorted(p.sha256 for p in ware.photographs))
            for accession, ware in wares.items()
        }
        audits = sorted(
            (e.action, wares_by_id(wares)[e.entity_id]) for e in session.scalars(select(AuditEvent))
        )
        drift = IndexSync(settings).verify(session)
    engine.dispose()
    text = text_index_for(settings)
    text_ids = {wares_by_id(wares)[i] for i in text.ids()}
    text.close()
    embedder, _ = active_embedder(settings)
    vectors = vector_index_for(settings, embedder)
    vector_shas = sorted(photos[int(i)].sha256 for i in vectors.ids())
    store = sorted(
        str(p.relative_to(settings.store_dir))
        for p in settings.store_dir.rglob("*")
        if p.is_file() and not p.name.startswith(".tmp-")
    )
    return {
        "catalogue": catalogue,
        "audits": audits,
        "text": text_ids,
        "vectors": vector_shas,
        "store": store,
        "drift": drift.lines(),
    }


def wares_by_id(wares: dict[str, Ware]) -> dict[int, str]:
    return {ware.id: accession for accession, ware in wares.items()}


def kill_and_rerun(tmp_path: Path, source: Path, rows: int) -> dict[str, Any]:
    """Ingest ``source`` once uninterrupted and once killed with SIGKILL after its first commit
    then run again; asserts both end the same and returns the uninterrupted one's state."""
    clean_home, killed_home = tmp_path / "clean", tmp_path / "killed"
    clean_run = _ingest(clean_home, source)
    assert clean_run.communicate(timeout=300)[1] is None and clean_run.returncode == 0

    process = _ingest(killed_home, source)
    deadline = time.monotonic() + 240
    while _wares_in(killed_home) == 0 and process.poll() is None:
        assert time.monotonic() < deadline, "the ingest never committed a batch"
        time.sleep(0.05)
    assert process.poll() is None, "the ingest finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    interrupted = _wares_in(killed_home)
    assert 0 < interrupted < rows
    _assert_children_gone(killed_home)

    rerun = _ingest(killed_home, source)
    output = rerun.communicate(timeout=300)[0].decode()
    assert rerun.returncode == 0, output
    assert f"{rows - interrupted} created" in output

    clean, resumed = _state(clean_home), _state(killed_home)
    assert clean["drift"] == [] and resumed["drift"] == []
    for key in clean:
        assert resumed[key] == clean[key], key
    return clean


META_ROWS = 5000  # set-based batches of 2,000 rows; the keyword index is written by a child


def metadata_collection(folder: Path) -> Path:
    folder.mkdir(parents=True)
    return _wares_csv(
        folder,
        (
            {
                "accession_number": f"M-{number:05d}",
                "title_en": f"Metadata ware {number}",
                "makers": f"Potter {number % 11} (manufacturer)",
                "date_text": f"{1700 + number % 300}",
            }
            for number in range(META_ROWS)
        ),
    )


def _processes_naming(path: Path) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in text:
            found.append(text)
    return found


def _assert_children_gone(home: Path) -> None:
    """The ingest's helpers (photo workers, the keyword index's writer) die with it; each names
    the instance folder it works on in its command line."""
    deadline = time.monotonic() + 10
    while _processes_naming(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_naming(home) == []
