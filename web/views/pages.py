"""Record pages: wares, makers, collections, institutions, and the about page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from archive.catalogue import get_ware, wares_by_ids
from archive.ids import parse_bounded_int
from web.views import citation, queries
from web.views.context import db_session, search_service
from web.views.searching import (
    FACET_FIELDS,
    FACET_LABELS,
    embedder_for_page,
    facet_value_label,
)
from web.views.visual_results import parse_region

pages = Blueprint("pages", __name__)

SIMILAR_LIMIT = 12
LIST_PER_PAGE = 24


def _page_number() -> int:
    page = parse_bounded_int(request.args.get("page", "1"), 1, 10_000)
    if page is None:
        abort(404)
    return page


@pages.get("/wares/<int:ware_id>")
def ware(ware_id: int) -> str:
    """A ware: its photographs, full record, makers and visually similar wares."""
    item = get_ware(db_session(), ware_id)
    if item is None:
        abort(404)
    photo_count = len(item.photographs)
    chosen = parse_bounded_int(request.args.get("photo", "1"), 1, max(photo_count, 1))
    # Thumbnails are plain links to ?photo=N, so switching photographs works without JavaScript.
    selected = chosen - 1 if chosen is not None else 0
    hits = [
        h for h in search_service().similar_hits(ware_id, SIMILAR_LIMIT) if h.ware_id != ware_id
    ]
    found = {other.id: other for other in wares_by_ids(db_session(), [h.ware_id for h in hits])}
    photo = item.photographs[selected] if photo_count else None
    cited = citation.citation_of(item)
    return render_template(
        "ware.html",
        ware=item,
        selected=selected,
        citation=cited,
        citation_meta=citation.meta_tags(item, cited),
        json_ld=citation.json_ld(item, cited),
        # The region a search by photograph matched on this photograph (from the result card).
        region=parse_region(request.args.get("region"), photo) if photo else None,
        similar=[(found[h.ware_id], h) for h in hits if h.ware_id in found],
    )


@pages.get("/wares/<int:ware_id>/cite.<any(ris, bib):kind>")
def ware_citation(ware_id: int, kind: str) -> Response:
    """The ware's citation as a file a reference manager imports: RIS or BibTeX."""
    item = get_ware(db_session(), ware_id)
    if item is None:
        abort(404)
    cited = citation.citation_of(item)
    if kind == "ris":
        body, mimetype = cited.ris(), "application/x-research-info-systems"
    else:
        body, mimetype = cited.bibtex() + "\n", "application/x-bibtex"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=potbank-ware-{ware_id}.{kind}"
    return response


@pages.get("/makers/<int:maker_id>")
def maker(maker_id: int) -> str:
    """A maker: names, aliases, active years and their published wares."""
    found = queries.get_maker(db_session(), maker_id)
    if found is None:
        abort(404)
    listing = queries.wares_of_maker(db_session(), maker_id, _page_number(), LIST_PER_PAGE)
    if listing.total == 0:
        # A maker known only from unpublished records is not public yet.
        abort(404)
    facets = search_service().keyword("", per_page=1, filters={"maker": [found.name]}).facets
    with_photo = sum(1 for ware in listing.wares if ware.main_photograph)
    return render_template(
        "maker.html",
        maker=found,
        listing=listing,
        roles=queries.roles_of_maker(db_session(), maker_id),
        facets=[
            (name, [(str(value), int(number)) for value, number in facets.get(name, [])][:8])
            for name in FACET_FIELDS
            if name not in ("maker", "institution", "collection") and facets.get(name)
        ],
        facet_labels=FACET_LABELS,
        facet_value=facet_value_label,
        mostly_unphotographed=bool(listing.wares) and with_photo * 2 < len(listing.wares),
    )


@pages.get("/collections/<int:collection_id>")
def collection(collection_id: int) -> str:
    """A collection and its published wares."""
    found = queries.get_collection(db_session(), collection_id)
    if found is None:
        abort(404)
    listing = queries.wares_in_collection(
        db_session(), collection_id, _page_number(), LIST_PER_PAGE
    )
    return render_template("collection.html", collection=found, listing=listing)


@pages.get("/institutions/<int:institution_id>")
def institution(institution_id: int) -> str:
    """An institution, its collections and its published wares."""
    found = queries.get_institution(db_session(), institution_id)
    if found is None:
        abort(404)
    listing = queries.wares_of_institution(
        db_session(), institution_id, _page_number(), LIST_PER_PAGE
    )
    return render_template(
        "institution.html",
        institution=found,
        collections=queries.collections_of_institution(db_session(), institution_id),
        listing=listing,
    )


@pages.get("/about")
def about() -> str:
    """What Potbank is, where its data comes from, and which image embedder is active."""
    return render_template(
        "about.html", embedder=embedder_for_page(), counts=queries.counts(db_session())
    )
