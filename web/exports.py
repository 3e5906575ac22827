"""Exports of a collection, an institution or a search: CSV, JSON, LIDO, Dublin Core, Linked Art.

The CSV's columns follow the native ingest template (plus the record's links), so a spreadsheet
made from an export reads like one made for ingest. Cells that a spreadsheet would run as a
formula are defused. Every export holds published wares only.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, abort, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from archive.catalogue import wares_by_ids
from archive.models import Collection, Institution, Ware, WareMaker, WareStatus
from ingest.native import TEMPLATE_COLUMNS
from web.cors import allow_cross_origin
from web.linked_art.documents import linked_art_graph
from web.oai.metadata import dublin_core, lido_record, lido_wrap
from web.views.context import db_session, search_service
from web.views.errors import json_error
from web.views.presenters import ware_record
from web.views.searching import BadSearch, parse_search_args
from web.xml_text import xml_safe

# The most wares one export holds: a search export pages through the index up to this.
MAX_EXPORT = 5000
SEARCH_PAGE = 100

# The native ingest template's columns (so an export can be ingested again elsewhere), with
# the photographs as links rather than file names, and where the record lives here.
CSV_COLUMNS: tuple[str, ...] = (
    *(column for column in TEMPLATE_COLUMNS if column != "images"),
    "id",
    "url",
    "iiif_manifest",
    "image_urls",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Spreadsheets in Chinese and Japanese locales read the full-width and small forms of these
# signs (＝ ＋ － ＠ ﹦ ﹢ ﹣ ﹫, which NFKC folds to their ASCII forms) and the minus sign as
# formulas too, and most skip leading spaces, ideographic ones included, before deciding.
_FORMULA_SIGNS = frozenset("=+-@\u2212")


@dataclass(frozen=True)
class ExportFormat:
    """A format an export can be written in."""

    extension: str
    mimetype: str


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "text/csv"),
    "json": ExportFormat("json", "application/json"),
    "lido": ExportFormat("lido.xml", "application/xml"),
    "dc": ExportFormat("dc.xml", "application/xml"),
    "linked-art": ExportFormat("linked-art.json", "application/ld+json"),
}
_BY_EXTENSION = {fmt.extension: name for name, fmt in FORMATS.items()}


def spreadsheet_safe(value: Any) -> Any:
    """A cell value a spreadsheet shows as text: a leading = + - @ (in ASCII, full-width or small
    form, after any spaces), tab, CR or LF gets a quote."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    first = unicodedata.normalize("NFKC", value.lstrip()[:1])
    if first and first[0] in _FORMULA_SIGNS:
        return "'" + value
    return value


def _first(values: Sequence[str | None]) -> str | None:
    return next((value for value in values if value), None)


def csv_row(ware: Ware) -> dict[str, Any]:
    """One ware as a row of the export CSV (before formula defusing)."""
    makers = "; ".join(
        credit.maker.name + (f" ({credit.role.value})" if credit.role.value != "maker" else "")
        for credit in ware.makers
    )
    photos = ware.photographs
    return {
        "accession_number": ware.accession_number,
        "institution": ware.institution.name,
        "collection": ware.collection.name if ware.collection else None,
        "title_en": ware.title_en,
        "title_zh": ware.title_zh,
        "object_type": ware.object_type,
        "makers": makers,
        "place": ware.place,
        "date_text": ware.date_text,
        "year_earliest": ware.year_earliest,
        "year_latest": ware.year_latest,
        "period": ware.period,
        "material": ware.material,
        "technique": ware.technique,
        "pattern": ware.pattern,
        "marks": ware.marks,
        "dimensions": ware.dimensions_text,
        "description_en": ware.description_en,
        "description_zh": ware.description_zh,
        "credit_line": ware.credit_line,
        "provenance": ware.provenance,
        "rights": ware.rights,
        "photographer": _first([p.photographer for p in photos]),
        "image_licence": _first([p.licence for p in photos]),
        "image_attribution": _first([p.attribution for p in photos]),
        "status": ware.status.value,
        "id": ware.id,
        "url": url_for("pages.ware", ware_id=ware.id, _external=True),
        "iiif_manifest": url_for("iiif.ware_manifest", ware_id=ware.id, _external=True)
        if photos
        else None,
        "image_urls": "; ".join(
            url_for("images.original", sha256=p.sha256, _external=True) for p in photos
        ),
    }


def wares_csv(wares: Sequence[Ware]) -> str:
    """The wares as CSV text, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for ware in wares:
        writer.writerow({key: spreadsheet_safe(value) for key, value in csv_row(ware).items()})
    return buffer.getvalue()


def wares_json(wares: Sequence[Ware], title: str) -> str:
    """The wares as the API's full records, in one JSON document."""
    document = {"title": title, "count": len(wares), "wares": [ware_record(w) for w in wares]}
    return json.dumps(document, ensure_ascii=False, indent=2)


def wares_xml(wares: Sequence[Ware], schema: str) -> str:
    """The wares as LIDO (one ``lido:lidoWrap``) or Dublin Core (``oai_dc:dc``s in ``records``)."""
    if schema == "lido":
        root = lido_wrap(
            lido_record(ware, url_for("pages.ware", ware_id=ware.id, _external=True))
            for ware in wares
        )
    else:
        root = ET.Element("records")
        for ware in wares:
            root.append(dublin_core(ware))
    # Record text may hold characters XML cannot carry (a stray control character from a source).
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml_safe(
        ET.tostring(root, encoding="unicode")
    )


def render_export(wares: Sequence[Ware], fmt: str, title: str) -> str:
    """The wares in the export format named ``fmt`` (csv, json, lido, dc or linked-art)."""
    if fmt == "linked-art":
        return json.dumps(linked_art_graph(wares), ensure_ascii=False, indent=2)
    if fmt == "csv":
        return wares_csv(wares)
    if fmt == "json":
        return wares_json(wares, title)
    return wares_xml(wares, fmt)


def _public_query(session: Session, *conditions: Any) -> list[Ware]:
    return list(
        session.scalars(
            select(Ware)
            .where(Ware.status == WareStatus.PUBLISHED, Ware.deleted_at.is_(None), *conditions)
            .options(
                selectinload(Ware.makers).selectinload(WareMaker.maker),
                selectinload(Ware.photographs),
                selectinload(Ware.institution),
                selectinload(Ware.collection),
            )
            .order_by(Ware.id)
            .limit(MAX_EXPORT)
        )
    )


def collection_wares(session: Session, collection_id: int) -> tuple[str, list[Ware]] | None:
    """A collection's title and its published wares, or None when there is no such collection."""
    collection = session.get(Collection, collection_id)
    if collection is None:
        return None
    return collection.name, _public_query(session, Ware.collection_id == collection_id)


def institution_wares(session: Session, institution_id: int) -> tuple[str, list[Ware]] | None:
    """An institution's name and its published wares, or None when there is no such one."""
    institution = session.get(Institution, institution_id)
    if institution is None:
        return None
    return institution.name, _public_query(session, Ware.institution_id == institution_id)


def search_wares(session: Session, query: str, filters: dict[str, list[str]] | None) -> list[Ware]:
    """The published wares a keyword search finds, in rank order, up to MAX_EXPORT."""
    service = search_service()
    ids: list[int] = []
    page = 1
    while len(ids) < MAX_EXPORT:
        found = service.keyword(query, page=page, per_page=SEARCH_PAGE, filters=filters or None)
        ids.extend(hit.ware_id for hit in found.hits)
        if not found.hits or page * SEARCH_PAGE >= found.total:
            break
        page += 1
    return wares_by_ids(session, ids[:MAX_EXPORT])


exports = Blueprint("exports", __name__)


@exports.after_request
def _cors(response: Response) -> Response:
    # The search export is part of the public JSON API, open to other sites like the rest of it.
    if request.endpoint == "exports.search_export":
        return allow_cross_origin(response)
    return response


def _download(body: str, fmt: str, name: str) -> Response:
    spec = FORMATS[fmt]
    response = Response(body, mimetype=spec.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{spec.extension}"'
    return response


@exports.get("/export/collections/<int:collection_id>.<path:extension>")
def collection_export(collection_id: int, extension: str) -> Response:
    """A collection's published wares as .csv, .json, .lido.xml or .dc.xml."""
    fmt = _BY_EXTENSION.get(extension)
    found = collection_wares(db_session(), collection_id)
    if fmt is None or found is None:
        abort(404)
    title, wares = found
    return _download(render_export(wares, fmt, title), fmt, f"collection-{collection_id}")


@exports.get("/export/institutions/<int:institution_id>.<path:extension>")
def institution_export(institution_id: int, extension: str) -> Response:
    """An institution's published wares as .csv, .json, .lido.xml or .dc.xml."""
    fmt = _BY_EXTENSION.get(extension)
    found = institution_wares(db_session(), institution_id)
    if fmt is None or found is None:
        abort(404)
    title, wares = found
    return _download(render_export(wares, fmt, title), fmt, f"institution-{institution_id}")


@exports.get("/api/v1/export")
def search_export() -> Response:
    """A keyword search's results (``q`` and facet filters) in ``format`` csv, json, lido or dc."""
    query = parse_search_args(request.args, strict=True, known=("format",))
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        raise BadSearch(f"format must be one of {', '.join(FORMATS)}")
    if not query.q and not query.filters:
        raise BadSearch("give a query in q, or at least one facet filter")
    wares = search_wares(db_session(), query.q, query.filters)
    return _download(render_export(wares, fmt, f"Search: {query.q}"), fmt, "search")


@exports.errorhandler(BadSearch)
def _bad_search(problem: BadSearch) -> Response:
    return json_error(400, "bad_request", str(problem))


_LINK_LABELS = {
    "csv": "CSV",
    "json": "JSON",
    "lido": "LIDO XML",
    "dc": "Dublin Core XML",
    "linked-art": "Linked Art JSON-LD",
}


def export_urls(kind: str, **params: Any) -> list[tuple[str, str]]:
    """(label, URL) for each export format of a collection, an institution or a search."""
    links = []
    for fmt, label in _LINK_LABELS.items():
        if kind == "search":
            url = url_for("exports.search_export", format=fmt, **params)
        else:
            extension = FORMATS[fmt].extension
            url = url_for(f"exports.{kind}_export", extension=extension, **params)
        links.append((label, url))
    return links


def register(app: Flask) -> None:
    """Register the export routes on ``app`` and the links the pages show to them."""
    app.register_blueprint(exports)
    app.add_template_global(export_urls)
