"""What a visitor does, in a real browser: search by word and by photograph, open a ware,
switch its photographs, and use the site on a 360 px phone."""

from __future__ import annotations

import base64
import re

import pytest

from tests.e2e.conftest import SCREENSHOTS, LiveSite, screenshot, wait_until

pytestmark = pytest.mark.e2e
PHONE = {"width": 360, "height": 740}


def test_keyword_search_shows_a_results_grid(page, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_site.url + "/")
    screenshot(page, "01-search-empty")
    page.get_by_label("Search words").fill("blue")
    page.get_by_label("Search words").press("Enter")
    page.wait_for_url(re.compile(r"\?q=blue"))
    cards = page.locator(".grid .card")
    assert cards.count() >= 3
    assert page.locator("#results-title").inner_text().startswith(f"{cards.count()} wares")
    first = cards.first.locator("img")
    assert first.get_attribute("loading") == "lazy"
    assert first.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "02-search-results")
    everything = cards.count()
    page.get_by_label("From").fill("1700")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"year_from=1700"))
    assert "q=blue" in page.url
    assert 0 < page.locator(".grid .card").count() < everything
    assert "1700 – …" in page.locator(".chips").inner_text()


def test_open_a_ware_and_switch_photographs(page, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_site.url}/?q=zun")
    page.locator(".grid .card a").first.click()
    page.wait_for_url(re.compile(rf"/wares/{live_site.marked_ware}$"))
    main = page.locator("[data-gallery-image]")
    first_src = main.get_attribute("src")
    thumbs = page.locator(".gallery__thumbs a")
    assert thumbs.count() == 2
    assert thumbs.nth(0).get_attribute("aria-current") == "true"
    # On a desktop the record stands beside the photographs, not below them.
    gallery = page.locator("[data-gallery]").bounding_box()
    record = page.locator(".record").bounding_box()
    assert gallery and record and record["x"] >= gallery["x"] + gallery["width"]
    assert record["y"] < gallery["y"] + gallery["height"]
    screenshot(page, "03-ware")
    thumbs.nth(1).click()
    wait_until(
        page,
        "src => document.querySelector('[data-gallery-image]').getAttribute('src') !== src",
        first_src,
    )
    assert thumbs.nth(1).get_attribute("aria-current") == "true"
    assert page.url.endswith("?photo=2#photo")
    wait_until(page, "() => document.querySelector('[data-gallery-image]').complete")
    assert main.evaluate("img => img.naturalWidth > 0")
    assert "Alex Amies" in page.locator("[data-gallery-credit]").inner_text()
    screenshot(page, "04-ware-second-photograph")


def test_search_by_uploading_a_photograph(page, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_site.url + "/")
    # Choosing the file is enough: the page submits the form (with its CSRF token) at once.
    with page.expect_navigation(url=re.compile(r"\?image=[0-9a-f]{32}$")):
        page.locator("#photo").set_input_files(str(live_site.upload))
    assert "look like your photograph" in page.locator("#results-title").inner_text()
    assert page.locator(".results-head__query").evaluate("img => img.naturalWidth > 0")
    # Only close matches are listed; the photographed ware comes first, verified, outlined.
    first = page.locator(".grid .card").first
    assert "Same object or pattern" in first.inner_text()
    assert first.locator(".match__outline").is_visible()
    screenshot(page, "05-search-by-photograph")


def test_search_by_dropping_a_photograph(page, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_site.url + "/")
    payload = base64.b64encode(live_site.upload.read_bytes()).decode("ascii")
    with page.expect_navigation(url=re.compile(r"\?image=[0-9a-f]{32}$")):
        page.evaluate(
            """(payload) => {
                const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
                const transfer = new DataTransfer();
                transfer.items.add(new File([bytes], "pot.jpg", {type: "image/jpeg"}));
                const zone = document.querySelector("[data-dropzone]");
                for (const type of ["dragenter", "dragover", "drop"]) {
                    zone.dispatchEvent(new DragEvent(type, {
                        dataTransfer: transfer, bubbles: true, cancelable: true,
                    }));
                }
            }""",
            payload,
        )
    assert "Same object or pattern" in page.locator(".grid .card").first.inner_text()


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_phone_viewport_has_no_sideways_scrolling(page, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    for path, name in (
        ("/", "06-phone-search-empty"),
        ("/?q=celadon", "07-phone-results"),
        (f"/wares/{live_site.marked_ware}", "08-phone-ware"),
        ("/about", "09-phone-about"),
    ):
        page.goto(live_site.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide"
        screenshot(page, name)
    page.goto(live_site.url + "/?q=celadon")
    # On a phone the facets start folded so the results come first.
    assert page.locator("[data-facets]").get_attribute("open") is None


def test_pages_work_from_the_keyboard(page, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_site.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"


def test_everything_works_without_javascript(browser, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1024, "height": 800}
    )
    try:
        page = context.new_page()
        page.goto(f"{live_site.url}/wares/{live_site.marked_ware}")
        page.locator(".gallery__thumbs a").nth(1).click()
        page.wait_for_url(re.compile(r"\?photo=2#photo$"))
        assert page.locator(".gallery__thumbs a").nth(1).get_attribute("aria-current") == "true"
        page.goto(live_site.url + "/")
        page.locator("#photo").set_input_files(str(live_site.upload))
        with page.expect_navigation(url=re.compile(r"\?image=[0-9a-f]{32}$")):
            page.get_by_role("button", name="Search by photograph").click()
        # Without script too, only close matches are listed: the photographed ware, verified.
        first = page.locator(".grid .card").first
        assert "Same object or pattern" in first.inner_text()
        # The helper scrolls with script, which this page has not got: a plain screenshot.
        page.screenshot(path=str(SCREENSHOTS / "10-no-javascript-photograph-results.png"))
    finally:
        context.close()


def test_record_pages_and_states(browser, page, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_site.url + "/?q=platter")
    # Results without photographs read as a compact list (title, maker, date, type, place).
    card = page.locator(".listing .row").first
    assert "James Clews" in card.inner_text() and "platter" in card.inner_text()
    screenshot(page, "11-result-without-photograph")
    page.get_by_role("link", name="grid").click()
    assert "No photograph" in page.locator(".grid .card").first.inner_text()
    page.get_by_role("link", name="list").click()
    card = page.locator(".listing .row").first
    card.locator("a").click()
    page.get_by_role("link", name="James Clews").click()
    assert page.locator("h1").inner_text() == "James Clews"
    screenshot(page, "12-maker")
    page.goto(f"{live_site.url}/wares/{live_site.marked_ware}")
    page.locator(".crumbs a").nth(1).click()
    assert "/institutions/" in page.url and page.locator(".grid .card").count() >= 1
    screenshot(page, "13-institution")
    page.goto(live_site.url + "/?q=qwertyuiop")
    assert "No wares match" in page.locator(".empty").inner_text()
    screenshot(page, "14-no-results")
    # A 404 is logged in the console by design, so it gets a page of its own outside the check.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        missing = context.new_page()
        response = missing.goto(live_site.url + "/wares/999999")
        assert response is not None and response.status == 404
        assert missing.locator("h1").inner_text() == "Not found"
        screenshot(missing, "15-not-found")
    finally:
        context.close()
