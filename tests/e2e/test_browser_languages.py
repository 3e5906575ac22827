"""The site in Chinese and back, facets and their chips, and a screenshot of every main page in
both languages (``test-output/e2e/lang-<code>-<page>.png``)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import LiveSite, screenshot

pytestmark = pytest.mark.e2e


def _switch_to(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Follow the header's language link and wait for the page to come back in it."""
    with page.expect_navigation():
        page.locator(".site-nav__language", has_text=name).click()


def test_keyword_search_in_chinese_and_switch_back(page, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_site.url + "/?q=celadon")
    _switch_to(page, "中文")
    # The switch returns to the same search, now in Chinese.
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    assert "q=celadon" in page.url
    assert "“celadon”的检索结果" in page.locator("#results-title").inner_text()
    page.get_by_label("检索词").fill("青花")
    page.get_by_label("检索词").press("Enter")
    page.wait_for_url(re.compile(r"\?q=%E9%9D%92%E8%8A%B1"))
    cards = page.locator(".grid .card")
    assert cards.count() >= 4
    # Records lead with their Chinese title in a Chinese interface.
    assert cards.first.locator(".card__title").get_attribute("lang") == "zh"
    # Remembered: a fresh visit to another page is still in Chinese.
    page.goto(live_site.url + "/about")
    assert page.locator("h1").inner_text() == "关于 Potbank"
    _switch_to(page, "English")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("h1").inner_text() == "About Potbank"
    page.goto(live_site.url + "/")
    assert page.locator("h1").inner_text() == "Ceramics heritage, from Stoke-on-Trent to Jingdezhen"


def test_a_chinese_browser_gets_chinese_first(browser, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(live_site.url + "/")
        assert tab.locator("h1").inner_text() == "陶瓷遗产，从斯托克城到景德镇"
    finally:
        context.close()


def test_facet_click_and_chip_removal(page, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_site.url + "/?q=vase")
    everything = page.locator(".grid .card").count()
    material = page.locator(".facet", has=page.locator("h3", has_text="Material"))
    material.get_by_role("link", name=re.compile(r"^porcelain")).click()
    page.wait_for_url(re.compile(r"material=porcelain"))
    assert "q=vase" in page.url
    narrowed = page.locator(".grid .card").count()
    assert 0 < narrowed < everything
    chip = page.get_by_role("link", name="Remove filter Material: porcelain")
    assert chip.is_visible()
    chip.click()
    page.wait_for_url(re.compile(r"\?q=vase$"))
    assert page.locator(".grid .card").count() == everything
    assert page.get_by_role("link", name=re.compile("^Remove filter")).count() == 0


@pytest.mark.parametrize("code", ["en", "zh"])
def test_screenshots_of_every_main_page(page, live_site: LiveSite, code: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_site.url}/language/{code}?next=/")
    page.get_by_label(re.compile("^(Search words|检索词)$")).fill(
        "blue" if code == "en" else "青花"
    )
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?q="))
    results = page.url
    page.goto(f"{live_site.url}/wares/{live_site.marked_ware}")
    ware = page.url
    institution = page.locator(".crumbs a").nth(1).get_attribute("href")
    collection = page.locator(".crumbs a").nth(2).get_attribute("href")
    page.goto(live_site.url + "/?q=platter")
    page.locator(".listing .row a").first.click()
    maker = page.locator(".record__makers a").first.get_attribute("href")
    for name, address in (
        ("search", live_site.url + "/"),
        ("results", results),
        ("ware", ware),
        ("maker", live_site.url + str(maker)),
        ("institution", live_site.url + str(institution)),
        ("collection", live_site.url + str(collection)),
        ("about", live_site.url + "/about"),
    ):
        page.goto(address)
        assert page.evaluate("document.documentElement.lang") == (
            "en" if code == "en" else "zh-Hans"
        )
        screenshot(page, f"lang-{code}-{name}")


@pytest.mark.parametrize("page", [{"width": 360, "height": 740}], indirect=True)
def test_the_chinese_site_fits_a_phone(page, live_site: LiveSite) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_site.url}/language/zh?next=/")
    for path, name in (
        ("/", "search"),
        ("/?q=%E9%9D%92%E8%8A%B1", "results"),
        (f"/wares/{live_site.marked_ware}", "ware"),
        ("/about", "about"),
    ):
        page.goto(live_site.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide"
        screenshot(page, f"lang-zh-phone-{name}")
