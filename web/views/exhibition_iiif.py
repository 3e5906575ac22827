"""An exhibition as IIIF Presentation 3: a Manifest whose canvases are the items it shows (a
photograph, or the region of it the curator chose), with one Range per section, and a
Collection of the Manifests of the wares it shows."""

from __future__ import annotations

from typing import Any

from flask import url_for

from archive.exhibitions import Exhibition, ExhibitionItem
from web.iiif.presentation import (
    PRESENTATION_CONTEXT,
    describe_canvas,
    image_service,
    language_map,
    manifest_reference,
    painting_page,
)
from web.views.exhibition_view import parse_region

Items = list[tuple[int, list[ExhibitionItem]]]


def _label(exhibition: Exhibition) -> dict[str, list[str]]:
    if exhibition.title_en or exhibition.title_zh:
        return language_map(exhibition.title_en, exhibition.title_zh)
    return {"none": [exhibition.slug]}


def _homepage(exhibition: Exhibition) -> list[dict[str, Any]]:
    return [
        {
            "id": url_for("exhibitions.show", slug=exhibition.slug, _external=True),
            "type": "Text",
            "label": _label(exhibition),
            "format": "text/html",
        }
    ]


def _canvas(manifest_id: str, item: ExhibitionItem, number: int) -> dict[str, Any] | None:
    photo = item.photograph if item.photograph is not None else item.ware.main_photograph
    if photo is None:
        return None
    region = parse_region(item.region, photo.width, photo.height) or (
        0,
        0,
        photo.width,
        photo.height,
    )
    x, y, w, h = region
    canvas_id = f"{manifest_id}/canvas/{number}"
    body = {
        "id": url_for(
            "iiif.image",
            identifier=photo.image_key,
            region="full"
            if (x, y, w, h) == (0, 0, photo.width, photo.height)
            else f"{x},{y},{w},{h}",
            size="max",
            rotation="0",
            quality_format="default.jpg",
            _external=True,
        ),
        "type": "Image",
        "format": "image/jpeg",
        "service": [image_service(photo)],
    }
    label = (
        language_map(item.ware.title_en, item.ware.title_zh)
        if (item.ware.title_en or item.ware.title_zh)
        else {"none": [item.ware.accession_number]}
    )
    canvas: dict[str, Any] = {
        "id": canvas_id,
        "type": "Canvas",
        "label": label,
        "width": w,
        "height": h,
        "homepage": [
            {
                "id": url_for("pages.ware", ware_id=item.ware.id, _external=True),
                "type": "Text",
                "label": label,
                "format": "text/html",
            }
        ],
        "items": [painting_page(canvas_id, body)],
    }
    if item.caption_en or item.caption_zh:
        canvas["summary"] = language_map(item.caption_en, item.caption_zh)
    summary = canvas.pop("summary", None)
    describe_canvas(canvas, photo)
    # An exhibition canvas is named by its ware and described by the curator's caption.
    canvas["label"] = label
    if summary:
        canvas["summary"] = summary
    return canvas


def exhibition_manifest(exhibition: Exhibition, sections: Items) -> dict[str, Any]:
    """The exhibition as a Manifest: canvases in reading order, one Range per section."""
    manifest_id = url_for("exhibitions.iiif_manifest", slug=exhibition.slug, _external=True)
    canvases: list[dict[str, Any]] = []
    ranges = []
    for position, items in sections:
        section = exhibition.sections[position]
        section_canvases = []
        for item in items:
            canvas = _canvas(manifest_id, item, len(canvases) + 1)
            if canvas is not None:
                canvases.append(canvas)
                section_canvases.append({"id": canvas["id"], "type": "Canvas"})
        if section_canvases:
            heading = (
                language_map(section.heading_en, section.heading_zh)
                if (section.heading_en or section.heading_zh)
                else language_map(f"Section {position + 1}", f"第{position + 1}部分")
            )
            ranges.append(
                {
                    "id": f"{manifest_id}/range/{position + 1}",
                    "type": "Range",
                    "label": heading,
                    "items": section_canvases,
                }
            )
    document = _document(exhibition, manifest_id, "Manifest", canvases)
    if ranges:
        document["structures"] = ranges
    return document


def exhibition_collection(exhibition: Exhibition, sections: Items) -> dict[str, Any]:
    """The exhibition as a Collection of the Manifests of the wares it shows, in order."""
    seen: set[int] = set()
    references = []
    for _position, items in sections:
        for item in items:
            if item.ware.id not in seen:
                seen.add(item.ware.id)
                references.append(manifest_reference(item.ware))
    identifier = url_for("exhibitions.iiif_collection", slug=exhibition.slug, _external=True)
    return _document(exhibition, identifier, "Collection", references)


def _document(
    exhibition: Exhibition, identifier: str, kind: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the exhibition's Manifest and Collection share: label, homepage, introduction."""
    document: dict[str, Any] = {
        "@context": PRESENTATION_CONTEXT,
        "id": identifier,
        "type": kind,
        "label": _label(exhibition),
        "homepage": _homepage(exhibition),
        "items": items,
    }
    if exhibition.intro_en or exhibition.intro_zh:
        document["summary"] = language_map(exhibition.intro_en, exhibition.intro_zh)
    return document
