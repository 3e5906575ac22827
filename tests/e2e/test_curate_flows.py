"""Curating in a real browser: a curator edits and publishes, a partner's copy of an archived
photograph is held for review and the curator approves it from the queue, the partner sees it;
a curator's own turned copy is held too, shown side by side and rejected from the list."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.conftest import CURATOR, KNOWN_PHOTO, PARTNER, SAMPLES, screenshot, sign_in

pytestmark = pytest.mark.e2e
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
NEW_PHOTO = SAMPLES / "images" / "black_pottery_songze1000.jpg"


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
    sign_in(page, curate_site.url, CURATOR)
    _new_ware(page, "CM-2", "Celadon vase made in the browser", NEW_PHOTO)
    page.get_by_role("button", name="Publish").click()
    assert page.get_by_test_id("ware-status").inner_text() == "published"
    screenshot(page, "curate-01-published")
    page.get_by_role("link", name="Public page").click()
    assert page.locator("h1").inner_text() == "Celadon vase made in the browser"
    _sign_out(page)


def test_partner_copy_is_held_and_the_curator_approves_it_from_the_queue(page, curate_site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, curate_site.url, PARTNER)
    flashes = _new_ware(page, "JCI-7", "Flask sent by the university", KNOWN_PHOTO)
    # The very photograph of CM-1: held for review at once, in the queue.
    assert "held for review: it copies a photograph of CM-1 (an exact copy)" in flashes
    assert page.get_by_role("button", name="Publish").count() == 0
    assert page.get_by_test_id("ware-status").inner_text() == "submitted"
    screenshot(page, "curate-02-submitted")
    _sign_out(page)

    sign_in(page, curate_site.url, CURATOR)
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

    sign_in(page, curate_site.url, PARTNER)
    row = page.get_by_test_id("ware-list").locator("tr", has_text="JCI-7")
    assert "published" in row.inner_text() and "approved" in row.inner_text()
    screenshot(page, "curate-04-partner-outcome")


def test_bulk_upload_dry_run_with_a_mapping_built_in_the_browser_then_import(  # type: ignore[no-untyped-def]
    page, curate_site, tmp_path
) -> None:
    # A museum's own export: its column names are not the catalogue's.
    rows = tmp_path / "export.csv"
    rows.write_text(
        "Object No.,Name,When made,Mark,Licence,Photo\n"
        f"BU-1,Bulk flask,circa 1430,six-character mark,{CC0},flask.jpg\n"
        ",No accession number,,,,\n",
        encoding="utf-8",
    )
    photos = tmp_path / "photos.zip"
    with zipfile.ZipFile(photos, "w") as archive:
        archive.write(NEW_PHOTO, "flask.jpg")
        archive.write(KNOWN_PHOTO, "spare.jpg")
    sign_in(page, curate_site.url, CURATOR)
    page.get_by_role("link", name="Bulk upload").click()
    page.get_by_label("Records (CSV or JSON)").set_input_files(str(rows))
    page.get_by_label("Photographs (ZIP, optional)").set_input_files(str(photos))
    page.get_by_label("Institution for rows that name none").select_option(
        "Capital Museum, Beijing"
    )
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_url(re.compile(r"/curate/bulk/preview/[0-9a-f]{32}$"))
    # The dry run: the row as it will be catalogued, every problem, nothing loaded yet.
    preview = page.get_by_test_id("preview-rows")
    assert "Bulk flask" in preview.inner_text() and "✓ flask.jpg" in preview.inner_text()
    problems = page.get_by_test_id("problems").inner_text()
    assert problems.index("accession number is missing") < problems.index("named by no row")
    # "When made" and "Mark" were not recognised: map them in the browser; the preview follows.
    assert page.get_by_label("When made", exact=True).input_value() == ""
    with page.expect_navigation():
        page.get_by_label("When made", exact=True).select_option("date_text")
    assert "[14" in page.get_by_test_id("years").first.inner_text()
    with page.expect_navigation():
        page.get_by_label("Mark", exact=True).select_option("marks")
    assert page.get_by_label("Mark", exact=True).input_value() == "marks"
    screenshot(page, "curate-05-bulk-dry-run")
    # Saved as a profile for later uploads (and potbank ingest --profile museum-export).
    page.get_by_label("Profile name (lower-case letters, digits, - or _)").fill("museum-export")
    with page.expect_navigation():
        page.get_by_test_id("save-profile").click()
    assert page.get_by_label("Mapping profile").input_value() == "museum-export"
    page.get_by_test_id("import").click()
    page.wait_for_url(re.compile(r"/curate/bulk/\d+$"))
    # The page follows the job by itself (curate.js) and shows the report when it is done.
    page.get_by_test_id("job-status").filter(has_text="finished").wait_for(timeout=60_000)
    assert "1 created" in page.get_by_test_id("job-summary").inner_text()
    assert "accession number" in page.locator("table").inner_text().lower()
    screenshot(page, "curate-06-bulk-report")
    page.reload()
    assert page.get_by_test_id("job-status").inner_text() == "finished"
    page.goto(curate_site.url + "/curate/bulk")
    assert page.locator("option[value='museum-export']").count() == 1
    _sign_out(page)


def test_a_turned_copy_is_held_side_by_side_and_rejected_from_the_list(  # type: ignore[no-untyped-def]
    page, curate_site, tmp_path
) -> None:
    turned = tmp_path / "turned.jpg"
    Image.open(KNOWN_PHOTO).transpose(Image.Transpose.ROTATE_270).save(turned, quality=85)
    sign_in(page, curate_site.url, CURATOR)
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
