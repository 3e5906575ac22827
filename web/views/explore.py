"""Ways into the collection besides the search box: a facet value as its own page, the
timeline of periods and reigns, and the map of kilns and production places."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from web.views import chronology, gazetteer
from web.views.search import render_search
from web.views.searching import (
    FACET_FIELDS,
    BadSearch,
    parse_search_args,
    run_text_search,
)

explore = Blueprint("explore", __name__)


@explore.get("/browse/<facet>/<path:value>")
def browse(facet: str, value: str) -> tuple[str, int]:
    """Every public ware with one facet value (all jasperware, all of one century), as a page
    with the same grid, facets and filters as the search page."""
    if facet not in FACET_FIELDS or not value.strip() or len(value) > 300:
        abort(404)
    args = MultiDict(request.args)
    if value not in args.getlist(facet):
        args.add(facet, value)
    args.setdefault("q", "")
    try:
        query = parse_search_args(args, strict=False)
    except BadSearch:
        abort(404)
    outcome = run_text_search(query)
    if outcome.page.total == 0:
        abort(404)
    return render_search(query, outcome, browsed=(facet, value))


@explore.get("/timeline")
def timeline() -> str:
    """Chinese dynasties and reigns beside European periods and centuries, to scale, each band
    with its number of wares and a link to them."""
    return render_template("timeline.html", timeline=chronology.timeline())


@explore.get("/map")
def map_page() -> str:
    """Kilns and production places from the shipped gazetteer, sized by their wares."""
    return render_template(
        "map.html",
        places=gazetteer.places_with_counts(),
        outline=gazetteer.outline(),
        viewbox=gazetteer.viewbox(),
    )


@explore.get("/map/places.geojson")
def gazetteer_data() -> Response:
    """The gazetteer with counts as GeoJSON, for reuse in any GIS."""
    features = [
        {
            "type": "Feature",
            "id": place.id,
            "geometry": {"type": "Point", "coordinates": [place.longitude, place.latitude]},
            "properties": {
                "name": place.name,
                "other_name": place.other_name,
                "wares": place.count,
                "search": url_for("search.index", _external=True) + place.href.lstrip("/"),
                "source": place.source,
            },
        }
        for place in gazetteer.places_with_counts()
    ]
    response = jsonify({"type": "FeatureCollection", "features": features})
    response.mimetype = "application/geo+json"
    return response
