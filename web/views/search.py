"""The search page: keyword search, search by photograph, facets and pagination."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for

from archive.imaging import ImageRejected
from web.views import home as home_data
from web.views.context import db_session, settings
from web.views.formatting import translate
from web.views.language import LANGUAGES, N_, catalogue, current_language
from web.views.query_images import (
    CacheBounds,
    query_image_path,
    read_query_image,
    save_query_image,
)
from web.views.searching import (
    FACET_FIELDS,
    FACET_LABELS,
    BadSearch,
    SearchOutcome,
    SearchRequest,
    century_order,
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
# The Chinese site's starting points: Chinese words, and pinyin (marked as Chinese in Latin
# script) to show that it works too.
EXAMPLE_QUERIES_ZH = (
    ("青花", "zh"),
    ("青瓷", "zh"),
    ("韦奇伍德 碧玉", "zh"),
    ("乾隆", "zh"),
    ("茶壶", "zh"),
    ("qinghua", "zh-Latn-pinyin"),
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


def render_search(
    query: SearchRequest,
    outcome: SearchOutcome | None,
    *,
    browsed: tuple[str, str] | None = None,
) -> tuple[str, int]:
    """The search page for ``outcome``; ``browsed`` is the facet value a browse page is about."""
    return _render(query, outcome, browsed=browsed)


def _render(
    query: SearchRequest,
    outcome: SearchOutcome | None,
    *,
    error: str | None = None,
    status: int = 200,
    home: dict[str, Any] | None = None,
    browsed: tuple[str, str] | None = None,
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
            examples=EXAMPLE_QUERIES_ZH if current_language() == "zh" else EXAMPLE_QUERIES,
            nothing_close=NOTHING_CLOSE,
            sort_options=[(value, translate(label)) for value, label in SORT_OPTIONS],
            mode_options=[(value, translate(label)) for value, label in MODE_OPTIONS],
            home=home,
            browsed=browsed,
        ),
        status,
    )


INTRODUCTION = N_(
    "Potbank gathers photographs and records of ceramics from museums and universities, from "
    "Stoke-on-Trent to Jingdezhen. Search them by word or by picture, follow a dynasty on the "
    "timeline or a kiln on the map, and read the exhibitions curators compose."
)


def _home() -> dict[str, Any]:
    """What the home page shows below the search forms."""
    session = db_session()
    entries = home_data.entry_points()
    readers_first = [current_language()] + [c for c in LANGUAGES if c != current_language()]
    return {
        "intro": [
            (catalogue(code).get(INTRODUCTION, INTRODUCTION), code) for code in readers_first
        ],
        "featured": home_data.featured_wares(session),
        "recent": home_data.recently_added(session),
        "collections": home_data.featured_collections(session),
        "exhibitions": home_data.published_exhibitions(session, limit=3),
        "entries": entries,
        "centuries": sorted(entries.get("century", []), key=lambda pair: century_order(pair[0])),
    }


@search.get("/")
def index() -> tuple[str, int]:
    """The search page: empty, keyword results, or results for a photograph searched earlier."""
    try:
        query = parse_search_args(request.args, strict=False, default_mode="hybrid")
        if query.image:
            photo = read_query_image(settings().home, query.image)
            if photo is None:
                return _render(
                    SearchRequest(q=query.q, mode=query.mode, view=query.view),
                    None,
                    error=translate("That search photograph has expired. Please choose it again."),
                    status=404,
                )
            return _render(query, run_image_search(query, photo))
        if query.is_empty and "q" not in request.args:
            return _render(query, None, home=_home())
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
        config = settings()
        bounds = CacheBounds(config.query_cache_files, config.query_cache_bytes)
        key = save_query_image(config.home, data, config.query_max_pixels, bounds)
    except ImageRejected as problem:
        return _render(
            SearchRequest(),
            None,
            error=translate("That file cannot be searched: {reason}.", reason=problem),
            status=400,
        )
    # Marks only (``marks=1``): ``view`` on the search page is the grid or list layout.
    marks = request.form.get("marks", "") == "1"
    return redirect(url_for("search.index", image=key, marks="1" if marks else None), code=303)


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
