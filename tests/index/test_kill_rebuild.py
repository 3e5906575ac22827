"""Real processes: ``potbank index rebuild`` killed with SIGKILL half-way leaves the site
answering with every published ware; edits and unpublishes made while a rebuild runs are right
once it publishes; a bulk of concurrent saves while an ingest runs all reach the index."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.models import Ware
from archive.settings import Settings
from index.generations import Generations
from index.sync import IndexSync
from ingest.native import TEMPLATE_COLUMNS
from ingest.pipeline import IngestOptions, ingest_native_csv
from tests.conftest import serving
from web.app import create_app
from web.views.context import app_state

ROWS = 1500


def _source(folder: Path, rows: int, prefix: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TEMPLATE_COLUMNS)
        writer.writeheader()
        for number in range(rows):
            writer.writerow(
                {
                    "accession_number": f"{prefix}-{number:05d}",
                    "title_en": f"Rebuild ware {number} of {prefix}",
                    "makers": f"Potter {number % 13} (manufacturer)",
                    "material": "porcelain" if number % 2 else "stoneware",
                    "description_en": f"Glazed {prefix.lower()} ware with pattern {number % 17}",
                }
            )
    return path


def _potbank(settings: Settings, *arguments: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "POTBANK_HOME": str(settings.home),
        "POTBANK_DATABASE_URL": settings.database_url,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    command = [sys.executable, "-c", "from web.cli import main; main()", *arguments]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _total(base: str, words: str) -> int:
    url = f"{base}/api/v1/search?q={urllib.parse.quote(words)}&per_page=1"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback http)
        assert response.status == 200
        return int(json.load(response)["total"])


def _wait_for_folder(generations: Generations, name: str, process: subprocess.Popen[bytes]):
    deadline = time.monotonic() + 120
    while not (generations.folder / name).is_dir():
        assert process.poll() is None, process.communicate()[0].decode()
        assert time.monotonic() < deadline, "the rebuild never started a generation"
        time.sleep(0.02)


@pytest.mark.slow
def test_kill_minus_nine_during_a_rebuild_then_edits_during_a_rebuild(settings, session_factory):
    ingest_native_csv(
        settings,
        session_factory,
        _source(settings.home / "source", ROWS, "KR"),
        IngestOptions(institution="Rebuild Museum"),
    )
    generations = Generations(settings.index_dir)
    first = generations.current()
    app = create_app(settings)
    try:
        with serving(app) as base:
            assert _total(base, "rebuild ware") == ROWS
            process = _potbank(settings, "index", "rebuild")
            _wait_for_folder(generations, "g000002", process)
            answers = [_total(base, "rebuild ware") for _ in range(5)]
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
            # The killed rebuild never published: the previous generation serves everything.
            answers += [_total(base, "rebuild ware") for _ in range(5)]
            assert answers == [ROWS] * 10
            assert generations.current() == first

            # A rebuild that finishes, with a curator's edit and unpublish made while it runs.
            process = _potbank(settings, "index", "rebuild")
            _wait_for_folder(generations, "g000003", process)
            with session_factory() as session:
                edited, hidden = session.scalars(select(Ware).order_by(Ware.id).limit(2)).all()
                edited.title_en = "Edited while rebuilding"
                hidden.status = "draft"
                session.commit()
                IndexSync(settings).update_wares(session, [edited.id, hidden.id])
                during = _total(base, "rebuild ware")
            output = process.communicate(timeout=300)[0].decode()
            assert process.returncode == 0, output
            assert generations.current().name == "g000003"
            # The unpublished ware left at once (the edited one still matches: "rebuilding").
            assert during == ROWS - 1
            assert _total(base, "rebuild ware") == ROWS - 1
            assert _total(base, "edited while rebuilding") == 1
            assert _total(base, hidden.accession_number) == 0
            with session_factory() as session:
                assert IndexSync(settings).verify(session).clean
            # The killed rebuild's folder and the retired generation go.
            assert set(generations.remove_unused(older_than=0)) == {"g000001", "g000002"}
    finally:
        app_state(app).close()


@pytest.mark.slow
def test_curator_saves_during_an_ingest_all_reach_the_index(settings, session_factory):
    ingest_native_csv(
        settings,
        session_factory,
        _source(settings.home / "source", 50, "CS"),
        IngestOptions(institution="Rebuild Museum"),
    )
    with session_factory() as session:
        ids = list(session.scalars(select(Ware.id).order_by(Ware.id)))
    process = _potbank(
        settings,
        "ingest",
        str(_source(settings.home / "source", 6000, "BIG")),
        "--institution",
        "Rebuild Museum",
    )
    saved = []
    while process.poll() is None and len(saved) < 40:
        ware_id = ids[len(saved) % len(ids)]
        token = f"curatorsave{len(saved)}"
        with session_factory() as session:
            session.get(Ware, ware_id).description_en = f"Note {token}"
            session.commit()
            IndexSync(settings).update_wares(session, [ware_id])
        saved.append((ware_id, token))
        time.sleep(0.05)
    output = process.communicate(timeout=600)[0].decode()
    assert process.returncode == 0, output
    assert len(saved) >= 5, "the ingest ended before the saves could overlap it"
    with session_factory() as session:
        IndexSync(settings).catch_up(session)
        assert IndexSync(settings).verify(session).clean
    from index.service import SearchService

    search = SearchService(settings, session_factory)
    last_token = {ware_id: token for ware_id, token in saved}
    for ware_id, token in last_token.items():
        assert [hit.ware_id for hit in search.search(token).hits] == [ware_id], token
