"""How a hit found by photograph explains itself: its reason in words (English and Chinese), the
photograph that matched and the matched region, for the pages, the API and the CLI."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, url_for

from archive.models import Photograph, Ware
from index.service import Hit
from index.visual_search import REASON_FORM, REASON_LOOK, REASON_MARK, REASON_SAME
from web.views.formatting import translate
from web.views.language import LANGUAGES, N_, catalogue

REASONS = {
    REASON_SAME: N_("Same object or pattern ({count} matching points)"),
    REASON_FORM: N_("Similar form"),
    REASON_LOOK: N_("Similar colour and texture"),
    REASON_MARK: N_("Another mark"),
}
NOTHING_CLOSE = N_(
    "Nothing in the collection matches your photograph closely. Try a sharper photograph, "
    "a closer view of the decoration or the mark, or search by words."
)
_REGION = re.compile(r"^(\d{1,6}),(\d{1,6}),(\d{1,6}),(\d{1,6})$")


def reason_in(code: str, hit: Hit) -> str:
    """The hit's reason in one interface language (``en`` or ``zh``)."""
    text = REASONS.get(hit.reason or "", "")
    if not text:
        return ""
    return catalogue(code).get(text, text).format(count=hit.matches)


def region_text(hit: Hit) -> str | None:
    """The matched region as IIIF writes it, ``x,y,w,h``."""
    return ",".join(str(value) for value in hit.region) if hit.region else None


def parse_region(text: str | None, photo: Photograph) -> tuple[int, int, int, int] | None:
    """A region from a page address, kept only if it lies inside ``photo``."""
    found = _REGION.match(text or "")
    if not found:
        return None
    x, y, w, h = (int(part) for part in found.groups())
    if w < 1 or h < 1 or x + w > photo.width or y + h > photo.height:
        return None
    return x, y, w, h


def matched_photo(ware: Ware, hit: Hit | None) -> tuple[int, Photograph] | None:
    """The position (1-based) and photograph of ``ware`` that ``hit`` matched, if it says."""
    if hit is None or hit.photo_id is None:
        return None
    for position, photo in enumerate(ware.photographs, start=1):
        if photo.id == hit.photo_id:
            return position, photo
    return None


def match_payload(ware: Ware, hit: Hit) -> dict[str, Any] | None:
    """What the API says about why a ware was found by photograph (None for other hits)."""
    if hit.reason is None:
        return None
    found = matched_photo(ware, hit)
    region = region_text(hit)
    payload: dict[str, Any] = {
        "reason": hit.reason,
        "explanation": {code: reason_in(code, hit) for code in LANGUAGES},
        "matching_points": hit.matches,
        "score": hit.score,
        "photograph": None,
        "region": region,
    }
    if found is not None:
        photo = found[1]
        payload["photograph"] = {
            "position": found[0],
            "sha256": photo.sha256,
            "view": photo.view.value,
            "width": photo.width,
            "height": photo.height,
            "region_url": url_for(
                "iiif.image",
                identifier=photo.image_key,
                region=region or "full",
                size="max",
                rotation="0",
                quality_format="default.jpg",
                _external=True,
            ),
        }
    return payload


def match_reason(hit: Hit | None) -> str:
    """The hit's reason in the visitor's language ("" for a hit not found by photograph)."""
    if hit is None or not hit.reason:
        return ""
    return translate(REASONS[hit.reason], count=hit.matches)


def register(app: Flask) -> None:
    """Make the match helpers available to templates."""
    app.jinja_env.globals.update(
        match_reason=match_reason, matched_photo=matched_photo, region_text=region_text
    )
