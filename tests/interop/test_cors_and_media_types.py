"""CORS preflight on every open door, and the JSON-LD media types and gzip of IIIF documents."""

from __future__ import annotations

import gzip
import json

import pytest

PRESENTATION = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'
IMAGE = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'


def _doors(catalogue) -> list[str]:
    sha = catalogue.photos["plate"]
    return [
        f"/iiif/3/{sha}/info.json",
        f"/iiif/3/{sha}/full/max/0/default.jpg",
        f"/iiif/3/{sha}/0,0,512,512/512,/0/default.jpg",
        f"/iiif/3/manifests/ware/{catalogue.wares['plate']}",
        f"/iiif/3/collections/collection/{catalogue.collection_id}",
        f"/iiif/3/collections/institution/{catalogue.institution_id}",
        "/iiif/3/collections",
        f"/api/v1/wares/{catalogue.wares['plate']}",
        "/api/v1/search?q=willow",
        "/api/v1/",
        f"/linked-art/object/{catalogue.wares['plate']}",
    ]


def test_preflight_allows_what_viewers_send(app, catalogue):
    client = app.test_client()
    for door in _doors(catalogue):
        response = client.options(
            door,
            headers={
                "Origin": "https://viewer.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "accept, range, authorization",
            },
        )
        assert response.status_code == 200, door
        assert response.headers["Access-Control-Allow-Origin"] == "*", door
        methods = response.headers["Access-Control-Allow-Methods"]
        assert "GET" in methods and "OPTIONS" in methods, door
        allowed = {
            h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
        }
        assert {"accept", "range", "authorization"} <= allowed, door
        # The actual request carries the same open door, and exposes the headers viewers read.
        actual = client.get(door, headers={"Origin": "https://viewer.example"})
        assert actual.status_code == 200, door
        assert actual.headers["Access-Control-Allow-Origin"] == "*", door
        assert "Link" in actual.headers["Access-Control-Expose-Headers"]
        actual.close()
    search_image = client.options("/api/v1/search/image", headers={"Origin": "https://x.example"})
    assert "POST" in search_image.headers["Access-Control-Allow-Methods"]
    # Credentials are never allowed: another site cannot act with a visitor's session.
    assert "Access-Control-Allow-Credentials" not in search_image.headers
    # The HTML site is not an open door.
    assert "Access-Control-Allow-Origin" not in client.get("/about").headers


@pytest.mark.parametrize(
    ("path", "profile"),
    [
        ("manifest", PRESENTATION),
        ("collection", PRESENTATION),
        ("top", PRESENTATION),
        ("info", IMAGE),
    ],
)
def test_json_ld_by_default_json_when_asked_gzip_when_accepted(app, catalogue, path, profile):
    url = {
        "manifest": f"/iiif/3/manifests/ware/{catalogue.wares['plate']}",
        "collection": f"/iiif/3/collections/collection/{catalogue.collection_id}",
        "top": "/iiif/3/collections",
        "info": f"/iiif/3/{catalogue.photos['plate']}/info.json",
    }[path]
    client = app.test_client()
    for accept in (None, "*/*", "application/ld+json", profile, "application/json, */*;q=0.1"):
        headers = {"Accept": accept} if accept else {}
        response = client.get(url, headers=headers)
        expected = (
            "application/json" if accept and accept.startswith("application/json") else profile
        )
        assert response.headers["Content-Type"] == expected, accept
        assert set(response.vary) >= {"Accept", "Accept-Encoding"}
    plain = client.get(url)
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    if len(plain.data) >= 512:
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert json.loads(gzip.decompress(zipped.data)) == json.loads(plain.data)
        assert len(zipped.data) < len(plain.data)
    else:
        assert "Content-Encoding" not in zipped.headers
    assert "Content-Encoding" not in plain.headers
