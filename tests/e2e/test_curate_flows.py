"""Curating in a real browser: a curator edits and publishes, a partner's copy of an archived
photograph is held for review and the curator approves it from the queue, the partner sees it;
a curator's own turned copy is held too, shown side by side and rejected from the list."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from archive.catalogue import attach_photograph, get_or_create_institution, upsert_ware
from archive.db import make_engine, make_session_factory, upgrade_database
from archive.models import Role
from archive.settings import load_settings
from archive.store import ImageStore
from archive.users import create_user
from index.sync import IndexSync
from tests.conftest import chromium_or_skip, serving
from tests.e2e.conftest import SAMPLES, screenshot
from web.app import create_app
from web.views.context import app_state

pytestmark = pytest.mark.e2e
PASSWORD = "a long test password"
CURATOR = "curator@potbank.example"
PARTNER = "partner@jci.example"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
KNOWN_PHOTO = SAMPLES / "images" / "bajixiangwen_baoyueping1000.jpg"
NEW_PHOTO = SAMPLES / "images" / "black_pottery_songze1000.jpg"


@dataclass(frozen=True)
class CurateSite:
    url: str


@pytest.fixture(scope="module")
def curate_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CurateSite]:
    """A live Potbank with a curator, a partner, and one published ware with a photograph."""
    chromium_or_skip()
    home = tmp_path_factory.mktemp("curate-e2e") / "instance"
    url = f"sqlite:///{home / 'potbank.sqlite3'}"
    upgrade_database(url)
    settings = load_settings({"POTBANK_HOME": str(home), "POTBANK_DATABASE_URL": url})
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session:
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
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield CurateSite(base)
    finally:
        app_state(app).close()
        engine.dispose()


def _sign_in(page, site: CurateSite, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(site.url + "/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/curate/$"))


def _sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))


def _new_ware(page, accession: str, title: str, photo: Path) -> str:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name="New ware").click()
    page.get_by_label("Accession number").fill(accession)
    page.get_by_label("Title (English)").fill(title)
    page.get_by_label("Title (Chinese)").fill("青花瓶")
    page.get_by_label("Rights statement (licence URI)").fill(CC0)
    page.locator('input[name="maker_name"]').first.fill("Jingdezhen kilns")
    page.locator('select[name="maker_role"]').first.select_option("manufacturer")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url(re.compile(r"/curate/wares/\d+$"))
    page.locator('input[name="photos"]').set_input_files(str(photo))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(re.compile(r"/curate/wares/\d+#photographs$"))
    assert page.locator(".photos__item img").count() == 1
    return page.locator(".flashes").inner_text()


def test_curator_creates_a_ware_with_a_photograph_and_publishes_it(page, curate_site) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, curate_site, CURATOR)
    _new_ware(page, "CM-2", "Celadon vase made in the browser", NEW_PHOTO)
    page.get_by_role("button", name="Publish").click()
    assert page.get_by_test_id("ware-status").inner_text() == "published"
    screenshot(page, "curate-01-published")
    page.get_by_role("link", name="Public page").click()
    assert page.locator("h1").inner_text() == "Celadon vase made in the browser"
    _sign_out(page)


def test_partner_copy_is_held_and_the_curator_approves_it_from_the_queue(page, curate_site) -> None:  # type: ignore[no-untyped-def]
    _sign_in(page, curate_site, PARTNER)
    flashes = _new_ware(page, "JCI-7", "Flask sent by the university", KNOWN_PHOTO)
    # The very photograph of CM-1: held for review at once, in the queue.
    assert "held for review: it copies a photograph of CM-1 (an exact copy)" in flashes
    assert page.get_by_role("button", name="Publish").count() == 0
    assert page.get_by_test_id("ware-status").inner_text() == "submitted"
    screenshot(page, "curate-02-submitted")
    _sign_out(page)

    _sign_in(page, curate_site, CURATOR)
    page.get_by_role("link", name="Review queue").click()
    submission = page.get_by_test_id("submission").filter(has_text="Flask sent by the university")
    held = submission.get_by_test_id("held-copy")
    assert "Moon flask already in the archive" in held.inner_text()
    screenshot(page, "curate-03-review-queue")
    # Approving publishes at once, so the page asks first.
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    submission.get_by_role("button", name="Approve and publish").click()
    page.wait_for_url(re.compile(r"/curate/review$"))
    assert "approved and published" in page.locator(".flashes").inner_text()
    assert questions == ["Publish this submission now?"]
    _sign_out(page)

    _sign_in(page, curate_site, PARTNER)
    row = page.get_by_test_id("ware-list").locator("tr", has_text="JCI-7")
    assert "published" in row.inner_text() and "approved" in row.inner_text()
    screenshot(page, "curate-04-partner-outcome")


def test_bulk_upload_runs_in_the_background_and_reports(page, curate_site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = tmp_path / "wares.csv"
    rows.write_text(
        "accession_number,title_en,rights,images\n"
        f"BU-1,Bulk flask,{CC0},flask.jpg\n"
        ",No accession number,,\n",
        encoding="utf-8",
    )
    photos = tmp_path / "photos.zip"
    with zipfile.ZipFile(photos, "w") as archive:
        archive.write(NEW_PHOTO, "flask.jpg")
    _sign_in(page, curate_site, CURATOR)
    page.get_by_role("link", name="Bulk upload").click()
    page.get_by_label("Records (CSV or JSON)").set_input_files(str(rows))
    page.get_by_label("Photographs (ZIP, optional)").set_input_files(str(photos))
    page.get_by_label("Institution for rows that name none").select_option(
        "Capital Museum, Beijing"
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(re.compile(r"/curate/bulk/\d+$"))
    # The page follows the job by itself (curate.js) and shows the report when it is done.
    page.get_by_test_id("job-status").filter(has_text="finished").wait_for(timeout=60_000)
    assert "1 created" in page.get_by_test_id("job-summary").inner_text()
    assert "accession number" in page.locator("table").inner_text().lower()
    screenshot(page, "curate-05-bulk-report")
    page.reload()
    assert page.get_by_test_id("job-status").inner_text() == "finished"
    _sign_out(page)


def test_a_turned_copy_is_held_side_by_side_and_rejected_from_the_list(  # type: ignore[no-untyped-def]
    page, curate_site, tmp_path
) -> None:
    turned = tmp_path / "turned.jpg"
    Image.open(KNOWN_PHOTO).transpose(Image.Transpose.ROTATE_270).save(turned, quality=85)
    _sign_in(page, curate_site, CURATOR)
    flashes = _new_ware(page, "CM-9", "Flask photographed sideways", turned)
    # A curator may publish, yet the copy is held: not published, waiting in the queue.
    assert "(a near copy, turned 90° clockwise)" in flashes
    assert page.get_by_test_id("ware-status").inner_text() == "submitted"

    page.get_by_role("link", name="Review queue").click()
    submission = page.get_by_test_id("submission").filter(has_text="Flask photographed sideways")
    held = submission.get_by_test_id("held-copy")
    # Side by side: the submission's photograph and the archived one, each shown.
    images = held.locator("img")
    assert images.count() == 2
    for index in range(2):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        assert image.evaluate("image => image.complete && image.naturalWidth > 0")
    assert "turned 90° clockwise" in held.inner_text()
    assert held.get_by_test_id("held-match").inner_text() == "Moon flask already in the archive"
    assert "Jingdezhen kilns" in submission.get_by_test_id("key-fields").inner_text()
    screenshot(page, "curate-05-held-copy")
    submission.locator('textarea[name="comment"]').fill("The same flask as CM-1.")
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    submission.get_by_role("button", name="Reject").click()
    page.wait_for_url(re.compile(r"/curate/review$"))
    assert questions == ["Reject this submission?"]
    assert "CM-9 rejected." in page.locator(".flashes").inner_text()
    assert (
        page.get_by_test_id("submission").filter(has_text="Flask photographed sideways").count()
        == 0
    )
    _sign_out(page)
