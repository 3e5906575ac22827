"""IIIF Presentation API 3.0 documents: a Manifest per published ware, Collections above them.

Builders only: they take catalogue rows and answer plain dicts, with every URL made by
``url_for`` so the documents point at this server however it is reached.
"""

from __future__ import annotations

import re
from typing import Any

from flask import url_for

from archive.models import Collection, Institution, Photograph, Ware
from web.iiif.image import THUMB_EDGE, max_size, max_size_within

PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
IMAGE_PROFILE = "level2"

# Field labels in both interface languages; values stay in the language they were written in.
LABELS: dict[str, tuple[str, str]] = {
    "accession_number": ("Accession number", "登录号"),
    "object_type": ("Object type", "器型"),
    "maker": ("Maker", "制作者"),
    "date": ("Date", "年代"),
    "period": ("Period", "时期"),
    "place": ("Place of production", "产地"),
    "material": ("Material", "材质"),
    "technique": ("Technique and decoration", "工艺与装饰"),
    "pattern": ("Pattern", "纹饰"),
    "marks": ("Marks and inscriptions", "款识与铭文"),
    "dimensions": ("Dimensions", "尺寸"),
    "credit_line": ("Credit line", "来源说明"),
    "provenance": ("Provenance", "流传经历"),
    "institution": ("Institution", "收藏机构"),
    "collection": ("Collection", "收藏系列"),
    "attribution": ("Attribution", "署名"),
    "photograph": ("Photograph", "照片"),
    "record": ("Catalogue record", "目录记录"),
    "linked_art": ("Linked Art (JSON-LD)", "Linked Art 关联数据（JSON-LD）"),
}
VIEW_LABELS = {
    "front": ("front", "正面"),
    "base": ("base", "底部"),
    "mark": ("mark", "款识"),
    "detail": ("detail", "细节"),
}

# Presentation 3 asks rights URIs from these two vocabularies in their canonical http form.
_RIGHTS_URI = re.compile(
    r"^https?://(creativecommons\.org/(licenses|publicdomain)/|rightsstatements\.org/vocab/)\S+$"
)


def rights_uri(value: str | None) -> str | None:
    """A Creative Commons or RightsStatements.org URI in its canonical form, else None."""
    if not value or not _RIGHTS_URI.match(value.strip()):
        return None
    uri = "http://" + value.strip().split("://", 1)[1]
    return uri if uri.endswith("/") else uri + "/"


def language_map(en: str | None = None, zh: str | None = None) -> dict[str, list[str]]:
    """A IIIF language map with the values given; text with no language goes under ``none``."""
    values = {lang: [text] for lang, text in (("en", en), ("zh", zh)) if text}
    return values or {"none": [""]}


def _label(key: str) -> dict[str, list[str]]:
    en, zh = LABELS[key]
    return {"en": [en], "zh": [zh]}


def _entry(key: str, value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    return {"label": _label(key), "value": {"none": [value]}}


def image_service(photo: Photograph) -> dict[str, Any]:
    """The image service reference for a photograph, as painted bodies and thumbnails cite it."""
    return {
        "id": url_for("iiif.image_base", identifier=photo.image_key, _external=True),
        "type": "ImageService3",
        "profile": IMAGE_PROFILE,
    }


def image_url(photo: Photograph, size: str = "max") -> str:
    """A IIIF image request URL for the whole photograph at ``size``."""
    return url_for(
        "iiif.image",
        identifier=photo.image_key,
        region="full",
        size=size,
        rotation="0",
        quality_format="default.jpg",
        _external=True,
    )


def thumbnail(photo: Photograph) -> dict[str, Any]:
    """A thumbnail resource (320 px on the long edge) with its image service."""
    width, height = max_size_within(photo.width, photo.height, THUMB_EDGE)
    return {
        "id": image_url(photo, f"{width},{height}"),
        "type": "Image",
        "format": "image/jpeg",
        "width": width,
        "height": height,
        "service": [image_service(photo)],
    }


def ware_manifest(ware: Ware) -> dict[str, Any]:
    """The Manifest of a published ware: one Canvas per photograph, in catalogue order."""
    manifest_id = url_for("iiif.ware_manifest", ware_id=ware.id, _external=True)
    manifest: dict[str, Any] = {
        "@context": PRESENTATION_CONTEXT,
        "id": manifest_id,
        "type": "Manifest",
        "label": language_map(ware.title_en, ware.title_zh)
        if (ware.title_en or ware.title_zh)
        else {"none": [ware.accession_number]},
    }
    if ware.description_en or ware.description_zh:
        manifest["summary"] = language_map(ware.description_en, ware.description_zh)
    manifest["metadata"] = _ware_metadata(ware)
    rights = rights_uri(ware.rights)
    if rights:
        manifest["rights"] = rights
    manifest["requiredStatement"] = {
        "label": _label("attribution"),
        "value": {"en": [_attribution(ware)]},
    }
    manifest["provider"] = [_provider(ware.institution)]
    if ware.photographs:
        manifest["thumbnail"] = [thumbnail(ware.photographs[0])]
    manifest["homepage"] = [
        {
            "id": url_for("pages.ware", ware_id=ware.id, _external=True),
            "type": "Text",
            "label": manifest["label"],
            "format": "text/html",
        }
    ]
    manifest["seeAlso"] = [
        {
            "id": url_for("api.ware", ware_id=ware.id, _external=True),
            "type": "Dataset",
            "label": _label("record"),
            "format": "application/json",
        },
        {
            "id": url_for("linked_art.object_document", ware_id=ware.id, _external=True),
            "type": "Dataset",
            "label": _label("linked_art"),
            "format": "application/ld+json",
            "profile": "https://linked.art/ns/v1/linked-art.json",
        },
    ]
    manifest["partOf"] = [
        {
            "id": url_for(
                "iiif.collection_collection", collection_id=ware.collection.id, _external=True
            ),
            "type": "Collection",
        }
        if ware.collection
        else {
            "id": url_for(
                "iiif.institution_collection", institution_id=ware.institution_id, _external=True
            ),
            "type": "Collection",
        }
    ]
    manifest["items"] = [
        _canvas(manifest_id, ware, photo, number)
        for number, photo in enumerate(ware.photographs, start=1)
    ]
    return manifest


def _attribution(ware: Ware) -> str:
    parts = [ware.institution.name]
    if ware.credit_line:
        parts.append(ware.credit_line)
    return ". ".join(parts)


def _provider(institution: Institution) -> dict[str, Any]:
    return {
        "id": url_for("pages.institution", institution_id=institution.id, _external=True),
        "type": "Agent",
        "label": language_map(institution.name, institution.name_zh),
        "homepage": [
            {
                "id": institution.url
                if (institution.url or "").startswith(("http://", "https://"))
                else url_for("pages.institution", institution_id=institution.id, _external=True),
                "type": "Text",
                "label": language_map(institution.name, institution.name_zh),
                "format": "text/html",
            }
        ],
    }


def _ware_metadata(ware: Ware) -> list[dict[str, Any]]:
    makers = "; ".join(
        credit.maker.name + (f" ({credit.role.value})" if credit.role.value != "maker" else "")
        for credit in ware.makers
    )
    date = ware.date_text or _years(ware.year_earliest, ware.year_latest)
    entries = [
        _entry("accession_number", ware.accession_number),
        _entry("object_type", ware.object_type),
        _entry("maker", makers),
        _entry("date", date),
        _entry("period", ware.period),
        _entry("place", ware.place),
        _entry("material", ware.material),
        _entry("technique", ware.technique),
        _entry("pattern", ware.pattern),
        _entry("marks", ware.marks),
        _entry("dimensions", ware.dimensions_text),
        _entry("credit_line", ware.credit_line),
        _entry("provenance", ware.provenance),
        _entry("institution", ware.institution.name),
        _entry("collection", ware.collection.name if ware.collection else None),
    ]
    return [entry for entry in entries if entry]


def _years(earliest: int | None, latest: int | None) -> str | None:
    if earliest is None and latest is None:
        return None
    if earliest == latest or latest is None:
        return str(earliest)
    if earliest is None:
        return str(latest)
    return f"{earliest}–{latest}"


def _canvas(manifest_id: str, ware: Ware, photo: Photograph, number: int) -> dict[str, Any]:
    canvas_id = f"{manifest_id}/canvas/{number}"
    en, zh = LABELS["photograph"]
    view = VIEW_LABELS.get(photo.view.value)
    label = {
        "en": [f"{en} {number}" + (f" ({view[0]})" if view else "")],
        "zh": [f"{zh} {number}" + (f"（{view[1]}）" if view else "")],
    }
    # The painted image is the largest the service serves, so its size is what a client gets.
    width, height = max_size(photo.width, photo.height)
    body = {
        "id": image_url(photo, "max"),
        "type": "Image",
        "format": "image/jpeg",
        "width": width,
        "height": height,
        "service": [image_service(photo)],
    }
    canvas: dict[str, Any] = {
        "id": canvas_id,
        "type": "Canvas",
        "label": label,
        "width": photo.width,
        "height": photo.height,
        "thumbnail": [thumbnail(photo)],
    }
    canvas["items"] = [painting_page(canvas_id, body)]
    describe_canvas(canvas, photo)
    return canvas


def photo_credit(photo: Photograph) -> str | None:
    """Who is to be credited for a photograph: its credit line, else its photographer."""
    return photo.attribution or (f"Photo: {photo.photographer}" if photo.photographer else None)


def describe_canvas(canvas: dict[str, Any], photo: Photograph) -> None:
    """Put a photograph's own words on the canvas that shows it: its caption as the label,
    its alt text (what it shows, for those who cannot see it) as the summary, its credit as the
    required statement, and the licence that applies to it (its own, else the record's) as
    rights."""
    if photo.caption_en or photo.caption_zh:
        canvas["label"] = language_map(photo.caption_en, photo.caption_zh)
    if photo.alt_en or photo.alt_zh:
        canvas["summary"] = language_map(photo.alt_en, photo.alt_zh)
    credit = photo_credit(photo)
    if credit:
        canvas["requiredStatement"] = {"label": _label("attribution"), "value": {"none": [credit]}}
    licence = rights_uri(photo.rights)
    if licence:
        canvas["rights"] = licence


def painting_page(canvas_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The annotation page that paints ``body`` (an image) onto the canvas ``canvas_id``."""
    page_id = f"{canvas_id}/page"
    return {
        "id": page_id,
        "type": "AnnotationPage",
        "items": [
            {
                "id": f"{page_id}/painting",
                "type": "Annotation",
                "motivation": "painting",
                "body": body,
                "target": canvas_id,
            }
        ],
    }


def manifest_reference(ware: Ware) -> dict[str, Any]:
    """A ware's Manifest as an item of a Collection: id, type, label and thumbnail."""
    reference: dict[str, Any] = {
        "id": url_for("iiif.ware_manifest", ware_id=ware.id, _external=True),
        "type": "Manifest",
        "label": language_map(ware.title_en, ware.title_zh)
        if (ware.title_en or ware.title_zh)
        else {"none": [ware.accession_number]},
    }
    if ware.photographs:
        reference["thumbnail"] = [thumbnail(ware.photographs[0])]
    return reference


def collection_document(collection: Collection, wares: list[Ware]) -> dict[str, Any]:
    """The IIIF Collection of a catalogue collection: its published wares' Manifests."""
    return {
        "@context": PRESENTATION_CONTEXT,
        "id": url_for("iiif.collection_collection", collection_id=collection.id, _external=True),
        "type": "Collection",
        "label": language_map(collection.name),
        **({"summary": language_map(collection.description)} if collection.description else {}),
        "requiredStatement": {
            "label": _label("attribution"),
            "value": {"none": [collection.institution.name]},
        },
        "provider": [_provider(collection.institution)],
        "homepage": [
            {
                "id": url_for("pages.collection", collection_id=collection.id, _external=True),
                "type": "Text",
                "label": language_map(collection.name),
                "format": "text/html",
            }
        ],
        "partOf": [
            {
                "id": url_for(
                    "iiif.institution_collection",
                    institution_id=collection.institution_id,
                    _external=True,
                ),
                "type": "Collection",
            }
        ],
        "items": [manifest_reference(ware) for ware in wares],
    }


def institution_document(
    institution: Institution, collections: list[Collection], loose_wares: list[Ware]
) -> dict[str, Any]:
    """The IIIF Collection of an institution: its collections, then wares in none of them."""
    items: list[dict[str, Any]] = [
        {
            "id": url_for("iiif.collection_collection", collection_id=c.id, _external=True),
            "type": "Collection",
            "label": language_map(c.name),
        }
        for c in collections
    ]
    items += [manifest_reference(ware) for ware in loose_wares]
    return {
        "@context": PRESENTATION_CONTEXT,
        "id": url_for("iiif.institution_collection", institution_id=institution.id, _external=True),
        "type": "Collection",
        "label": language_map(institution.name, institution.name_zh),
        "requiredStatement": {
            "label": _label("attribution"),
            "value": {"none": [institution.name]},
        },
        "provider": [_provider(institution)],
        "homepage": _provider(institution)["homepage"],
        "partOf": [{"id": url_for("iiif.top_collection", _external=True), "type": "Collection"}],
        "items": items,
    }


def top_document(institutions: list[Institution]) -> dict[str, Any]:
    """The archive's top Collection: one Collection per contributing institution."""
    return {
        "@context": PRESENTATION_CONTEXT,
        "id": url_for("iiif.top_collection", _external=True),
        "type": "Collection",
        "label": {"en": ["Potbank"], "zh": ["Potbank 陶瓷档案"]},
        "items": [
            {
                "id": url_for("iiif.institution_collection", institution_id=i.id, _external=True),
                "type": "Collection",
                "label": language_map(i.name, i.name_zh),
            }
            for i in institutions
        ],
    }
