"""Catalogue rows turned into what pages and the API show: URLs, sizes, plain dicts."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for

from archive.imaging import DERIVATIVE_SIZES
from archive.models import Maker, Photograph, Ware
from web.views.formatting import licence_label, year_range
from web.views.vocabulary import value_pair


def scaled_size(photo: Photograph, size: str) -> tuple[int, int]:
    """The pixel size of a derivative, so pages reserve its space before it loads."""
    longest = DERIVATIVE_SIZES[size]
    width, height = photo.width, photo.height
    scale = min(1.0, longest / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def image_url(photo: Photograph, size: str = "thumb", *, external: bool = False) -> str:
    """The URL of a photograph's derivative (``thumb``, ``display``: as shown, turned and
    cropped, named by its image key) or of its ``original`` (as contributed)."""
    if size == "original":
        return url_for("images.original", sha256=photo.sha256, _external=external)
    return url_for("images.derivative", sha256=photo.image_key, size=size, _external=external)


def ware_date(ware: Ware) -> str:
    """The date as written, else the year range."""
    return ware.date_text or year_range(ware.year_earliest, ware.year_latest)


def maker_credits(ware: Ware) -> list[dict[str, Any]]:
    """The ware's makers with their roles, in catalogue order."""
    return [
        {
            "id": credit.maker.id,
            "name": credit.maker.name,
            "name_zh": credit.maker.name_zh,
            "role": credit.role.value,
            "qualifier": credit.qualifier,
        }
        for credit in ware.makers
    ]


def ware_summary(ware: Ware, *, external: bool = True) -> dict[str, Any]:
    """A ware as one search result or list item in the API."""
    photo = ware.main_photograph
    return {
        "id": ware.id,
        "title": ware.title,
        "title_zh": ware.title_zh,
        "makers": maker_credits(ware),
        "date": ware_date(ware),
        "year_earliest": ware.year_earliest,
        "year_latest": ware.year_latest,
        "object_type": ware.object_type,
        "labels": {"object_type": value_pair(ware.object_type)},
        "url": url_for("pages.ware", ware_id=ware.id, _external=external),
        "thumbnail": image_url(photo, "thumb", external=external) if photo else None,
    }


def photograph_record(photo: Photograph, *, external: bool = True) -> dict[str, Any]:
    """A photograph's URLs, size and rights for the API."""
    return {
        "sha256": photo.sha256,
        "view": photo.view.value,
        "width": photo.width,
        "height": photo.height,
        "thumbnail": image_url(photo, "thumb", external=external),
        "display": image_url(photo, "display", external=external),
        "original": image_url(photo, "original", external=external),
        "rotation": photo.rotation,
        "crop": photo.crop,
        "caption_en": photo.caption_en,
        "caption_zh": photo.caption_zh,
        "alt_en": photo.alt_en,
        "alt_zh": photo.alt_zh,
        "photographer": photo.photographer,
        "licence": photo.licence,
        "licence_label": licence_label(photo.licence) or None,
        # The licence that applies: the photograph's own, else the record's rights statement.
        "rights": photo.rights,
        "attribution": photo.attribution,
    }


# Record fields whose values the bilingual vocabulary names (index.vocabulary).
LABELLED_FIELDS = ("object_type", "material", "technique", "place", "period", "pattern")
RECORD_FIELDS = (
    "accession_number",
    "title_en",
    "title_zh",
    "object_type",
    "place",
    "date_text",
    "year_earliest",
    "year_latest",
    "period",
    "material",
    "technique",
    "pattern",
    "marks",
    "dimensions_text",
    "height_cm",
    "width_cm",
    "depth_cm",
    "diameter_cm",
    "description_en",
    "description_zh",
    "credit_line",
    "provenance",
    "rights",
)


def ware_record(ware: Ware, *, external: bool = True) -> dict[str, Any]:
    """The full public record of a ware for the API."""
    record: dict[str, Any] = {"id": ware.id, "title": ware.title}
    record.update({field: getattr(ware, field) for field in RECORD_FIELDS})
    record["date"] = ware_date(ware)
    record["makers"] = maker_credits(ware)
    record["institution"] = {
        "id": ware.institution.id,
        "name": ware.institution.name,
        "label": value_pair(ware.institution.name),
    }
    record["collection"] = (
        {
            "id": ware.collection.id,
            "name": ware.collection.name,
            "label": value_pair(ware.collection.name),
        }
        if ware.collection
        else None
    )
    # The vocabulary's names of the record's values, {en, zh} each (as written where unknown).
    record["labels"] = {field: value_pair(getattr(ware, field)) for field in LABELLED_FIELDS}
    record["photographs"] = [photograph_record(p, external=external) for p in ware.photographs]
    record["url"] = url_for("pages.ware", ware_id=ware.id, _external=external)
    return record


def maker_record(maker: Maker) -> dict[str, Any]:
    """A maker's public record for the API (without its wares)."""
    return {
        "id": maker.id,
        "name": maker.name,
        "name_zh": maker.name_zh,
        "aliases": [{"name": a.name, "language": a.language} for a in maker.aliases],
        "kind": maker.kind,
        "place": maker.place,
        "nationality": maker.nationality,
        "active_from": maker.active_from,
        "active_to": maker.active_to,
        "born": maker.born,
        "died": maker.died,
        "biography_en": maker.biography_en,
        "biography_zh": maker.biography_zh,
        "wikidata_id": maker.wikidata_id,
        "ulan_id": maker.ulan_id,
        "url": url_for("pages.maker", maker_id=maker.id, _external=True),
    }


def register(app: Flask) -> None:
    """Make the image helpers available to templates."""
    app.jinja_env.globals.update(image_url=image_url, scaled_size=scaled_size, ware_date=ware_date)
