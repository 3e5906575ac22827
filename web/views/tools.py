"""Tools students use: compare two to four wares side by side, and the lightbox, named
selections kept in the browser whose shareable link (``/lightbox?name=…&ids=…``) reproduces
them on any machine, exported as CSV, JSON or a IIIF collection.

The selection lives in the address, so these pages need no account and no server state; only
public wares are ever shown or exported, whatever ids an address holds.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from archive.catalogue import wares_by_ids
from archive.models import Ware
from web.iiif.presentation import PRESENTATION_CONTEXT, language_map, manifest_reference
from web.views.context import db_session
from web.views.formatting import date_shown, translate
from web.views.language import N_
from web.views.presenters import ware_summary

tools = Blueprint("tools", __name__)

MAX_COMPARED = 4
# A ware given by its number or by its address (".../wares/12").
_NUMBER = re.compile(r"(\d{1,12})\D*$")
MAX_SELECTED = 200
MAX_NAME = 100
# The fields the compare page aligns, row by row, with their labels.
COMPARED_FIELDS = (
    ("object_type", N_("Object type")),
    ("date", N_("Date")),
    ("period", N_("Period")),
    ("place", N_("Place of production")),
    ("makers", N_("Maker")),
    ("material", N_("Material")),
    ("technique", N_("Technique and decoration")),
    ("pattern", N_("Pattern")),
    ("marks", N_("Marks and inscriptions")),
    ("dimensions", N_("Dimensions")),
    ("institution", N_("Institution")),
    ("accession", N_("Accession number")),
)


def requested_ids(limit: int) -> list[int]:
    """The ware ids of ``?ids=1,2,3`` in order, without repeats, at most ``limit``; a
    malformed list is answered with 400."""
    raw = request.args.get("ids", "").strip()
    if not raw:
        return []
    ids: list[int] = []
    for part in raw.split(","):
        part = part.strip()
        if not part.isdigit() or len(part) > 12:
            abort(400, description="ids must be ware numbers separated by commas")
        if int(part) not in ids:
            ids.append(int(part))
    if len(ids) > limit:
        abort(400, description=f"at most {limit} wares at once")
    return ids


def public_wares(ids: list[int]) -> list[Ware]:
    """The public wares among ``ids``, in the order asked (``wares_by_ids`` drops the rest)."""
    return wares_by_ids(db_session(), ids)


def _field(ware: Ware, name: str) -> Any:
    if name == "date":
        return date_shown(ware.date_text, ware.year_earliest, ware.year_latest)
    if name == "makers":
        return "; ".join(dict.fromkeys(credit.maker.name for credit in ware.makers))
    if name == "dimensions":
        return ware.dimensions_text
    if name == "institution":
        return ware.institution.name
    if name == "accession":
        return ware.accession_number
    return getattr(ware, name)


@tools.get("/compare")
def compare() -> str | Response:
    """Two to four wares side by side: photographs with synchronised deep zoom, then their
    records aligned field by field (rows where every ware is silent are left out)."""
    added = _NUMBER.search(request.args.get("add", ""))
    if added:
        ids = [str(i) for i in requested_ids(MAX_COMPARED)]
        if added.group(1) not in ids:
            ids.append(added.group(1))
        return redirect(url_for("tools.compare", ids=",".join(ids[-MAX_COMPARED:])))
    wares = public_wares(requested_ids(MAX_COMPARED))
    rows = []
    for name, label in COMPARED_FIELDS:
        values = [_field(ware, name) for ware in wares]
        if any(values):
            rows.append((translate(label), values, len({str(v) for v in values}) > 1))
    return render_template("compare.html", wares=wares, rows=rows, limit=MAX_COMPARED)


def _selection_name() -> str:
    name = request.args.get("name", "").strip()[:MAX_NAME]
    return name or translate(N_("My selection"))


@tools.get("/lightbox")
def lightbox() -> str:
    """A selection of wares from its shareable address, or (without ids) the visitor's saved
    selections, which the page's script lists from the browser's storage."""
    wares = public_wares(requested_ids(MAX_SELECTED))
    return render_template(
        "lightbox.html",
        wares=wares,
        name=_selection_name(),
        ids=",".join(str(ware.id) for ware in wares),
        shared=bool(request.args.get("ids")),
    )


def _download(body: str, mimetype: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=lightbox.{extension}"
    return response


@tools.get("/lightbox/export.<any(csv, json):kind>")
def lightbox_export(kind: str) -> Response:
    """A selection as CSV (one row per ware) or JSON (the API's summaries)."""
    wares = public_wares(requested_ids(MAX_SELECTED))
    summaries = [ware_summary(ware) for ware in wares]
    if kind == "json":
        document = {"name": _selection_name(), "count": len(summaries), "wares": summaries}
        return _download(
            json.dumps(document, ensure_ascii=False, indent=1), "application/json", kind
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "title", "title_zh", "makers", "date", "object_type", "url"])
    for summary in summaries:
        writer.writerow(
            [
                summary["id"],
                summary["title"],
                summary["title_zh"] or "",
                "; ".join(m["name"] for m in summary["makers"]),
                summary["date"],
                summary["object_type"] or "",
                summary["url"],
            ]
        )
    return _download(out.getvalue(), "text/csv", kind)


@tools.get("/lightbox/iiif.json")
def lightbox_iiif() -> Response:
    """A selection as a IIIF Presentation 3 Collection of its wares' Manifests."""
    wares = public_wares(requested_ids(MAX_SELECTED))
    name = _selection_name()
    document = {
        "@context": PRESENTATION_CONTEXT,
        "id": request.url,
        "type": "Collection",
        "label": language_map(name),
        "homepage": [
            {
                "id": url_for("tools.lightbox", _external=True, **request.args),
                "type": "Text",
                "label": language_map(name),
                "format": "text/html",
            }
        ],
        "items": [manifest_reference(ware) for ware in wares],
    }
    response = Response(json.dumps(document, ensure_ascii=False), mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
