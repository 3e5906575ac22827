"""The public site in Debian's chromium: every focus stop visibly focused (measured), a
keyboard-only walk search → ware → compare → cite, an exhibition built and published by a
curator, a lightbox shared by link, and screenshots of the new pages (desktop and phone,
English and Chinese) in test-output/e2e/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from archive.authorities import edit_maker
from archive.db import make_session_factory
from archive.featuring import set_featured
from archive.models import Maker, Role, Ware
from archive.users import create_user
from index.sync import IndexSync
from tests.e2e.conftest import (
    CURATOR,
    PASSWORD,
    _load_samples,
    fresh_instance,
    screenshot,
    served,
    sign_in,
    wait_until,
)
from web.demo_setup import DEMO_EXHIBITION_SLUG, ensure_demo_exhibition

pytestmark = pytest.mark.e2e
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# How many focus stops each page is walked through (all of them on most pages).
MAX_STOPS = 70

# Where the keyboard focus is and whether it can be seen: an outline or ring at least 2 px wide
# (or, for a link drawn in SVG, its shape's 3 px stroke), not clipped by any ancestor that hides
# its overflow — the audit found result cards whose overflow:hidden cut the outline off.
FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  let drawn = false;
  const shape = el instanceof SVGElement ? el.querySelector("rect, circle") : null;
  if (shape) drawn = parseFloat(getComputedStyle(shape).strokeWidth) >= 3;
  const grow = ring ? parseFloat(style.outlineWidth) + parseFloat(style.outlineOffset || "0") : 0;
  const box = el.getBoundingClientRect();
  let clippedBy = null;
  for (let a = el.parentElement; a && !clippedBy && ring; a = a.parentElement) {
    const cs = getComputedStyle(a);
    if (cs.overflowX === "visible" && cs.overflowY === "visible") continue;
    if (["auto", "scroll"].includes(cs.overflowX) || ["auto", "scroll"].includes(cs.overflowY))
      continue;
    const r = a.getBoundingClientRect();
    if (box.left - grow < r.left - 0.5 || box.right + grow > r.right + 0.5 ||
        box.top - grow < r.top - 0.5 || box.bottom + grow > r.bottom + 0.5)
      clippedBy = a.className || a.tagName;
  }
  const label = (el.getAttribute("aria-label") || el.textContent || el.id || el.name || "")
    .trim().slice(0, 40);
  return {tag: el.tagName, label, visible: ring || shadow || drawn, clippedBy};
}"""


@dataclass(frozen=True)
class PublicSite:
    url: str
    ware: int
    other: int
    maker: int


@pytest.fixture(scope="module")
def public_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublicSite]:
    """A live Potbank over some demo wares, with the demo exhibition, a curator account, a
    maker's authority record and two featured wares."""
    _, settings, engine = fresh_instance(tmp_path_factory, "public-e2e")
    with make_session_factory(engine)() as session:
        marked = _load_samples(settings, session)
        create_user(session, CURATOR, PASSWORD, Role.CURATOR)
        ensure_demo_exhibition(session)
        maker = session.scalars(select(Maker)).first()
        assert maker is not None
        edit_maker(
            session,
            maker,
            {
                "name_zh": "詹姆斯·克卢斯",
                "born": 1790,
                "died": 1861,
                "nationality": "British",
                "biography_en": "Staffordshire potter at Cobridge who printed American views.",
                "biography_zh": "斯塔福德郡科布里奇的陶工，以转印美国风景闻名。",
                "wikidata_id": "Q6130530",
            },
            actor="test",
        )
        wares = session.scalars(select(Ware).order_by(Ware.id)).all()
        for ware in wares[:3]:
            set_featured(session, ware, True, actor="test")
        session.commit()
        IndexSync(settings).rebuild(session)
        other = next(w.id for w in wares if w.id != marked and w.photographs)
        maker_id = maker.id
    with served(settings, engine) as base:
        yield PublicSite(base, marked, other, maker_id)


def _pages(site: PublicSite) -> dict[str, str]:
    return {
        "home": "/",
        "search": "/?q=blue+and+white",
        "ware": f"/wares/{site.ware}",
        "maker": f"/makers/{site.maker}",
        "timeline": "/timeline",
        "map": "/map",
        "exhibition": f"/exhibitions/{DEMO_EXHIBITION_SLUG}",
        "compare": f"/compare?ids={site.ware},{site.other}",
        "lightbox": f"/lightbox?name=Blue&ids={site.ware},{site.other}",
    }


def _walk(page, stops: int = MAX_STOPS) -> list[dict]:  # type: ignore[no-untyped-def]
    seen = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state is None:
            break
        seen.append(state)
    return seen


def test_every_focus_stop_is_visibly_focused(page, public_site: PublicSite) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for name, path in _pages(public_site).items():
        page.goto(public_site.url + path)
        stops = _walk(page)
        assert len(stops) >= 5, name
        for stop in stops:
            if not stop["visible"] or stop["clippedBy"]:
                problems.append(f"{name}: {stop}")
    assert problems == []


def _tab_to(page, pattern: str, limit: int = 120) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until the focused element's text or label matches ``pattern``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
        if state and re.search(pattern, state["label"]):
            assert state["visible"] and not state["clippedBy"], state
            return
    raise AssertionError(f"no focus stop matching {pattern!r}")


def test_keyboard_only_walk_from_search_to_ware_to_compare_to_cite(
    page, public_site: PublicSite
) -> None:  # type: ignore[no-untyped-def]
    page.goto(public_site.url + "/")
    _tab_to(page, r"^$|^q$")
    page.keyboard.type("blue and white")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=blue"))
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to results"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") in ("card__link", "row__link")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/wares/\d+$"))
    ware_url = page.url
    _tab_to(page, "^Compare with other wares$")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/compare\?ids="))
    _tab_to(page, "^compare-add$")
    page.keyboard.type(str(public_site.other))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/compare\?ids=\d+(%2C|,)\d+"))
    assert page.locator(".compare__ware").count() == 2
    screenshot(page, "i13-keyboard-compare")
    page.goto(ware_url)
    _tab_to(page, "Chicago citation")
    cited = page.evaluate("document.activeElement.textContent")
    assert "Accessed" in cited and ware_url in cited
    _tab_to(page, "^Download RIS$")


def test_a_curator_builds_and_publishes_an_exhibition(page, public_site: PublicSite) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, public_site.url)
    page.locator(".curate-nav").get_by_role("link", name="Exhibitions").click()
    page.get_by_role("link", name="New exhibition").click()
    page.get_by_label("Address (lower-case words and hyphens)").fill("dragons")
    page.get_by_label("Title (English)").fill("Dragons in blue")
    page.get_by_label("Title (Chinese)").fill("青花龙纹")
    page.get_by_label("Introduction (English)").fill("Dragons among clouds.")
    page.locator("[name=section-0-heading_en]").fill("Clouds")
    page.locator("[name=section-0-item-0-ware]").fill(str(public_site.ware))
    page.locator("[name=section-0-item-0-photo]").fill("1")
    page.locator("[name=section-0-item-0-region]").fill("100,100,400,300")
    page.locator("[name=section-0-item-0-caption_en]").fill("The dragon's head.")
    page.locator("[name=section-0-item-1-ware]").fill(f"/wares/{public_site.other}")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Exhibition saved.").wait_for()
    page.get_by_role("link", name="Preview").click()
    page.get_by_text("Preview: this is how the exhibition will look once published.").wait_for()
    page.get_by_role("link", name="Back to editing").click()
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Exhibition published.").wait_for()
    page.get_by_role("link", name="History").click()
    assert page.locator(".history__event").count() == 2
    public = page.context.browser.new_context(viewport=PHONE)
    phone = public.new_page()
    phone.goto(public_site.url + "/exhibitions/dragons")
    assert phone.get_by_role("heading", name="Dragons in blue").is_visible()
    assert phone.get_by_text("The dragon's head.").is_visible()
    detail = phone.locator(".exhibit__image img").first
    wait_until(phone, "() => document.querySelector('.exhibit__image img').complete")
    assert detail.evaluate("img => img.naturalWidth") > 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    public.close()


def test_a_lightbox_is_shared_by_its_link(page, public_site: PublicSite) -> None:  # type: ignore[no-untyped-def]
    for ware in (public_site.ware, public_site.other):
        page.goto(public_site.url + f"/wares/{ware}")
        page.get_by_role("button", name="Add to lightbox").click()
        assert page.get_by_role("button", name="Added to your lightbox").is_disabled()
    page.goto(public_site.url + "/lightbox")
    page.get_by_role("link", name="My selection").click()
    assert page.locator(".grid .card").count() == 2
    link = page.get_by_label("Link to this selection").input_value()
    stranger = page.context.browser.new_context(viewport=DESKTOP)
    other = stranger.new_page()
    other.goto(link)
    assert other.locator(".grid .card").count() == 2
    hrefs = other.locator(".grid .card a").evaluate_all("links => links.map(a => a.pathname)")
    assert hrefs == [f"/wares/{public_site.ware}", f"/wares/{public_site.other}"]
    other.get_by_label("Name").fill("From a friend")
    other.get_by_role("button", name="Keep in my lightbox").click()
    assert other.get_by_role("link", name="From a friend").is_visible()
    csv_link = other.get_by_role("link", name="CSV").get_attribute("href")
    assert (
        csv_link is not None
        and f"ids={public_site.ware},{public_site.other}" in csv_link.replace("%2C", ",")
    )
    stranger.close()


def test_compare_zooms_the_photographs_together(page, public_site: PublicSite) -> None:  # type: ignore[no-untyped-def]
    page.goto(public_site.url + f"/compare?ids={public_site.ware},{public_site.other}")
    page.get_by_role("button", name="Synchronised deep zoom").click()
    wait_until(
        page, "() => document.documentElement.getAttribute('data-compare-zoom-ready') === '2'"
    )
    wait_until(page, "() => document.querySelectorAll('.compare__photo canvas').length === 2")


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_screenshots_of_the_public_site(
    browser, public_site: PublicSite, language: str, size: str
) -> None:  # type: ignore[no-untyped-def]
    viewport = DESKTOP if size == "desktop" else PHONE
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=1,
        locale="zh-CN" if language == "zh" else "en-GB",
        extra_http_headers={"Accept-Language": "zh-CN" if language == "zh" else "en-GB"},
    )
    tab = context.new_page()
    try:
        for name, path in _pages(public_site).items():
            tab.goto(public_site.url + path)
            assert tab.evaluate("document.documentElement.lang").startswith(language)
            if size == "phone":
                width = tab.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"{path} is {width} px wide"
            screenshot(tab, f"i13-{name}-{size}-{language}")
    finally:
        context.close()
