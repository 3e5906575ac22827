"""IIIF Image API 3.0: info.json, every parameter form, errors, caching, CORS, publication."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image

from tests.interop.conftest import build_app
from web.iiif.image import IIIFError, parse_region, parse_size
from web.views.context import app_state

INFO_PROFILE = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'


def _get(client, path: str, **kwargs):
    # Closing the response closes the file send_file opened (ResourceWarning otherwise).
    with client.get(path, **kwargs) as response:
        response.get_data()
    return response


def _image(client, path: str) -> Image.Image:
    response = _get(client, path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    picture = Image.open(io.BytesIO(response.data))
    picture.load()
    return picture


def test_info_json_has_the_required_structure(app, catalogue):
    sha = catalogue.photos["plate"]
    client = app.test_client()
    response = client.get(f"/iiif/3/{sha}/info.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == INFO_PROFILE
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]
    assert 'rel="profile"' in response.headers["Link"]
    info = response.get_json()
    assert info["@context"] == "http://iiif.io/api/image/3/context.json"
    assert info["id"] == f"http://localhost/iiif/3/{sha}"
    assert info["type"] == "ImageService3"
    assert info["protocol"] == "http://iiif.io/api/image"
    assert info["profile"] == "level2"
    assert (info["width"], info["height"]) == (800, 600)
    assert info["sizes"][-1] == {"width": 800, "height": 600}
    assert all(s["width"] <= 800 for s in info["sizes"])
    assert info["tiles"][0]["scaleFactors"] == [1, 2]
    assert "webp" in info["extraFormats"]
    assert "gray" in info["extraQualities"]
    assert info["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    plain = client.get(f"/iiif/3/{sha}/info.json", headers={"Accept": "application/json"})
    assert plain.headers["Content-Type"] == "application/json"
    assert plain.get_json() == info


def test_base_uri_redirects_to_info(app, catalogue):
    sha = catalogue.photos["plate"]
    response = app.test_client().get(f"/iiif/3/{sha}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/iiif/3/{sha}/info.json")


@pytest.mark.parametrize(
    ("path", "size", "mode", "fmt"),
    [
        ("full/max/0/default.jpg", (800, 600), "RGB", "JPEG"),
        ("full/400,/0/default.jpg", (400, 300), "RGB", "JPEG"),
        ("full/,150/0/default.png", (200, 150), "RGB", "PNG"),
        ("full/100,100/0/color.webp", (100, 100), "RGB", "WEBP"),
        ("full/!100,100/0/default.jpg", (100, 75), "RGB", "JPEG"),
        ("full/pct:25/0/gray.jpg", (200, 150), "L", "JPEG"),
        ("square/max/0/default.jpg", (600, 600), "RGB", "JPEG"),
        ("0,0,400,300/max/0/default.jpg", (400, 300), "RGB", "JPEG"),
        ("pct:50,50,50,50/max/0/default.jpg", (400, 300), "RGB", "JPEG"),
        ("700,500,400,400/max/0/default.jpg", (100, 100), "RGB", "JPEG"),
        ("full/200,/90/default.jpg", (150, 200), "RGB", "JPEG"),
        ("full/200,/!180/default.png", (200, 150), "RGB", "PNG"),
        ("full/200,/270/bitonal.png", (150, 200), "1", "PNG"),
        ("full/^1000,/0/default.jpg", (1000, 750), "RGB", "JPEG"),
        ("full/^pct:150/0/default.jpg", (1200, 900), "RGB", "JPEG"),
    ],
)
def test_image_requests(app, catalogue, path, size, mode, fmt):
    picture = _image(app.test_client(), f"/iiif/3/{catalogue.photos['plate']}/{path}")
    assert picture.size == size
    assert picture.mode == mode
    assert picture.format == fmt


def test_region_content_is_the_requested_part(app, catalogue):
    # The synthetic photograph's ground colour shows at its bottom-right corner.
    client = app.test_client()
    corner = _image(client, f"/iiif/3/{catalogue.photos['plate']}/780,580,20,20/max/0/default.png")
    assert corner.getpixel((10, 10)) == pytest.approx((40, 80, 160), abs=8)


def test_mirroring_and_rotation_move_pixels(app, catalogue):
    client = app.test_client()
    sha = catalogue.photos["plate_png"]
    plain = _image(client, f"/iiif/3/{sha}/full/max/0/default.png")
    mirrored = _image(client, f"/iiif/3/{sha}/full/max/!0/default.png")
    turned = _image(client, f"/iiif/3/{sha}/full/max/90/default.png")
    assert mirrored.getpixel((0, 0)) == plain.getpixel((plain.width - 1, 0))
    # Clockwise: the top-left pixel goes to the top-right corner.
    assert turned.getpixel((turned.width - 1, 0)) == plain.getpixel((0, 0))


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("nonsense/max/0/default.jpg", 400),
        ("0,0,0,10/max/0/default.jpg", 400),
        ("900,0,10,10/max/0/default.jpg", 400),
        ("full/0,/0/default.jpg", 400),
        ("full/900,/0/default.jpg", 400),
        ("full/pct:150/0/default.jpg", 400),
        ("full/max/361/default.jpg", 400),
        ("full/max/45/default.jpg", 400),
        ("full/max/0/sepia.jpg", 400),
        ("full/max/0/default.bmp", 400),
        ("full/max/0/default.tif", 400),
        ("full/max/0/default", 400),
        ("full/max/!22.5/default.jpg", 400),
        ("full/max/0/default.jp2", 400),
        ("full/max/0/default.pdf", 400),
        ("full/^20000,/0/default.jpg", 400),
    ],
)
def test_bad_requests_get_the_specified_status(app, catalogue, path, status):
    response = _get(app.test_client(), f"/iiif/3/{catalogue.photos['plate']}/{path}")
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_unpublished_unknown_and_escaping_identifiers_are_404(app, catalogue):
    client = app.test_client()
    for identifier in (catalogue.photos["draft"], "0" * 64, "..%2F..%2Fsecret_key", "ABC"):
        for suffix in ("/info.json", "/full/max/0/default.jpg"):
            response = _get(client, f"/iiif/3/{identifier}{suffix}")
            assert response.status_code == 404, identifier
            assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/iiif/3/../../secret_key").status_code == 404


def test_derivatives_are_cached_on_disk_with_long_headers(app, catalogue, settings):
    client = app.test_client()
    sha = catalogue.photos["plate"]
    first = _get(client, f"/iiif/3/{sha}/full/200,/0/default.jpg")
    cached = list((settings.home / "iiif-cache").rglob("*.jpg"))
    assert len(cached) == 1
    assert not list((settings.home / "iiif-cache").rglob(".tmp-*"))
    assert "max-age=31536000" in first.headers["Cache-Control"]
    assert "public" in first.headers["Cache-Control"]
    assert f'/iiif/3/{sha}/full/200,150/0/default.jpg>;rel="canonical"' in first.headers["Link"]
    # An equivalent request is served from the same cached file, and revalidation is cheap.
    again = _get(client, f"/iiif/3/{sha}/0,0,800,600/pct:25/0/default.jpg")
    assert again.data == first.data
    assert len(list((settings.home / "iiif-cache").rglob("*.jpg"))) == 1
    not_modified = _get(
        client,
        f"/iiif/3/{sha}/full/200,/0/default.jpg",
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert not_modified.status_code == 304


def test_only_what_viewers_ask_for_is_cached(app, catalogue, settings):
    client = app.test_client()
    sha = catalogue.photos["plate"]
    cache = settings.home / "iiif-cache"
    for path in (
        "full/123,/0/default.jpg",
        "full/200,/90/default.jpg",
        "full/200,/0/gray.jpg",
        "full/200,/0/default.png",
        "10,10,100,100/max/0/default.jpg",
    ):
        response = _get(client, f"/iiif/3/{sha}/{path}")
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]
        repeat = _get(
            client, f"/iiif/3/{sha}/{path}", headers={"If-None-Match": response.headers["ETag"]}
        )
        assert repeat.status_code == 304
    assert not cache.exists() or not list(cache.rglob("*.*"))
    # The tiles info.json advertises, the thumbnails manifests use, and max are kept.
    for path in (
        "512,0,288,512/288,512/0/default.jpg",
        "full/400,300/0/default.jpg",
        "full/320,240/0/default.jpg",
        "full/max/0/default.jpg",
    ):
        assert _get(client, f"/iiif/3/{sha}/{path}").status_code == 200
    assert len(list(cache.rglob("*.jpg"))) == 4


def test_other_sizes_are_kept_in_a_bounded_cache_and_drawn_once(catalogue, settings):
    # A page may ask for a width info.json does not advertise (a result card's 320 px, say):
    # the first request draws it, later ones read it, and the folder never grows past its bounds.
    bounded = build_app(dataclasses.replace(settings, iiif_variation_files=3))
    client = bounded.test_client()
    sha = catalogue.photos["plate"]
    variations = settings.home / "iiif-variations"
    try:
        first = _get(client, f"/iiif/3/{sha}/full/123,/0/default.jpg")
        kept = list(variations.iterdir())
        assert len(kept) == 1 and kept[0].read_bytes() == first.data
        # What is read from the cache is what a fresh drawing gives (not a stale or torn file).
        kept[0].write_bytes(b"stand-in")
        assert _get(client, f"/iiif/3/{sha}/full/123,/0/default.jpg").data == b"stand-in"
        kept[0].unlink()
        assert _get(client, f"/iiif/3/{sha}/full/123,/0/default.jpg").data == first.data
        for width in (100, 101, 102, 103, 104):
            response = _get(client, f"/iiif/3/{sha}/full/{width},/0/default.jpg")
            assert response.status_code == 200
            assert Image.open(io.BytesIO(response.data)).width == width
        names = sorted(path.name for path in variations.iterdir())
        assert len(names) == 3 and all(name.startswith(f"{sha}_") for name in names)
        assert not list(variations.glob(".tmp-*"))
    finally:
        app_state(bounded).close()


def test_exif_rotated_jpeg_is_served_as_seen(app, settings, session_factory):
    from archive.store import ImageStore
    from tests.conftest import make_image_bytes
    from tests.interop.conftest import add_ware

    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: the photograph is seen rotated 90° clockwise
    data = make_image_bytes((400, 200), seed=5, exif=exif.tobytes())
    with session_factory() as session:
        _, (sha,) = add_ware(
            session, ImageStore(settings.store_dir), "R-1", {"title_en": "Turned"}, photos=(data,)
        )
        session.commit()
    client = app.test_client()
    assert client.get(f"/iiif/3/{sha}/info.json").get_json()["width"] == 200
    assert _image(client, f"/iiif/3/{sha}/full/100,/0/default.jpg").size == (100, 200)


def test_parsers_directly():
    assert parse_region("square", 300, 500) == (0, 100, 300, 300)
    assert parse_region("10,10,1000,1000", 300, 500) == (10, 10, 290, 490)
    assert parse_size("!50,50", 300, 600) == ((25, 50), False)
    with pytest.raises(IIIFError) as raised:
        parse_size("^max/extra", 10, 10)
    assert raised.value.status == 400
