"""Public exhibition pages: the list of published exhibitions and each one, section by section.

Items whose ware is no longer public are left out, so an exhibition never shows hidden work.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.exhibitions import Exhibition, ExhibitionItem, ExhibitionSection, ExhibitionStatus
from archive.models import Ware, WareMaker, WareStatus
from web.iiif.presentation import PRESENTATION_CONTEXT
from web.views.context import db_session
from web.views.exhibition_iiif import exhibition_collection, exhibition_manifest
from web.views.exhibition_view import item_image
from web.views.home import published_exhibitions

exhibitions = Blueprint("exhibitions", __name__)


def load_exhibition(slug: str) -> Exhibition | None:
    """The exhibition with its sections, items, wares and photographs, whatever its status."""
    return db_session().scalar(
        select(Exhibition)
        .where(Exhibition.slug == slug)
        .options(
            selectinload(Exhibition.sections)
            .selectinload(ExhibitionSection.items)
            .selectinload(ExhibitionItem.ware)
            .options(
                selectinload(Ware.photographs),
                selectinload(Ware.makers).selectinload(WareMaker.maker),
            ),
            selectinload(Exhibition.sections)
            .selectinload(ExhibitionSection.items)
            .selectinload(ExhibitionItem.photograph),
        )
    )


def is_public(ware: Ware) -> bool:
    """Whether a ware may be shown to the public."""
    return ware.status is WareStatus.PUBLISHED and ware.deleted_at is None


def public_items(section: ExhibitionSection) -> list[ExhibitionItem]:
    """A section's items whose wares are public, in order."""
    return [item for item in section.items if is_public(item.ware)]


def published_exhibition(slug: str) -> Exhibition:
    """The published exhibition at ``slug``, else 404."""
    found = load_exhibition(slug)
    if found is None or found.status is not ExhibitionStatus.PUBLISHED:
        abort(404)
    return found


@exhibitions.get("/exhibitions")
def index() -> str:
    """Every published exhibition."""
    return render_template("exhibitions.html", exhibitions=published_exhibitions(db_session()))


@exhibitions.get("/exhibitions/<slug>")
def show(slug: str) -> str:
    """One published exhibition, section by section."""
    return render_template(
        "exhibition.html",
        exhibition=published_exhibition(slug),
        items_of=public_items,
        item_image=item_image,
        preview=False,
    )


def _public_sections(exhibition: Exhibition) -> list[tuple[int, list[ExhibitionItem]]]:
    return [(position, public_items(s)) for position, s in enumerate(exhibition.sections)]


def _json_ld(document: dict[str, Any]) -> Response:
    # JSON-LD for clients that ask for it by Accept, as the IIIF Presentation API requires.
    wants_ld = "application/ld+json" in request.headers.get("Accept", "")
    mimetype = (
        f'application/ld+json;profile="{PRESENTATION_CONTEXT}"' if wants_ld else "application/json"
    )
    response = Response(json.dumps(document, ensure_ascii=False), mimetype=mimetype)
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@exhibitions.get("/exhibitions/<slug>/iiif/manifest.json")
def iiif_manifest(slug: str) -> Response:
    """The published exhibition as a IIIF Presentation 3 Manifest."""
    exhibition = published_exhibition(slug)
    return _json_ld(exhibition_manifest(exhibition, _public_sections(exhibition)))


@exhibitions.get("/exhibitions/<slug>/iiif/collection.json")
def iiif_collection(slug: str) -> Response:
    """The published exhibition as a IIIF Presentation 3 Collection of its wares' Manifests."""
    exhibition = published_exhibition(slug)
    return _json_ld(exhibition_collection(exhibition, _public_sections(exhibition)))
