"""Browser tests: a live Potbank on 127.0.0.1 over a temporary instance, driven by Debian's
chromium through Playwright. Screenshots go to ``test-output/e2e/`` (git-ignored).

Live sites for any test file here: ``live_site`` (demo wares, indexes built), ``curate_site``
(a curator and a partner, one photographed ware) and ``bench_site`` (200 wares, once per test
database); ``fresh_instance``/``database_instance`` and ``served`` build another, and
``sign_in`` signs in one of the accounts they create (``CURATOR``, ``PARTNER``; ``PASSWORD``)."""

from __future__ import annotations

import csv
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from archive.catalogue import (
    MakerCredit,
    attach_photograph,
    get_or_create_collection,
    get_or_create_institution,
    get_or_create_maker,
    upsert_ware,
)
from archive.db import make_engine, make_session_factory, upgrade_database
from archive.models import MakerRole, PhotoView, Role, Ware, WareMaker, WareStatus
from archive.settings import Settings, load_settings
from archive.store import ImageStore
from archive.users import create_user
from index.sync import IndexSync
from tests.conftest import REPO_ROOT, chromium_or_skip, serving
from web.app import create_app
from web.curate import batch_jobs, jobs
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
# The accounts the live sites' fixtures create, all with one password.
PASSWORD = "a long test password"
CURATOR = "curator@potbank.example"
PARTNER = "partner@jci.example"
KNOWN_PHOTO = SAMPLES / "images" / "bajixiangwen_baoyueping1000.jpg"
BENCH_WARES = 200


@dataclass(frozen=True)
class LiveSite:
    """A running server and what it holds."""

    url: str
    marked_ware: int
    upload: Path


@dataclass(frozen=True)
class CurateSite:
    """A running server with a curator, a partner and one published, photographed ware."""

    url: str


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


def instance_on(home: Path, url: str) -> tuple[Settings, Engine]:
    """Settings for an instance at ``home`` on the migrated database ``url``, and an engine on
    it (the test skips without Chromium)."""
    chromium_or_skip()
    settings = load_settings({"POTBANK_HOME": str(home), "POTBANK_DATABASE_URL": url})
    return settings, make_engine(url)


def fresh_instance(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> tuple[Path, Settings, Engine]:
    """A migrated, empty SQLite instance in a new temporary folder (the test skips without
    Chromium): its home, its settings and an engine on its database."""
    chromium_or_skip()
    home = tmp_path_factory.mktemp(name) / "instance"
    url = f"sqlite:///{home / 'potbank.sqlite3'}"
    upgrade_database(url)
    return home, *instance_on(home, url)


@pytest.fixture
def database_instance(tmp_path: Path, database_url: str) -> tuple[Path, Settings, Engine]:
    """An empty instance on the test database (SQLite, and PostgreSQL when the run has one),
    as ``fresh_instance`` gives, for a live site that needs its test once per database."""
    home = tmp_path / "instance"
    return home, *instance_on(home, database_url)


@contextmanager
def served(settings: Settings, engine: Engine) -> Iterator[str]:
    """Potbank on ``settings`` served on a free port from a thread; yields its base URL and,
    once the background jobs a test started have ended, closes the app's state and
    ``engine``."""
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield base
    finally:
        jobs.wait_all()
        batch_jobs.wait_all()
        app_state(app).close()
        engine.dispose()


def sign_in(page, base: str, email: str = CURATOR) -> None:  # type: ignore[no-untyped-def]
    """Sign in as ``email`` (one of the fixtures' accounts) from the home page's link; waits
    for the curating page that follows."""
    page.goto(base + "/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/curate/$"))


@pytest.fixture(scope="module")
def curate_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CurateSite]:
    """A live Potbank with a curator, a partner, and one published ware with a photograph."""
    _, settings, engine = fresh_instance(tmp_path_factory, "curate-e2e")
    with make_session_factory(engine)() as session:
        museum = get_or_create_institution(session, "Capital Museum, Beijing")
        university = get_or_create_institution(session, "Jingdezhen Ceramic University")
        create_user(session, CURATOR, PASSWORD, Role.CURATOR)
        create_user(session, PARTNER, PASSWORD, Role.PARTNER, university)
        ware, _ = upsert_ware(
            session,
            institution=museum,
            accession_number="CM-1",
            fields={"title_en": "Moon flask already in the archive", "status": "published"},
        )
        store = ImageStore(settings.store_dir, settings.max_image_pixels)
        attach_photograph(session, ware, store.put(KNOWN_PHOTO.read_bytes()))
        session.commit()
        IndexSync(settings).rebuild(session)
    with served(settings, engine) as base:
        yield CurateSite(base)


@pytest.fixture
def bench_site(
    database_instance: tuple[Path, Settings, Engine],
) -> Iterator[tuple[str, sessionmaker[Session], Settings]]:
    """A live Potbank (once per test database) with a curator and ``BENCH_WARES`` published
    wares accessioned BAT-nnnn, five more (OTHER-nnnn), and two makers: "Josiah Wedgwood & Sons"
    on BAT-0000 and "Wedgwood of Etruria" on OTHER-0200 and OTHER-0201. Yields the base URL, a
    session factory and the settings."""
    _, settings, engine = database_instance
    sessions = make_session_factory(engine)
    with sessions() as session:
        museum = get_or_create_institution(session, "Stoke Museum")
        create_user(session, CURATOR, PASSWORD, Role.CURATOR)
        rows = [
            {
                "institution_id": museum.id,
                "accession_number": f"{'BAT' if n < BENCH_WARES else 'OTHER'}-{n:04d}",
                "title_en": f"Transfer printed plate {n}",
                "material": "earthenware",
                "rights": "http://creativecommons.org/licenses/by/4.0/",
                "status": WareStatus.PUBLISHED,
            }
            for n in range(BENCH_WARES + 5)
        ]
        session.execute(insert(Ware), rows)
        wares = dict(session.execute(select(Ware.accession_number, Ware.id)).all())
        sons = get_or_create_maker(session, "Josiah Wedgwood & Sons", "wedgwood sons")
        etruria = get_or_create_maker(session, "Wedgwood of Etruria", "wedgwood etruria")
        for accession, maker in (
            ("BAT-0000", sons),
            ("OTHER-0200", etruria),
            ("OTHER-0201", etruria),
        ):
            session.add(WareMaker(ware_id=wares[accession], maker_id=maker.id))
        session.commit()
        IndexSync(settings).rebuild(session)
    with served(settings, engine) as base:
        yield base, sessions, settings


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
