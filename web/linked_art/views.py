"""The Linked Art doors: ``/linked-art/<kind>/<id>``, and content negotiation on ware pages.

Only what the public site shows is here: published wares, the makers, institutions and
collections of published wares, and the places where they were made. Everything else answers
404, as on every other public door.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, request, url_for
from sqlalchemy import ColumnElement, and_, exists, select
from werkzeug.exceptions import HTTPException

from archive.catalogue import get_ware
from archive.models import Institution, Ware, WareMaker, WareStatus
from web.cors import allow_cross_origin
from web.jsonld import json_ld_response, prefers_json_ld
from web.linked_art.documents import (
    CONTEXT,
    exhibition_activity,
    institution_document,
    maker_class,
    maker_document,
    object_document,
    place_document,
    set_document,
)
from web.views import queries
from web.views.context import db_session
from web.views.errors import json_error
from web.views.exhibitions import published_exhibition

linked_art = Blueprint("linked_art", __name__, url_prefix="/linked-art")

ONE_HOUR = 60 * 60


@linked_art.after_request
def _cors(response: Response) -> Response:
    return allow_cross_origin(response)


@linked_art.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return json_error(error.code or 500, error.name.lower().replace(" ", "_"), error.description)


def _answer(document: dict[str, Any]) -> Response:
    return json_ld_response(document, CONTEXT, ONE_HOUR)


def _public() -> ColumnElement[bool]:
    return and_(Ware.status == WareStatus.PUBLISHED, Ware.deleted_at.is_(None))


def _has_public_ware(*conditions: ColumnElement[bool]) -> bool:
    return bool(db_session().scalar(select(exists().where(_public(), *conditions))))


@linked_art.get("/object/<int:ware_id>", endpoint="object_document")
def object_view(ware_id: int) -> Response:
    """A published ware as a Linked Art HumanMadeObject."""
    ware = get_ware(db_session(), ware_id)
    if ware is None:
        abort(404, description=f"no published ware {ware_id}")
    return _answer(object_document(ware))


def _public_maker(maker_id: int, kind: str) -> Response:
    maker = queries.get_maker(db_session(), maker_id)
    credited = WareMaker.maker_id == maker_id
    if maker is None or not _has_public_ware(Ware.makers.any(credited)):
        abort(404, description=f"no maker {maker_id} with published wares")
    if maker_class(maker) != kind:
        # One maker, one document: the other door points at it.
        endpoint = "linked_art.person_document" if kind == "Group" else "linked_art.group_document"
        return redirect(url_for(endpoint, maker_id=maker_id), 301)  # type: ignore[return-value]
    return _answer(maker_document(maker))


@linked_art.get("/person/<int:maker_id>", endpoint="person_document")
def person_view(maker_id: int) -> Response:
    """A maker who is a person, as a Linked Art Person."""
    return _public_maker(maker_id, "Person")


@linked_art.get("/group/<int:maker_id>", endpoint="group_document")
def group_view(maker_id: int) -> Response:
    """A maker that is a firm, factory or kiln, as a Linked Art Group."""
    return _public_maker(maker_id, "Group")


@linked_art.get("/institution/<int:institution_id>", endpoint="institution_document")
def institution_view(institution_id: int) -> Response:
    """An institution with published wares, as a Linked Art Group."""
    institution = db_session().get(Institution, institution_id)
    if institution is None or not _has_public_ware(Ware.institution_id == institution_id):
        abort(404, description=f"no institution {institution_id} with published wares")
    return _answer(institution_document(institution))


@linked_art.get("/set/<int:collection_id>", endpoint="set_document")
def set_view(collection_id: int) -> Response:
    """A collection with published wares, as a Linked Art Set."""
    collection = queries.get_collection(db_session(), collection_id)
    if collection is None or not _has_public_ware(Ware.collection_id == collection_id):
        abort(404, description=f"no collection {collection_id} with published wares")
    return _answer(set_document(collection))


@linked_art.get("/activity/<slug>", endpoint="activity_document")
def activity_view(slug: str) -> Response:
    """A published exhibition as a Linked Art Activity classified Exhibition; its organisers are
    the institutions whose public wares it shows."""
    exhibition = published_exhibition(slug)
    institutions = {
        item.ware.institution.id: item.ware.institution
        for section in exhibition.sections
        for item in section.items
        if item.ware.status is WareStatus.PUBLISHED
        and item.ware.deleted_at is None
        and item.ware.institution is not None
    }
    document = exhibition_activity(
        url_for("linked_art.activity_document", slug=slug, _external=True),
        title_en=exhibition.title_en,
        title_zh=exhibition.title_zh,
        organisers=[institutions[key] for key in sorted(institutions)],
        page_url=url_for("exhibitions.show", slug=slug, _external=True),
        description_en=exhibition.intro_en,
        description_zh=exhibition.intro_zh,
    )
    return _answer(document)


@linked_art.get("/place/<path:place>", endpoint="place_document")
def place_view(place: str) -> Response:
    """A place where a published ware was made, as a Linked Art Place."""
    if not _has_public_ware(Ware.place == place):
        abort(404, description="no published ware was made at this place")
    return _answer(place_document(place))


def ware_page_as_linked_art() -> Response | None:
    """Content negotiation on ``/wares/<id>``: the Linked Art object for a JSON-LD client.

    Runs before the page's view; answers None (render the page) unless the client ranks
    ``application/ld+json`` above HTML. The answer names its own URL in Content-Location.
    """
    if request.endpoint != "pages.ware" or not prefers_json_ld():
        return None
    ware_id = int((request.view_args or {})["ware_id"])
    ware = get_ware(db_session(), ware_id)
    if ware is None:
        return json_error(404, "not_found", f"no published ware {ware_id}")
    response = allow_cross_origin(_answer(object_document(ware)))
    response.headers["Content-Location"] = url_for("linked_art.object_document", ware_id=ware_id)
    return response


def vary_ware_page(response: Response) -> Response:
    """Ware pages differ by Accept (HTML or JSON-LD): tell caches so.

    A script elsewhere asking for the JSON-LD with a profile in Accept is preflighted: the
    preflight of a ware page is answered like the Linked Art doors' (the page itself is HTML
    for browsers and stays closed to other origins).
    """
    if request.endpoint == "pages.ware":
        response.vary.add("Accept")
        if request.method == "OPTIONS":
            return allow_cross_origin(response)
    return response
