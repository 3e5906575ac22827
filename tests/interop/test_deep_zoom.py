"""The deep-zoom block: its markup, its static files, and OpenSeadragon in a real browser
reading our IIIF image service under the site's Content-Security-Policy."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from flask import render_template_string

from archive.catalogue import get_ware
from web.views.context import db_session

BLOCK = '{% include "iiif/deep_zoom.html" %}'
PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>zoom</title>'
    '<link rel="icon" href="/static/favicon.svg"></head>'
    "<body>" + BLOCK + "</body></html>"
)


@pytest.fixture
def zoom_page(app, catalogue):
    """A page holding only the block, served with the site's own security headers."""

    @app.get("/test/deep-zoom/<int:ware_id>")
    def deep_zoom_test_page(ware_id: int) -> str:
        return render_template_string(PAGE, ware=get_ware(db_session(), ware_id))

    return f"/test/deep-zoom/{catalogue.wares['plate']}"


def test_block_markup_and_static_files(app, catalogue, zoom_page):
    client = app.test_client()
    response = client.get(zoom_page)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    sources = json.loads(html.unescape(re.search(r'data-tile-sources="([^"]+)"', text).group(1)))
    assert sources == [
        f"/iiif/3/{catalogue.photos['plate']}/info.json",
        f"/iiif/3/{catalogue.photos['plate_png']}/info.json",
    ]
    assert f"/iiif/3/manifests/ware/{catalogue.wares['plate']}" in text
    for path in re.findall(r'(?:src|href|data-viewer)="(/(?:static|iiif/3/static)/[^"]+)"', text):
        with client.get(path) as asset:
            assert asset.status_code == 200, path
    with client.get("/static/vendor/openseadragon/images/zoomin_rest.png") as button:
        assert button.status_code == 200
    # A ware without photographs gets no block at all.
    with app.test_request_context("/"):
        vase = get_ware(db_session(), catalogue.wares["vase"])
        vase.photographs.clear()
        assert render_template_string(BLOCK, ware=vase).strip() == ""


@pytest.fixture
def browser_page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    yield context.new_page()
    context.close()


@pytest.mark.e2e
def test_openseadragon_zooms_through_our_image_service(
    catalogue, zoom_page, live_server, browser_page
):
    page = browser_page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    images: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: images.append((r.url, r.status)) if "/default.jpg" in r.url else None,
    )
    page.goto(live_server + zoom_page)
    # The viewer is not even downloaded until the block is opened.
    assert page.evaluate("typeof window.OpenSeadragon") == "undefined"
    sha = catalogue.photos["plate"]
    with page.expect_response(lambda r: f"/iiif/3/{sha}/" in r.url and "default.jpg" in r.url):
        page.locator(".deep-zoom > summary").click()
    page.wait_for_selector("[data-deep-zoom-ready]")
    viewer = page.locator("[data-deep-zoom-viewer]").bounding_box()
    page.mouse.move(viewer["x"] + viewer["width"] / 2, viewer["y"] + viewer["height"] / 2)
    for _ in range(5):
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(100)
    page.wait_for_timeout(1000)
    tiles = [(url, status) for url, status in images if f"/iiif/3/{sha}/" in url]
    assert all(status == 200 for _, status in tiles), tiles
    # At full resolution the viewer asks for 512 px tiles by region: all four of this photograph.
    regions = {re.search(rf"/iiif/3/{sha}/([^/]+)/", url).group(1) for url, _ in tiles}
    assert {"0,0,512,512", "512,0,288,512", "0,512,512,88", "512,512,288,88"} <= regions
    assert problems == [], problems
