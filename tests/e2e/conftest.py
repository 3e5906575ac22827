"""Browser tests: a live Potbank on 127.0.0.1 over a temporary instance, driven by Debian's
chromium through Playwright. Screenshots go to ``test-output/e2e/`` (git-ignored)."""

from __future__ import annotations

import csv
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from archive.catalogue import (
    MakerCredit,
    attach_photograph,
    get_or_create_collection,
    get_or_create_institution,
    get_or_create_maker,
    upsert_ware,
)
from archive.db import make_engine, make_session_factory, upgrade_database
from archive.models import MakerRole, PhotoView
from archive.settings import Settings, load_settings
from archive.store import ImageStore
from index.sync import IndexSync
from tests.conftest import REPO_ROOT, chromium_or_skip, serving
from web.app import create_app
from web.views.context import app_state

SAMPLES = REPO_ROOT / "samples" / "chinesenotes"
SCREENSHOTS = REPO_ROOT / "test-output" / "e2e"
# A handful of the demo collection: blue and white, celadon, a bowl, and one with a reign mark.
SAMPLE_ROWS = (
    "CN-0001",
    "CN-0005",
    "CN-0006",
    "CN-0011",
    "CN-0015",
    "CN-0017",
    "CN-0046",
    "CN-0062",
    "CN-0081",
    "CN-0036",
)
MARK_ROW = "CN-0033"
MARKED_WARE = "CN-0046"


@dataclass(frozen=True)
class LiveSite:
    """A running server and what it holds."""

    url: str
    marked_ware: int
    upload: Path


def _load_samples(settings: Settings, session: Session) -> int:
    """Catalogue the chosen demo rows through archive.catalogue; returns the marked ware's id."""
    store = ImageStore(settings.store_dir, settings.max_image_pixels)
    with (SAMPLES / "wares.csv").open(encoding="utf-8") as handle:
        rows = {row["accession_number"]: row for row in csv.DictReader(handle)}
    marked = 0
    for accession in SAMPLE_ROWS:
        row = rows[accession]
        institution = get_or_create_institution(session, row["institution"])
        ware, _ = upsert_ware(
            session,
            institution=institution,
            accession_number=accession,
            collection=get_or_create_collection(session, institution, row["collection"]),
            fields={
                "title_en": row["title_en"],
                "title_zh": row["title_zh"],
                "object_type": row["object_type"] or None,
                "place": row["place"] or None,
                "date_text": row["date_text"] or None,
                "year_earliest": int(row["year_earliest"]) if row["year_earliest"] else None,
                "year_latest": int(row["year_latest"]) if row["year_latest"] else None,
                "period": row["period"] or None,
                "material": row["material"] or None,
                "description_en": row["description_en"] or None,
                "description_zh": row["description_zh"] or None,
                "rights": row["rights"] or None,
                "status": "published",
            },
        )
        images = [(row["images"], PhotoView.FRONT)]
        if accession == MARKED_WARE:
            images.append((rows[MARK_ROW]["images"], PhotoView.MARK))
            marked = ware.id
        for name, view in images:
            stored = store.put((SAMPLES / "images" / name).read_bytes())
            attach_photograph(
                session,
                ware,
                stored,
                view=view,
                original_filename=name,
                photographer=row["photographer"],
                licence=row["image_licence"],
                attribution=row["image_attribution"],
            )
    # A Staffordshire record without photographs, as most of the CMOA records are.
    cmoa = get_or_create_institution(session, "Carnegie Museum of Art")
    clews = get_or_create_maker(session, "James Clews", "clews james")
    upsert_ware(
        session,
        institution=cmoa,
        accession_number="03.3.1",
        fields={
            "title_en": 'Platter, "Penitentiary in Allegheny, near Pittsburgh, PA"',
            "object_type": "platter",
            "material": "transfer printed glazed earthenware",
            "date_text": "c. 1829-1836",
            "year_earliest": 1824,
            "year_latest": 1841,
            "rights": "http://creativecommons.org/publicdomain/zero/1.0/",
            "status": "published",
        },
        makers=[MakerCredit(clews, MakerRole.MAKER)],
    )
    session.commit()
    return marked


def fresh_instance(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> tuple[Path, Settings, Engine]:
    """A migrated, empty SQLite instance in a new temporary folder (the test skips without
    Chromium): its home, its settings and an engine on its database."""
    chromium_or_skip()
    home = tmp_path_factory.mktemp(name) / "instance"
    url = f"sqlite:///{home / 'potbank.sqlite3'}"
    upgrade_database(url)
    settings = load_settings({"POTBANK_HOME": str(home), "POTBANK_DATABASE_URL": url})
    return home, settings, make_engine(url)


@contextmanager
def served(settings: Settings, engine: Engine) -> Iterator[str]:
    """Potbank on ``settings`` served on a free port from a thread; yields its base URL and
    closes the app's state and ``engine`` afterwards."""
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield base
    finally:
        app_state(app).close()
        engine.dispose()


@pytest.fixture(scope="session")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """Potbank served on a free port of 127.0.0.1 from a thread, over a few demo wares, with
    its keyword and image indexes built as ``potbank index rebuild`` builds them."""
    home, settings, engine = fresh_instance(tmp_path_factory, "e2e")
    with make_session_factory(engine)() as session:
        marked = _load_samples(settings, session)
        IndexSync(settings).rebuild(session)
    upload = home.parent / "my-pot.jpg"
    shutil.copy(SAMPLES / "images" / "porcelain_vase_minghongwu1000.jpg", upload)
    with served(settings, engine) as base:
        yield LiveSite(base, marked, upload)


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page (desktop size unless a test asks otherwise) that fails the test on any
    console error or uncaught script error, CSP violations included."""
    viewport = getattr(request, "param", {"width": 1280, "height": 900})
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    yield tab
    context.close()
    assert problems == [], f"browser console errors: {problems}"


def wait_until(page, predicate: str, arg: object = None, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Poll a JavaScript predicate until it holds.

    Playwright's ``wait_for_function`` polls through ``eval`` inside the page, which our
    Content-Security-Policy (rightly) forbids; ``evaluate`` is not subject to it.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        page.wait_for_timeout(50)


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot under test-output/e2e/ and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Scroll through once so lazily loaded thumbnails are in the picture, then back to the top.
    page.evaluate(
        """async () => {
            for (let y = 0; y < document.body.scrollHeight; y += innerHeight) {
                scrollTo(0, y);
                await new Promise((done) => setTimeout(done, 30));
            }
            scrollTo(0, 0);
        }"""
    )
    wait_until(page, "() => Array.from(document.images).every((image) => image.complete)")
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
