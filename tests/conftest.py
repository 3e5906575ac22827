"""Fixtures shared by the whole suite: a database on SQLite (and PostgreSQL when configured),
a temporary instance, and synthetic images made with Pillow."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from archive.db import make_engine, make_session_factory, upgrade_database
from archive.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
POSTGRES_URL = os.environ.get("POTBANK_TEST_DATABASE_URL", "")
CHROMIUM = Path("/usr/bin/chromium")
# Flags for a closed network: without the background-networking ones chromium keeps trying to
# reach Google's hosts and logs each refusal.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_or_skip() -> None:
    """Skip a browser test when Debian's chromium is absent, but fail it under CI."""
    if CHROMIUM.exists():
        return
    message = f"the browser tests need Debian's chromium at {CHROMIUM}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so a missing browser is a failure", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless chromium for the whole run: Playwright's sync API allows one at a time."""
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@contextmanager
def serving(app: object) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port from a thread; yields its base URL.

    waitress, the server `potbank serve` uses: unlike werkzeug's development server it closes a
    response's file when a browser drops the connection mid-image (otherwise a ResourceWarning,
    an error under -W error, lands in whichever test runs next).
    """
    import waitress.server
    import waitress.wasyncore

    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=8)
    stopping = threading.Event()

    def run() -> None:
        # Every socket is closed by this thread, after its last poll: closing them from the test's
        # thread while this one sat in select() gave EBADF here and an unclosed-socket warning
        # (an error under -W error) in whichever test ran next. Nothing wakes the poll to stop
        # it (the trigger is one of the sockets this thread closes): it times out instead.
        while not stopping.is_set():
            waitress.wasyncore.loop(timeout=0.1, map=server._map, count=1)
        server.task_dispatcher.shutdown()
        waitress.wasyncore.close_all(server._map)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stopping.set()
        thread.join(timeout=10)


def shared_data_or_skip(*parts: str) -> Path:
    """A path under ../shared/data, or skip: a user's fresh clone has no ../shared."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared data set at {path} (absent outside the dev environment)")
    return path


@contextmanager
def throwaway_postgres_database(template: str = "") -> Iterator[str]:
    """A new PostgreSQL database on the test server (a copy of ``template`` when named);
    yields its URL and drops it after, ``WITH (FORCE)``: that ends whatever a test left
    connected (a served site's pool, a killed process)."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL run: set POTBANK_TEST_DATABASE_URL to run database tests on it")
    name = f"potbank_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per run: each test copies it instead of running every
    migration again (0.3 s a test, measured on the 17 migrations of stop 19)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "potbank.sqlite3"
    upgrade_database(f"sqlite:///{path}")
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    # The last connection's close folds the WAL back into the file; a sidecar left here would
    # mean the copy misses part of the schema.
    assert not leftovers, f"the migrated template left {leftovers} beside it"
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """The name of a PostgreSQL database migrated once per run, copied by CREATE DATABASE ...
    TEMPLATE for each test (0.1 s, against 0.5 s for the migrations and a schema's drop)."""
    with throwaway_postgres_database() as url:
        upgrade_database(url)
        yield str(make_url(url).database)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database: every database test runs on SQLite, and on PostgreSQL too."""
    if request.param == "sqlite":
        path = tmp_path / "instance" / "potbank.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    with throwaway_postgres_database(request.getfixturevalue("postgres_template")) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for a temporary instance on the test database."""
    return load_settings(
        {"POTBANK_HOME": str(tmp_path / "instance"), "POTBANK_DATABASE_URL": database_url}
    )


@pytest.fixture
def session_factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as db_session:
        yield db_session


def make_image_bytes(
    size: tuple[int, int] = (400, 300),
    colour: tuple[int, int, int] = (40, 80, 160),
    fmt: str = "JPEG",
    seed: int = 0,
    **save_options: object,
) -> bytes:
    """A synthetic photograph: a coloured ground with a few shapes that depend on ``seed``."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    width, height = size
    for step in range(4):
        offset = (seed * 37 + step * 53) % max(width // 2, 1)
        shade = ((seed * 70 + step * 40) % 255, (step * 90) % 255, (seed * 20) % 255)
        draw.ellipse(
            [offset, offset // 2, offset + width // 3, offset // 2 + height // 3], fill=shade
        )
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_options)
    return buffer.getvalue()


def distinct_image_bytes(size: tuple[int, int] = (480, 360), seed: int = 0) -> bytes:
    """A synthetic photograph unlike any other seed's in every orientation: a random grid of
    shades, smoothly enlarged, so no two seeds' difference hashes are near (``make_image_bytes``
    draws a few shapes on a plain ground, and its seeds often hash alike: copies, to the
    duplicate check, which holds them for review)."""
    grid = np.random.default_rng(seed).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    image = Image.fromarray(grid, "RGB").resize(size, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width``×``height`` but carries (almost) no pixels: what a decompression
    bomb's header looks like, cheap to make."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    """The first half of a JPEG: a file cut short in transfer."""
    whole = make_image_bytes((800, 600), seed=5)
    return whole[: len(whole) // 2]


@pytest.fixture
def image_bytes() -> Callable[..., bytes]:
    """The synthetic image maker, as a fixture."""
    return make_image_bytes


# A tiny randomly initialised open_clip model, registered from an in-memory config and saved as a
# local checkpoint: it exercises the real CLIP loading code without downloading weights.
TINY = "potbank-tiny-test"
TINY_CONFIG = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Register the tiny architecture with open_clip and save random weights to a file."""
    from index.torch_compat import import_open_clip

    open_clip = import_open_clip()
    import torch

    folder = tmp_path_factory.mktemp("clip")
    (folder / f"{TINY}.json").write_text(json.dumps(TINY_CONFIG))
    open_clip.add_model_config(folder)
    torch.manual_seed(0)
    model = open_clip.create_model(TINY, pretrained=None)
    checkpoint = folder / "tiny.pt"
    torch.save(model.state_dict(), checkpoint)
    return checkpoint


ADMIN_EMAIL, ADMIN_PASSWORD = "jobs-admin@example.org", "correct horse battery"


@pytest.fixture
def admin_app(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[object]:
    """The app over an instance with one admin and nothing else (job tests fill it); its
    background jobs are waited for before the instance goes."""
    from archive.models import Role
    from archive.users import create_user
    from web import operations
    from web.app import create_app
    from web.views.context import app_state

    with session_factory() as session:
        create_user(session, ADMIN_EMAIL, ADMIN_PASSWORD, Role.ADMIN)
        session.commit()
    application = create_app(settings, testing=True)
    yield application
    operations.wait_all()
    app_state(application).close()


def admin_client(app: object) -> object:
    """A client of ``admin_app`` signed in as its admin."""
    from tests.curate.conftest import page_token

    client = app.test_client()  # type: ignore[attr-defined]
    response = client.post(
        "/login",
        data={
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
            "csrf_token": page_token(client),
        },
    )
    assert response.status_code == 302
    return client
