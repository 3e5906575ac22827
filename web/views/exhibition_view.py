"""How an exhibition item is shown: the photograph chosen (or the ware's first), the region of
it (a IIIF region in pixels of the original) and the size to draw it at."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from archive.exhibitions import ExhibitionItem
from archive.models import Photograph
from web.views.presenters import image_url, scaled_size

DETAIL_EDGE = 800


@dataclass(frozen=True)
class ItemImage:
    """What an ``<img>`` needs for one exhibition item."""

    src: str
    width: int
    height: int
    photo: Photograph
    is_detail: bool


def parse_region(region: str | None, width: int, height: int) -> tuple[int, int, int, int] | None:
    """``x,y,w,h`` clipped to the photograph, or None when absent or empty after clipping."""
    if not region:
        return None
    try:
        x, y, w, h = (int(part) for part in region.split(","))
    except ValueError:
        return None
    x, y = max(0, x), max(0, y)
    w, h = min(w, width - x), min(h, height - y)
    if w <= 0 or h <= 0:
        return None
    return x, y, w, h


def item_image(item: ExhibitionItem) -> ItemImage | None:
    """The image an item shows: a detail through the IIIF Image API, else the display size."""
    photo = item.photograph if item.photograph is not None else item.ware.main_photograph
    if photo is None:
        return None
    region = parse_region(item.region, photo.width, photo.height)
    if region is None:
        width, height = scaled_size(photo, "display")
        return ItemImage(image_url(photo, "display"), width, height, photo, False)
    x, y, w, h = region
    scale = min(1.0, DETAIL_EDGE / max(w, h))
    width, height = max(1, round(w * scale)), max(1, round(h * scale))
    src = url_for(
        "iiif.image",
        identifier=photo.image_key,
        region=f"{x},{y},{w},{h}",
        size=f"{width},{height}",
        rotation="0",
        quality_format="default.jpg",
    )
    return ItemImage(src, width, height, photo, True)
