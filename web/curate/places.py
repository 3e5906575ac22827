"""Places of production as an authority list: every place the catalogue uses, with how many
wares name it, and renaming one spelling to another (merging two places) as an undoable batch
job over its wares."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from archive.models import Ware
from archive.workbench import BatchAction
from web.auth import Rule, access
from web.curate.blueprint import curate
from web.curate.forms import clean_text
from web.curate.workbench import enqueue
from web.views.context import db_session
from web.views.formatting import translate as _

PLACES_SHOWN = 500


@curate.get("/places")
@access(Rule.CURATOR)
def places() -> str:
    """Every place of production in use, most used first, searchable."""
    words = clean_text(request.args.get("q"))[:200]
    query = (
        select(Ware.place, func.count(Ware.id))
        .where(Ware.place.is_not(None), Ware.place != "", Ware.deleted_at.is_(None))
        .group_by(Ware.place)
        .order_by(func.count(Ware.id).desc(), Ware.place)
        .limit(PLACES_SHOWN)
    )
    if words:
        escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(Ware.place).like(f"%{escaped}%", escape="\\"))
    return render_template(
        "curate/places.html", rows=list(db_session().execute(query)), words=words
    )


@curate.post("/places/rename")
@access(Rule.CURATOR)
def rename_place() -> Response:
    """Write every ware's place ``place`` as ``to`` instead: a batch job, undoable as one."""
    old = clean_text(request.form.get("place"))[:300]
    new = clean_text(request.form.get("to"))[:300]
    if not old or not new or old == new:
        flash(_("Give the place and the name to write instead."), "error")
        return redirect(url_for("curate.places"))
    ids = list(
        db_session().scalars(
            select(Ware.id).where(Ware.place == old, Ware.deleted_at.is_(None)).order_by(Ware.id)
        )
    )
    if not ids:
        flash(_("No ware names that place."), "error")
        return redirect(url_for("curate.places"))
    # An authority's spelling, like a maker merge, is corrected in the records at once (asked
    # first on the page): the list of places is the records', not the working copies'.
    job = enqueue(
        BatchAction.SET_FIELD, {"field": "place", "value": new, "publish_at_once": True}, ids
    )
    flash(_("Renaming the place on {n} wares; the batch can be undone.", n=len(ids)))
    return redirect(url_for("curate.batch_job", job_id=job.id))
