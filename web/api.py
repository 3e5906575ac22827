"""The JSON API under ``/api/v1/``: search, wares, makers, status.

Errors are always ``{"error": {"code": ..., "message": ...}}`` with the right HTTP status.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for

from archive.catalogue import get_ware
from archive.imaging import ImageRejected
from web.cors import allow_cross_origin
from web.openapi import openapi_document
from web.views import queries
from web.views.context import csrf, db_session
from web.views.errors import json_error
from web.views.formatting import safe_snippet, translate
from web.views.presenters import maker_record, ware_record, ware_summary
from web.views.searching import (
    FACET_FIELDS,
    BadSearch,
    SearchOutcome,
    embedder_status,
    facet_value_pair,
    parse_search_args,
    run_image_search,
    run_text_search,
)
from web.views.visual_results import NOTHING_CLOSE, match_payload

api = Blueprint("api", __name__, url_prefix="/api/v1")


@api.after_request
def _cors(response: Response) -> Response:
    # Everything the API answers is public: any site may call it (see web.cors).
    return allow_cross_origin(response, "GET, HEAD, POST, OPTIONS")


@api.errorhandler(BadSearch)
def bad_search(problem: BadSearch) -> Response:
    """A parameter that cannot be used: 400 with the reason."""
    return json_error(400, "bad_request", str(problem))


@api.errorhandler(ImageRejected)
def image_rejected(problem: ImageRejected) -> Response:
    """An upload that is not an image we can search with."""
    return json_error(400, "image_rejected", str(problem))


def _search_payload(outcome: SearchOutcome) -> dict[str, Any]:
    page = outcome.page
    return {
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "mode": page.mode,
        "message": (translate(NOTHING_CLOSE) if page.nothing_close else outcome.message) or None,
        "nothing_close": page.nothing_close,
        "suggestion": page.suggestion or None,
        "expansions": [{"term": term, "also": list(others)} for term, others in page.expansions],
        "results": [
            {
                **ware_summary(result.ware),
                "score": result.hit.score,
                "sources": list(result.hit.sources),
                "snippet": str(safe_snippet(result.hit.snippet)) or None,
                "match": match_payload(result.ware, result.hit),
            }
            for result in outcome.results
        ],
        "facets": {
            name: [
                {"value": value, "count": count, "label": facet_value_pair(name, value)}
                for value, count in values
            ]
            for name, values in outcome.facets
        },
        "embedder": embedder_status(),
    }


@api.get("/search")
def search() -> Response:
    """Keyword, visual (text to image) or hybrid search with facet filters."""
    query = parse_search_args(request.args, strict=True)
    if "q" not in request.args and not query.filters:
        # An empty q lists everything (as the search page does); no q at all is likely a mistake.
        raise BadSearch("give a query in q (empty to list every ware), or a facet filter")
    return jsonify(_search_payload(run_text_search(query)))


# Exempt from CSRF: this endpoint only reads. It stores nothing and changes nothing, and what it
# answers is public (CORS is open to any site, without credentials), so a token would protect
# nothing while making the API unusable from scripts and other sites.
@api.post("/search/image")
@csrf.exempt
def search_image() -> Response:
    """Search by a photograph posted as multipart field ``image`` (``view=mark``, as a query
    parameter or a form field, searches mark photographs only)."""
    args = request.args.copy()
    if "view" in request.form:
        args["view"] = request.form["view"]
    query = parse_search_args(args, strict=True)
    upload = request.files.get("image")
    data = upload.read() if upload else b""
    if not data:
        raise BadSearch("post a photograph as the multipart field 'image'")
    return jsonify(_search_payload(run_image_search(query, data)))


@api.get("/wares/<int:ware_id>")
def ware(ware_id: int) -> Response:
    """A published ware's full record."""
    found = get_ware(db_session(), ware_id)
    if found is None:
        abort(404, description=f"no published ware {ware_id}")
    return jsonify(ware_record(found))


@api.get("/makers/<int:maker_id>")
def maker(maker_id: int) -> Response:
    """A maker's record and the first page of their published wares."""
    found = queries.get_maker(db_session(), maker_id)
    listing = queries.wares_of_maker(db_session(), maker_id, 1, 100) if found else None
    if found is None or listing is None or listing.total == 0:
        abort(404, description=f"no maker {maker_id} with published wares")
    return jsonify(
        {
            **maker_record(found),
            "ware_count": listing.total,
            "wares": [ware_summary(w) for w in listing.wares],
        }
    )


@api.get("/")
def index() -> Response:
    """What the API offers, so a client can find its way from the root."""
    return jsonify(
        {
            "name": "Potbank API",
            "version": 1,
            "endpoints": {
                "search": url_for("api.search", _external=True)
                + "?q=&mode=keyword|visual|hybrid&page=&per_page=&sort=&<facet>=",
                "search_by_image": url_for("api.search_image", _external=True)
                + " (POST, multipart field 'image')",
                "ware": url_for("api.ware", ware_id=0, _external=True).removesuffix("0") + "<id>",
                "maker": url_for("api.maker", maker_id=0, _external=True).removesuffix("0")
                + "<id>",
                "status": url_for("api.status", _external=True),
                "openapi": url_for("api.openapi", _external=True),
            },
            "facets": list(FACET_FIELDS),
        }
    )


@api.get("/status")
def status() -> Response:
    """Which embedder is active and how much the public archive holds."""
    return jsonify({"embedder": embedder_status(), "counts": queries.counts(db_session())})


@api.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi_document(url_for("api.index", _external=True).rstrip("/")))
