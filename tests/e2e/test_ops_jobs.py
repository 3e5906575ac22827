"""An admin rebuilds the indexes from the Status page in a real browser: the job page follows
the job by itself (curate.js polling its JSON) until it has finished, and the Status page lists
it with who started it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from archive.catalogue import attach_photograph, get_or_create_institution, upsert_ware
from archive.db import make_engine, make_session_factory, upgrade_database
from archive.models import Role
from archive.settings import load_settings
from archive.store import ImageStore
from archive.users import create_user
from index.sync import IndexSync
from tests.conftest import chromium_or_skip, serving
from tests.e2e.conftest import KNOWN_PHOTO, PASSWORD, CurateSite, screenshot, sign_in
from web import operations
from web.app import create_app
from web.views.context import app_state

pytestmark = pytest.mark.e2e
ADMIN = "admin@potbank.example"


@pytest.fixture(scope="module")
def admin_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CurateSite]:
    """A live Potbank with an admin and one published ware with a photograph."""
    chromium_or_skip()
    home = tmp_path_factory.mktemp("ops-e2e") / "instance"
    url = f"sqlite:///{home / 'potbank.sqlite3'}"
    upgrade_database(url)
    settings = load_settings({"POTBANK_HOME": str(home), "POTBANK_DATABASE_URL": url})
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        create_user(session, ADMIN, PASSWORD, Role.ADMIN)
        ware, _ = upsert_ware(
            session,
            institution=get_or_create_institution(session, "Capital Museum, Beijing"),
            accession_number="OPS-1",
            fields={"title_en": "Flask to rebuild", "status": "published"},
        )
        store = ImageStore(settings.store_dir, settings.max_image_pixels)
        attach_photograph(session, ware, store.put(KNOWN_PHOTO.read_bytes()))
        session.commit()
        IndexSync(settings).rebuild(session)
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield CurateSite(base)
    finally:
        operations.wait_all()
        app_state(app).close()
        engine.dispose()


def test_admin_rebuilds_the_indexes_from_the_status_page(page, admin_site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, admin_site.url, ADMIN)
    page.get_by_role("navigation", name="Curating").get_by_role("link", name="Status").click()
    page.get_by_test_id("start-rebuild").click()
    page.wait_for_url(re.compile(r"/curate/jobs/\d+$"))
    # The page follows the job by itself and reloads once it has ended.
    page.get_by_test_id("job-status").filter(has_text="finished").wait_for(timeout=60_000)
    assert page.get_by_test_id("job-done").inner_text() == "1"
    assert page.get_by_test_id("job-message").inner_text().startswith("Rebuilt: 1 wares")
    screenshot(page, "ops-01-rebuild-finished")
    page.get_by_role("link", name="Back to the status page").click()
    row = page.get_by_test_id("job-row").first
    assert "Index rebuild" in row.inner_text() and ADMIN in row.inner_text()
    screenshot(page, "ops-02-status-jobs")
