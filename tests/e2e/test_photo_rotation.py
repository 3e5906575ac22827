"""A sideways photograph in a real browser: the curator turns it upright on the ware's screen and
publishes the change (the ware is public: the turn waited in its working copy),
and the public page and the IIIF manifest and image service then show it upright."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.conftest import CURATOR, screenshot, sign_in
from tests.e2e.test_curate_flows import _new_ware

pytestmark = pytest.mark.e2e


def _sideways_photograph(folder: Path) -> Path:
    """A landscape photograph (red top-left corner) saved turned a quarter to the right."""
    upright = Image.new("RGB", (360, 240), (30, 60, 170))
    upright.paste((220, 30, 30), (0, 0, 90, 60))
    path = folder / "sideways.jpg"
    upright.transpose(Image.Transpose.ROTATE_270).save(path, "JPEG", quality=95)
    return path


def _red_top_left(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
        return rgb.getpixel((3, 3))[0] > 150 and rgb.getpixel((rgb.width - 4, 3))[0] < 100


def _natural_size(locator) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    locator.wait_for()
    locator.evaluate("img => img.complete || new Promise(done => img.onload = done)")
    return tuple(locator.evaluate("img => [img.naturalWidth, img.naturalHeight]"))  # type: ignore[return-value]


def test_curator_turns_a_sideways_photograph_upright(page, curate_site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, curate_site.url, CURATOR)
    _new_ware(page, "CM-ROT", "Dish photographed sideways", _sideways_photograph(tmp_path))
    page.get_by_role("button", name="Publish").click()
    item = page.get_by_test_id("photo-item").first
    assert _natural_size(item.get_by_test_id("photo-thumb")) == (213, 320)

    item.get_by_role("button", name="Turn left").click()
    page.wait_for_url(re.compile(r"/curate/wares/\d+#photo-\d+$"))
    assert "Photograph turned." in page.locator(".flashes").inner_text()
    item = page.get_by_test_id("photo-item").first
    assert "turned 270°" in item.get_by_test_id("photo-shown").inner_text()
    assert _natural_size(item.get_by_test_id("photo-thumb")) == (320, 213)
    screenshot(page, "photo-01-turned")
    # The ware is public: the turn waits in its working copy until the changes are published.
    page.get_by_role("button", name="Publish changes").click()
    assert "Changes published." in page.locator(".flashes").inner_text()
    curating = page.url

    page.get_by_role("link", name="Public page").click()
    gallery = page.get_by_test_id("gallery-image")
    assert _natural_size(gallery) == (360, 240)
    shown = page.request.get(gallery.evaluate("img => img.src"))
    assert _red_top_left(shown.body())
    screenshot(page, "photo-02-public-upright")

    manifest_url = page.get_by_role("link", name="IIIF manifest").get_attribute("href")
    manifest = page.request.get(curate_site.url + manifest_url).json()
    canvas = manifest["items"][0]
    assert (canvas["width"], canvas["height"]) == (360, 240)
    service = canvas["items"][0]["items"][0]["body"]["service"][0]["id"]
    image = page.request.get(service + "/full/max/0/default.jpg")
    assert image.ok and _red_top_left(image.body())

    # Cropping by dragging across the thumbnail: its top-left quarter, where the red corner is.
    page.goto(curating)
    item = page.get_by_test_id("photo-item").first
    thumb = item.get_by_test_id("photo-thumb")
    _natural_size(thumb)
    box = thumb.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 1, box["y"] + 1)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    crop = [int(item.locator(f'input[name^="crop-{part}-"]').input_value()) for part in "xywh"]
    # A pixel of the thumbnail is 2.25 of the photograph (160 px shown of 360).
    assert max(crop[:2]) <= 3 and abs(crop[2] - 178) <= 4 and abs(crop[3] - 118) <= 4
    item.get_by_role("button", name="Apply crop").click()
    assert "Photograph cropped." in page.locator(".flashes").inner_text()
    shown = page.get_by_test_id("photo-item").first.get_by_test_id("photo-shown").inner_text()
    assert "cropped" in shown and f"{crop[2]}×{crop[3]}" in shown
    screenshot(page, "photo-03-cropped")
