"""The curators' wares list as a working table, and what acts on many wares at once: batch
jobs (with progress and undo), saved searches and named sets."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from archive.batch import (
    BATCH_FIELDS,
    NUMERIC_FIELDS,
    SKIP_CHANGED_SINCE,
    SKIP_DELETED,
    SKIP_GONE,
    SKIP_HELD,
    SKIP_NO_RIGHTS,
    SKIP_OTHER_INSTITUTION,
    SKIP_WRONG_STATUS,
    BatchRefused,
    check_params,
)
from archive.batch_copies import SKIP_COPY_INVALID, SKIP_COPY_ON_PAGE, SKIP_NO_COPY
from archive.curation import ReviewNote
from archive.grants import Action, may_place
from archive.ids import parse_id
from archive.models import Collection, Institution, User, Ware
from archive.workbench import (
    BatchAction,
    BatchJob,
    BatchStatus,
    SavedSearch,
    WareSet,
    WareSetMember,
)
from web.auth import Rule, access
from web.curate import batch_jobs
from web.curate.access import signed_in
from web.curate.blueprint import curate
from web.curate.forms import FIELDS, RIGHTS_PATTERN, _parse, clean_text
from web.curate.indexing import SYNC_KEY, index_syncer
from web.curate.listing import (
    PER_PAGE,
    STATUS_FILTERS,
    WareFilter,
    conditions,
    count_query,
    ids_query,
    owned_or_shared,
    page_query,
)
from web.curate.safety import unconfirmed
from web.views.context import app_state, db_session
from web.views.formatting import translate as _
from web.views.language import N_

SPECS = {spec.name: spec for spec in FIELDS if spec.name in BATCH_FIELDS}
ACTION_LABELS = {
    BatchAction.SET_FIELD: N_("Set a field"),
    BatchAction.APPEND_FIELD: N_("Append to a field"),
    BatchAction.ADD_TO_COLLECTION: N_("Add to a collection"),
    BatchAction.REMOVE_FROM_COLLECTION: N_("Remove from a collection"),
    BatchAction.ADD_TO_SET: N_("Add to a set"),
    BatchAction.REMOVE_FROM_SET: N_("Remove from a set"),
    BatchAction.PUBLISH: N_("Publish"),
    BatchAction.UNPUBLISH: N_("Unpublish"),
    BatchAction.SEND_TO_REVIEW: N_("Send to review"),
    BatchAction.DELETE: N_("Delete"),
    BatchAction.PUBLISH_CHANGES: N_("Publish changes"),
    BatchAction.UNDO: N_("Undo of a batch"),
}
SKIP_REASONS = {
    SKIP_DELETED: N_("it is deleted"),
    SKIP_NO_RIGHTS: N_("no rights statement, so it cannot be published"),
    SKIP_WRONG_STATUS: N_("its status does not allow this"),
    SKIP_OTHER_INSTITUTION: N_("the collection belongs to another institution"),
    SKIP_CHANGED_SINCE: N_("it was changed again after the batch, so it was left as it is"),
    SKIP_GONE: N_("it no longer exists"),
    SKIP_HELD: N_("held for review: a photograph copies another ware's"),
    SKIP_NO_COPY: N_("it has no unpublished changes"),
    SKIP_COPY_INVALID: N_("its working copy has a field to correct first: open the ware"),
    SKIP_COPY_ON_PAGE: N_(
        "its working copy changes makers, the collection, the accession number or "
        "photographs: publish it from its page"
    ),
}
DESTRUCTIVE = (BatchAction.DELETE, BatchAction.UNPUBLISH, BatchAction.PUBLISH_CHANGES)
# The batch form's choice for a field edit of published wares (``published_wares``).
PUBLISH_AT_ONCE = "publish"
MESSAGES = {
    batch_jobs.INTERRUPTED_MESSAGE: N_(
        "The server stopped while this batch ran. What it had done "
        "stays done and can be undone; run the batch again for the rest."
    ),
    batch_jobs.INDEX_FAILED_MESSAGE: N_(
        "The changes are saved, but the search indexes could not be "
        "updated: run potbank index rebuild."
    ),
}
SKIPPED_SHOWN = 200


@curate.get("/")
@access(Rule.SIGNED_IN)
def dashboard() -> str:
    """The wares this account curates: filtered, sorted, paged, selectable for batch actions."""
    account = signed_in()
    chosen = WareFilter.from_args(request.args)
    where = conditions(account, chosen)
    session = db_session()
    total = session.scalar(count_query(where)) or 0
    wares = list(session.scalars(page_query(chosen, where)))
    searches = session.scalars(owned_or_shared(SavedSearch, account).order_by(SavedSearch.name))
    return render_template(
        "curate/dashboard.html",
        wares=wares,
        total=total,
        chosen=chosen,
        pages=max(1, -(-total // PER_PAGE)),
        statuses=STATUS_FILTERS,
        notes=_latest_notes([ware.id for ware in wares]),
        institutions=_institutions(account),
        collections=_collections(account),
        sets=list(session.scalars(owned_or_shared(WareSet, account).order_by(WareSet.name))),
        searches=list(searches),
        actions=ACTION_LABELS,
        batch_fields=SPECS,
        destructive=[action.value for action in DESTRUCTIVE],
        messages=list(dict.fromkeys(chosen.messages)),
    )


def _latest_notes(ware_ids: list[int]) -> dict[int, ReviewNote]:
    if not ware_ids:
        return {}
    latest: dict[int, ReviewNote] = {}
    for note in db_session().scalars(
        select(ReviewNote)
        .where(ReviewNote.ware_id.in_(ware_ids))
        .order_by(ReviewNote.created_at, ReviewNote.id)
    ):
        latest[note.ware_id] = note
    return latest


def _collections(account: Any) -> list[Collection]:
    """The collections whose wares this account may see: all of its institutions' and those
    it holds a role in."""
    query = select(Collection).join(Institution).order_by(Institution.name, Collection.name)
    whole = account.permissions.institution_ids(Action.SEE)
    if whole is not None:
        held = account.permissions.collection_ids(Action.SEE)
        query = query.where(Collection.institution_id.in_(whole) | Collection.id.in_(held))
    return list(db_session().scalars(query))


def _institutions(account: Any) -> list[Institution]:
    """The institutions with wares this account may see."""
    query = select(Institution).order_by(Institution.name)
    whole = account.permissions.institution_ids(Action.SEE)
    if whole is not None:
        through = {collection.institution_id for collection in _collections(account)}
        query = query.where(Institution.id.in_(whole | through))
    return list(db_session().scalars(query))


def _back(filter_args: str) -> Response:
    return redirect(url_for("curate.dashboard") + (f"?{filter_args}" if filter_args else ""))


def _selection(account: Any, filter_args: str) -> list[int]:
    """The wares a batch acts on: every result of the list's filter, or the ticked rows."""
    if request.form.get("scope") == "all":
        chosen = WareFilter.from_args(MultiDict(parse_qsl(filter_args)))
        return list(db_session().scalars(ids_query(conditions(account, chosen, Action.PUBLISH))))
    ticked = [n for n in map(parse_id, request.form.getlist("ware")) if n is not None]
    if not ticked:
        return []
    chosen = WareFilter(status="all")
    # Deleted wares are listed too (the bin), so ticked ids are checked against both.
    live = conditions(account, chosen, Action.PUBLISH)
    binned = conditions(account, WareFilter(status="deleted"), Action.PUBLISH)
    found = set(db_session().scalars(ids_query(live).where(Ware.id.in_(ticked))))
    found |= set(db_session().scalars(ids_query(binned).where(Ware.id.in_(ticked))))
    return [ware_id for ware_id in dict.fromkeys(ticked) if ware_id in found]


def _params(action: BatchAction) -> tuple[dict[str, Any], str | None]:
    """The batch's parameters from the form, or a message saying what is wrong."""
    form = request.form
    if action in (BatchAction.SET_FIELD, BatchAction.APPEND_FIELD):
        name = form.get("field", "")
        spec = SPECS.get(name)
        if spec is None:
            return {}, _("Choose a field.")
        if action is BatchAction.APPEND_FIELD and name in NUMERIC_FIELDS:
            return {}, _("That field holds a number: set it rather than append to it.")
        errors: dict[str, str] = {}
        value = _parse(spec, clean_text(form.get("value")), errors)
        if errors:
            return {}, _(errors[name])
        if name == "rights" and value and not RIGHTS_PATTERN.match(value):
            return {}, _("Use a Creative Commons or rightsstatements.org URI.")
        if action is BatchAction.APPEND_FIELD and not value:
            return {}, _("Give the text to append.")
        at_once = form.get("published_wares") == PUBLISH_AT_ONCE
        return {"field": name, "value": value, "publish_at_once": at_once}, None
    if action in (BatchAction.ADD_TO_COLLECTION, BatchAction.REMOVE_FROM_COLLECTION):
        collection_id = parse_id(form.get("collection", ""))
        collection = db_session().get(Collection, collection_id) if collection_id else None
        if collection is None:
            return {}, _("Choose a collection.")
        if action is BatchAction.ADD_TO_COLLECTION and not may_place(
            signed_in().permissions, Action.PUBLISH, collection.institution_id, collection.id
        ):
            # Wares are moved only into a collection this curator curates.
            return {}, _("Choose a collection.")
        return {"collection_id": collection_id}, None
    if action in (BatchAction.ADD_TO_SET, BatchAction.REMOVE_FROM_SET):
        chosen = form.get("set", "")
        allowed = owned_or_shared(WareSet, signed_in()).where(WareSet.id == (parse_id(chosen) or 0))
        if db_session().scalar(allowed) is None:
            return {}, _("Choose a set.")
        return {"set_id": int(chosen)}, None
    return {}, None


def enqueue(action: BatchAction, params: dict[str, Any], ware_ids: list[int]) -> BatchJob:
    """Queue a batch job for this account and start it in the background."""
    account = signed_in()
    job = BatchJob(
        user_id=account.id,
        action=action.value,
        params=params,
        ware_ids=ware_ids,
        total=len(ware_ids),
    )
    db_session().add(job)
    db_session().commit()
    # The real indexes are updated chunk by chunk; a test's own syncer once at the end.
    override = current_app.extensions.get(SYNC_KEY)
    batch_jobs.start(app_state(), job.id, None if override is None else index_syncer())
    return job


@curate.post("/batch")
@access(Rule.SCOPED_CURATOR)
def batch() -> Response | tuple[str, int]:
    """Start a batch action over the chosen wares; it runs in the background."""
    account = signed_in()
    filter_args = request.form.get("filter", "")[:2000]
    try:
        action = BatchAction(request.form.get("action", ""))
    except ValueError:
        action = BatchAction.UNDO
    if action is BatchAction.UNDO:
        flash(_("Choose what to do with the wares."), "error")
        return _back(filter_args)
    ware_ids = _selection(account, filter_args)
    if not ware_ids:
        flash(_("Choose at least one ware."), "error")
        return _back(filter_args)
    params, problem = _params(action)
    if problem is None:
        try:
            check_params(db_session(), action.value, params)
        except BatchRefused:
            problem = _("This batch cannot run as asked.")
    if problem is not None:
        flash(problem, "error")
        return _back(filter_args)
    if params.get("publish_at_once"):
        # Changing what the public sees on many wares at once is asked first (without
        # JavaScript too); the default keeps the change in each ware's working copy.
        asked = unconfirmed(
            _(
                "Publish this change at once? The public sees it on every chosen published "
                "ware as soon as the batch runs, without a working copy to check first. "
                "(It can be undone.)"
            ),
            _("Publish at once"),
            back=url_for("curate.dashboard") + (f"?{filter_args}" if filter_args else ""),
        )
        if asked:
            return asked
    params["filter"] = filter_args
    job = enqueue(action, params, ware_ids)
    flash(_("The batch is running in the background."))
    return redirect(url_for("curate.batch_job", job_id=job.id))


def _mine_unless_everywhere(query: Any) -> Any:
    """Curators everywhere see every batch; others their own (the wares were theirs)."""
    account = signed_in()
    return query if account.is_curator else query.where(BatchJob.user_id == account.id)


def _job_or_404(job_id: int) -> BatchJob:
    job = db_session().scalar(
        _mine_unless_everywhere(select(BatchJob).where(BatchJob.id == job_id))
    )
    if job is None:
        abort(404)
    return batch_jobs.settle(db_session(), job)


def job_state(job: BatchJob) -> dict[str, Any]:
    """What the progress page shows, as JSON for its script."""
    return {
        "id": job.id,
        "action": job.action,
        "status": job.status.value,
        "active": job.status in batch_jobs.ACTIVE,
        "total": job.total,
        "processed": job.processed,
        "changed": job.changed,
        "skipped": len(job.skipped or []),
        "undone_by": job.undone_by_id,
        "message": _(MESSAGES[job.message]) if job.message in MESSAGES else None,
    }


@curate.get("/batch/<int:job_id>")
@access(Rule.SCOPED_CURATOR)
def batch_job(job_id: int) -> str:
    """A batch's progress, what it changed and skipped, and its undo button."""
    job = _job_or_404(job_id)
    owner = db_session().get(User, job.user_id)
    skipped = [
        {**skip, "reason": _(SKIP_REASONS.get(skip.get("reason", ""), "skipped"))}
        for skip in (job.skipped or [])[:SKIPPED_SHOWN]
    ]
    return render_template(
        "curate/batch_job.html",
        job=job,
        state=job_state(job),
        owner=owner.email if owner else "",
        label=_(ACTION_LABELS[BatchAction(job.action)]),
        detail=_detail(job),
        skipped=skipped,
        # Field edits kept in working copies are published from the list of such wares.
        in_copies=job.action in (BatchAction.SET_FIELD.value, BatchAction.APPEND_FIELD.value)
        and not (job.params or {}).get("publish_at_once"),
        undoable=job.status is BatchStatus.FINISHED
        and job.action != BatchAction.UNDO.value
        and job.undone_by_id is None
        and job.changed > 0,
    )


def _detail(job: BatchJob) -> str:
    params = job.params or {}
    if "field" in params:
        spec = SPECS.get(params["field"])
        label = _(spec.label) if spec else params["field"]
        value = params.get("value")
        where = (
            _("published at once")
            if params.get("publish_at_once")
            else _("published wares: in their working copies")
        )
        return f"{label}: {'' if value is None else value} ({where})"
    if params.get("collection_id"):
        collection = db_session().get(Collection, params["collection_id"])
        return collection.name if collection else ""
    if params.get("set_id"):
        chosen = db_session().get(WareSet, params["set_id"])
        return chosen.name if chosen else ""
    if params.get("job_id"):
        return _("batch {id}", id=params["job_id"])
    return ""


@curate.get("/batch/<int:job_id>/status")
@access(Rule.SCOPED_CURATOR)
def batch_status(job_id: int) -> Response:
    """The progress as JSON (the progress page polls it)."""
    return jsonify(job_state(_job_or_404(job_id)))


@curate.post("/batch/<int:job_id>/undo")
@access(Rule.SCOPED_CURATOR)
def undo_batch(job_id: int) -> Response:
    """Undo a finished batch as one unit: each ware back as it was, unless changed since."""
    job = _job_or_404(job_id)
    try:
        check_params(db_session(), BatchAction.UNDO.value, {"job_id": job.id})
    except BatchRefused:
        flash(_("This batch cannot be undone (it is an undo, or was undone already)."), "error")
        return redirect(url_for("curate.batch_job", job_id=job.id))
    if job.status in batch_jobs.ACTIVE:
        flash(_("Wait for the batch to finish before undoing it."), "error")
        return redirect(url_for("curate.batch_job", job_id=job.id))
    undo = enqueue(BatchAction.UNDO, {"job_id": job.id}, [])
    undo.total = job.changed
    db_session().commit()
    flash(_("Undoing the batch."))
    return redirect(url_for("curate.batch_job", job_id=undo.id))


@curate.get("/batches")
@access(Rule.SCOPED_CURATOR)
def batches() -> str:
    """The latest batch jobs, newest first."""
    latest = _mine_unless_everywhere(select(BatchJob).order_by(BatchJob.id.desc()).limit(100))
    jobs = list(db_session().scalars(latest))
    return render_template(
        "curate/batches.html",
        jobs=[batch_jobs.settle(db_session(), job) for job in jobs],
        labels={action.value: _(label) for action, label in ACTION_LABELS.items()},
    )


def _owned(model: type[SavedSearch] | type[WareSet], item_id: int) -> Any:
    item = db_session().get(model, item_id)
    account = signed_in()
    if (
        item is None
        or db_session().scalar(owned_or_shared(model, account).where(model.id == item_id)) is None
    ):
        abort(404)
    if item.owner_id != account.id:
        abort(403)
    return item


def _name_and_sharing() -> tuple[str, bool, str | None]:
    name = clean_text(request.form.get("name"))[:200]
    if not name:
        return "", False, _("Give it a name.")
    return name, request.form.get("shared") == "1", None


@curate.post("/searches")
@access(Rule.SIGNED_IN)
def save_search() -> Response:
    """Save the list's current filters under a name, private or shared with the institution."""
    account = signed_in()
    filter_args = request.form.get("filter", "")[:2000]
    name, shared, problem = _name_and_sharing()
    if problem:
        flash(problem, "error")
        return _back(filter_args)
    db_session().add(
        SavedSearch(
            name=name,
            owner_id=account.id,
            institution_id=account.institution_id,
            shared=shared and account.institution_id is not None,
            query=filter_args,
        )
    )
    db_session().commit()
    flash(_("Search saved."))
    return _back(filter_args)


@curate.post("/searches/<int:search_id>/delete")
@access(Rule.SIGNED_IN)
def delete_search(search_id: int) -> Response:
    """Forget a saved search (only its owner may)."""
    db_session().delete(_owned(SavedSearch, search_id))
    db_session().commit()
    flash(_("Saved search removed."))
    return redirect(url_for("curate.dashboard"))


@curate.get("/sets")
@access(Rule.SCOPED_CURATOR)
def sets() -> str:
    """The named sets this curator may use, with how many wares each holds."""
    account = signed_in()
    rows = db_session().execute(
        owned_or_shared(WareSet, account)
        .add_columns(func.count(WareSetMember.id))
        .outerjoin(WareSetMember, WareSetMember.set_id == WareSet.id)
        .group_by(WareSet.id)
        .order_by(WareSet.name)
    )
    return render_template("curate/sets.html", rows=list(rows), me=account.id)


@curate.post("/sets")
@access(Rule.SCOPED_CURATOR)
def new_set() -> Response:
    """Make a named set, private or shared with the institution."""
    account = signed_in()
    name, shared, problem = _name_and_sharing()
    if problem:
        flash(problem, "error")
        return redirect(url_for("curate.sets"))
    db_session().add(
        WareSet(
            name=name,
            owner_id=account.id,
            institution_id=account.institution_id,
            shared=shared and account.institution_id is not None,
        )
    )
    db_session().commit()
    flash(_("Set made: add wares to it from the wares list."))
    return redirect(url_for("curate.sets"))


@curate.post("/sets/<int:set_id>/delete")
@access(Rule.SCOPED_CURATOR)
def delete_set(set_id: int) -> Response:
    """Remove a set (its wares stay as they are); only its owner may."""
    db_session().delete(_owned(WareSet, set_id))
    db_session().commit()
    flash(_("Set removed; its wares are unchanged."))
    return redirect(url_for("curate.sets"))
