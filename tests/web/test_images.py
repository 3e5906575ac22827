"""Photographs are served from the store only for published wares, with long cache lifetimes."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.web.conftest import Catalogue


def _get(client: FlaskClient, url: str, **kwargs):  # type: ignore[no-untyped-def]
    response = client.get(url, **kwargs)
    # Read and close at once: a streamed file left open would warn (and fail under -W error).
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize("size", ["thumb", "display"])
def test_derivatives_are_served_immutable_with_an_etag(
    client: FlaskClient, catalogue: Catalogue, size: str
) -> None:
    response = _get(client, f"/images/{catalogue.vase_front}/{size}.jpg")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.get_data()[:3] == b"\xff\xd8\xff"
    cache = response.headers["Cache-Control"]
    assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache
    etag = response.headers["ETag"]
    assert catalogue.vase_front in etag
    again = _get(
        client, f"/images/{catalogue.vase_front}/{size}.jpg", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304


def test_original_is_served_as_contributed(client: FlaskClient, catalogue: Catalogue) -> None:
    response = _get(client, f"/images/{catalogue.vase_front}/original")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "immutable" in response.headers["Cache-Control"]


def test_photographs_of_unpublished_wares_are_not_served(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    for url in (
        f"/images/{catalogue.draft_photo}/thumb.jpg",
        f"/images/{catalogue.draft_photo}/display.jpg",
        f"/images/{catalogue.draft_photo}/original",
    ):
        assert _get(client, url).status_code == 404, url


@pytest.mark.parametrize(
    "url",
    [
        "/images/{sha}/huge.jpg",
        "/images/{upper}/thumb.jpg",
        "/images/{short}/thumb.jpg",
        "/images/..%2F..%2Fsecret_key/thumb.jpg",
        "/images/{sha}/..%2F..%2F..%2Fsecret_key",
        "/images/../secret_key",
        "/images/%2e%2e/%2e%2e/thumb.jpg",
        "/images/" + "0" * 64 + "/thumb.jpg",
    ],
)
def test_bad_digests_and_traversal_are_rejected(
    client: FlaskClient, catalogue: Catalogue, url: str
) -> None:
    sha = catalogue.vase_front
    response = _get(client, url.format(sha=sha, upper=sha.upper(), short=sha[:40]))
    assert response.status_code == 404
    assert response.mimetype == "text/html"
