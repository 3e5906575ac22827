"""A viewer on another origin loads our IIIF documents, images, API and Linked Art in a real
browser: Chromium enforces CORS, preflights included, as it would for a site elsewhere."""

from __future__ import annotations

import re

import pytest

from tests.conftest import serving

pytestmark = pytest.mark.e2e

PRESENTATION = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
IMAGE = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'
LINKED_ART = 'application/ld+json;profile="https://linked.art/ns/v1/linked-art.json"'

VIEWER_PAGE = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another museum's viewer</title></head>
<body><p>A page on another origin.</p></body></html>"""


def _viewer(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [VIEWER_PAGE]


# Each probe: fetch a URL of the archive from the viewer's origin; report what a script sees.
PROBE = """async ([url, headers]) => {
    try {
        const response = await fetch(url, {headers});
        const body = await response.arrayBuffer();
        return {
            ok: true,
            status: response.status,
            type: response.headers.get("content-type"),
            bytes: body.byteLength,
            text: new TextDecoder().decode(body.slice(0, 20000)),
        };
    } catch (error) {
        return {ok: false, error: String(error)};
    }
}"""


def test_a_viewer_on_another_origin_loads_everything(browser, live_site):
    context = browser.new_context()
    tab = context.new_page()
    blocked: list[str] = []
    tab.on("console", lambda m: blocked.append(m.text) if m.type == "error" else None)
    with serving(_viewer) as viewer:
        assert viewer.split(":")[-1] != live_site.url.split(":")[-1]
        tab.goto(viewer + "/")
        assert tab.evaluate("() => location.origin") == viewer

        def probe(path: str, **headers: str) -> dict:
            return tab.evaluate(PROBE, [live_site.url + path, headers])

        # Find a ware with photographs through the archive's own IIIF collection.
        top = probe("/iiif/3/collections", Accept=PRESENTATION)
        assert top["ok"] and top["status"] == 200, top
        institution = re.search(r'"id": "[^"]*(/iiif/3/collections/institution/\d+)"', top["text"])
        listing = probe(institution.group(1), Accept=PRESENTATION)
        assert listing["ok"], listing
        collection = re.search(r"(/iiif/3/collections/collection/\d+)", listing["text"])
        if collection:
            listing = probe(collection.group(1), Accept=PRESENTATION)
        manifest_path = re.search(r"(/iiif/3/manifests/ware/\d+)", listing["text"]).group(1)
        ware_id = manifest_path.rsplit("/", 1)[1]

        # The IIIF-recommended Accept header (a quote in it: preflighted) on a manifest.
        manifest = probe(manifest_path, Accept=PRESENTATION)
        assert manifest["ok"] and manifest["status"] == 200, manifest
        assert manifest["type"] == PRESENTATION
        assert '"type": "Manifest"' in manifest["text"]
        service = re.search(r'"id": "[^"]*(/iiif/3/[0-9a-f]{64})"', manifest["text"]).group(1)
        info = probe(service + "/info.json", Accept=IMAGE)
        assert info["ok"] and info["type"] == IMAGE, info
        tile = probe(service + "/full/256,/0/default.jpg", Accept="image/jpeg", Range="bytes=0-")
        assert tile["ok"] and tile["type"] == "image/jpeg" and tile["bytes"] > 1000, tile
        plain = probe(manifest_path, Accept="application/json")
        assert plain["ok"] and plain["type"] == "application/json"

        # The JSON API, with headers that need a preflight, and Linked Art by both doors.
        api = probe(f"/api/v1/wares/{ware_id}", Accept="application/json", Authorization="x")
        assert api["ok"] and api["status"] == 200, api
        linked = probe(f"/linked-art/object/{ware_id}", Accept=LINKED_ART)
        assert linked["ok"] and linked["type"] == LINKED_ART, linked
        negotiated = probe(f"/wares/{ware_id}", Accept=LINKED_ART)
        assert negotiated["ok"] and negotiated["type"] == LINKED_ART, negotiated
        assert blocked == []

        # The browser does enforce CORS here: the HTML site stays closed to other origins,
        # and a header the preflight does not allow is refused.
        page = probe(f"/wares/{ware_id}")
        assert not page["ok"]
        odd = probe(manifest_path, **{"X-Not-Allowed": "1"})
        assert not odd["ok"]
        refusals = [message for message in blocked if "blocked by CORS policy" in message]
        assert len(refusals) == 2, blocked
        assert "Access-Control-Allow-Headers in preflight response" in refusals[1]
    context.close()
