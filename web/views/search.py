"""The search page: keyword search, search by photograph, facets and pagination."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for

from archive.imaging import ImageRejected
from web.views.context import settings
from web.views.formatting import translate
from web.views.language import N_
from web.views.query_images import query_image_path, save_query_image
from web.views.searching import (
    FACET_FIELDS,
    FACET_LABELS,
    VIEWS,
    BadSearch,
    SearchOutcome,
    SearchRequest,
    embedder_for_page,
    facet_value_label,
    parse_search_args,
    run_image_search,
    run_text_search,
)
from web.views.visual_results import NOTHING_CLOSE

search = Blueprint("search", __name__)

SORT_OPTIONS = (("relevance", N_("relevance")), ("title", N_("title")), ("date", N_("date")))
# What the page offers when CLIP can read words: records and photographs, or either alone.
MODE_OPTIONS = (
    ("hybrid", N_("Records and photographs")),
    ("keyword", N_("Records only")),
    ("visual", N_("Photographs only")),
)
# Starting points for an empty search page, with the language of each (for screen readers).
EXAMPLE_QUERIES = (
    ("blue and white", None),
    ("celadon", None),
    ("青花", "zh"),
    ("Wedgwood jasper", None),
    ("Qianlong", None),
    ("teapot", None),
)


def _render(
    query: SearchRequest,
    outcome: SearchOutcome | None,
    *,
    error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return (
        render_template(
            "search.html",
            query=query,
            outcome=outcome,
            error=error,
            facet_fields=FACET_FIELDS,
            facet_labels=FACET_LABELS,
            facet_value=facet_value_label,
            embedder=embedder_for_page(),
            examples=EXAMPLE_QUERIES,
            nothing_close=NOTHING_CLOSE,
            sort_options=[(value, translate(label)) for value, label in SORT_OPTIONS],
            mode_options=[(value, translate(label)) for value, label in MODE_OPTIONS],
        ),
        status,
    )


@search.get("/")
def index() -> tuple[str, int]:
    """The search page: empty, keyword results, or results for a photograph searched earlier."""
    try:
        query = parse_search_args(request.args, strict=False, default_mode="hybrid")
        if query.image:
            path = query_image_path(settings().home, query.image)
            if path is None:
                return _render(
                    SearchRequest(q=query.q, mode=query.mode, view=query.view),
                    None,
                    error=translate("That search photograph has expired. Please choose it again."),
                    status=404,
                )
            return _render(query, run_image_search(query, path.read_bytes()))
        if query.is_empty and "q" not in request.args:
            return _render(query, None)
        return _render(query, run_text_search(query))
    except BadSearch as problem:
        return _render(
            SearchRequest(q=request.args.get("q", "").strip()[:500]),
            None,
            error=problem.translated(),
            status=400,
        )


@search.post("/search/image")
def by_image() -> Response | tuple[str, int]:
    """Take a photograph from the form and redirect to its results (so they can be paged)."""
    upload = request.files.get("image")
    data = upload.read() if upload else b""
    if not data:
        return _render(
            SearchRequest(),
            None,
            error=translate("Choose a photograph to search with."),
            status=400,
        )
    try:
        key = save_query_image(settings().home, data, settings().max_image_pixels)
    except ImageRejected as problem:
        return _render(
            SearchRequest(),
            None,
            error=translate("That file cannot be searched: {reason}.", reason=problem),
            status=400,
        )
    view = request.form.get("view", "")
    return redirect(
        url_for("search.index", image=key, view=view if view and view in VIEWS else None), code=303
    )


@search.get("/search/photo/<key>.jpg")
def query_image(key: str) -> Response:
    """The photograph a visitor searched with, shown above its results."""
    path = query_image_path(settings().home, key)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=3600)
    response.cache_control.public = False
    response.cache_control.private = True
    return response
