"""Photographs to search with: decoded small, refused plainly when broken or too large, and kept
in a cache bounded by count and bytes."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from PIL import Image

from archive.imaging import ImageRejected, open_query_image
from archive.settings import Settings
from tests.conftest import make_image_bytes, png_header_only, truncated_jpeg
from tests.web.conftest import csrf_token
from web.views.query_images import CacheBounds, query_dir, query_image_path, save_query_image


def test_a_jpeg_is_decoded_at_reduced_scale() -> None:
    big = make_image_bytes((1600, 1200), seed=3)
    # 1.9 million pixels in the file, but libjpeg's 1/4 scale needs only 120,000.
    image = open_query_image(big, max_pixels=150_000, longest_edge=200)
    assert image.mode == "RGB" and max(image.size) <= 200
    with pytest.raises(ImageRejected, match="too large to search with"):
        open_query_image(big, max_pixels=100_000, longest_edge=200)


def test_a_png_is_reduced_and_its_own_size_is_the_limit() -> None:
    png = make_image_bytes((900, 600), fmt="PNG")
    image = open_query_image(png, max_pixels=600_000, longest_edge=300)
    assert image.size == (300, 200) and image.mode == "RGB"
    with pytest.raises(ImageRejected, match="too large to search with"):
        open_query_image(png, max_pixels=500_000)


def test_broken_and_bomb_images_are_rejected_with_a_reason() -> None:
    with pytest.raises(ImageRejected, match="damaged or truncated"):
        open_query_image(truncated_jpeg(), max_pixels=20_000_000)
    with pytest.raises(ImageRejected, match="too large"):
        open_query_image(png_header_only(10_000, 10_000), max_pixels=20_000_000)
    with pytest.raises(ImageRejected, match="not an image"):
        open_query_image(b"GIF89a" + b"\x00" * 20, max_pixels=20_000_000)


def test_transparent_and_palette_images_are_searchable() -> None:
    for mode in ("RGBA", "P", "1", "I;16"):
        buffer = io.BytesIO()
        Image.new(mode, (2500, 40)).save(buffer, "PNG")
        image = open_query_image(buffer.getvalue(), max_pixels=1_000_000)
        assert image.mode == "RGB" and image.width <= 1200, mode


@pytest.mark.parametrize(
    "broken", [truncated_jpeg(), png_header_only(10_000, 10_000), b"\xff\xd8\xff" + b"\x00" * 50]
)
def test_the_api_and_the_page_answer_400_to_a_broken_image(
    client: FlaskClient, broken: bytes
) -> None:
    api = client.post(
        "/api/v1/search/image",
        data={"image": (io.BytesIO(broken), "pot.jpg")},
        content_type="multipart/form-data",
    )
    assert api.status_code == 400
    assert api.get_json()["error"]["code"] == "image_rejected"
    page = client.post(
        "/search/image",
        data={"image": (io.BytesIO(broken), "pot.jpg"), "csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    assert "That file cannot be searched" in page.get_data(as_text=True)


def test_the_query_cache_is_bounded_by_count_and_bytes(settings: Settings) -> None:
    bounds = CacheBounds(max_files=3, max_bytes=10**9)
    keys = [
        save_query_image(settings.home, make_image_bytes((300, 200), seed=s), 10**6, bounds)
        for s in range(6)
    ]
    kept = {path.stem for path in query_dir(settings.home).glob("*.jpg")}
    assert kept == set(keys[-3:])
    # Using a photograph makes it recent: the next one saved pushes out another.
    assert query_image_path(settings.home, keys[3]) is not None
    newest = save_query_image(settings.home, make_image_bytes((300, 200), seed=9), 10**6, bounds)
    kept = {path.stem for path in query_dir(settings.home).glob("*.jpg")}
    assert keys[3] in kept and newest in kept and len(kept) == 3
    sizes = [path.stat().st_size for path in query_dir(settings.home).glob("*.jpg")]
    by_bytes = CacheBounds(max_files=100, max_bytes=max(sizes) + 1)
    last = save_query_image(settings.home, make_image_bytes((300, 200), seed=11), 10**6, by_bytes)
    assert [path.stem for path in query_dir(settings.home).glob("*.jpg")] == [last]


def test_many_anonymous_searches_do_not_grow_the_folder(
    client: FlaskClient, settings: Settings
) -> None:
    token = csrf_token(client)
    limit = settings.query_cache_files
    for seed in range(5):
        response = client.post(
            "/search/image",
            data={
                "image": (io.BytesIO(make_image_bytes(seed=seed + 20)), "p.jpg"),
                "csrf_token": token,
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 303
    assert 0 < len(list(query_dir(settings.home).glob("*.jpg"))) <= min(5, limit)
