"""A ware's curating page: create, edit, submit, publish, delete, restore."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from archive.catalogue import get_or_create_collection, get_or_create_maker
from archive.curation import ReviewDecision, ReviewNote, WareDraft
from archive.editing import (
    EditRefused,
    create_ware,
    edit_ware,
    full_snapshot,
    set_status,
    soft_delete,
    undelete,
)
from archive.grants import Action, may_place
from archive.models import Collection, Institution, Maker, Photograph, Ware, WareStatus
from archive.store import StoredImage
from archive.working_copies import drop_working_copy, save_working_copy, working_copy
from ingest.normalise.makers import maker_key
from web.auth import Rule, access
from web.auth.accounts import LOCAL_DRAFT_PREFIX
from web.curate.access import (
    actor,
    can_edit,
    contributable_institutions,
    curated_ware,
    editable_ware,
    signed_in,
    visible_ware,
)
from web.curate.blueprint import curate
from web.curate.copy_photos import copy_photos, in_working_copy
from web.curate.dating import fill_years
from web.curate.forms import COMMON_RIGHTS, FIELDS, MAKER_ROLES, WareForm, credits_of, read_form
from web.curate.holding import check_new_photographs
from web.curate.indexing import sync_wares
from web.curate.makers import SUGGESTED_FIELDS
from web.curate.safety import offer_undo, unconfirmed
from web.views.context import app_state, db_session
from web.views.formatting import translate as _


def maker_for(name: str) -> Maker:
    """The maker of this name, merged with its spelling variants as ingest does."""
    return get_or_create_maker(db_session(), name, maker_key(name))


def collection_for(institution: Institution, name: str) -> Collection | None:
    """The named collection of ``institution`` (created on first use), or None for none."""
    return get_or_create_collection(db_session(), institution, name) if name else None


# The session's note that the new-ware form was saved as this ware: its page then has the
# browser forget the form it kept.
NEW_WARE_CREATED = "new_ware_created"


def form_page(form: WareForm, ware: Ware | None, status: int = 200) -> tuple[str, int]:
    notes = []
    if ware is not None:
        notes = list(
            db_session().scalars(
                select(ReviewNote)
                .where(ReviewNote.ware_id == ware.id)
                .order_by(ReviewNote.created_at, ReviewNote.id)
            )
        )
    account = signed_in()
    editable = ware is None or can_edit(account, ware)
    draft = working_copy(db_session(), ware.id) if ware is not None and editable else None
    page = render_template(
        "curate/ware.html",
        form=form,
        ware=ware,
        notes=notes,
        editable=editable,
        curatable=ware is not None and account.may(Action.PUBLISH, ware),
        specs=FIELDS,
        roles=MAKER_ROLES,
        rights_choices=COMMON_RIGHTS,
        institutions=contributable_institutions(),
        views=("front", "base", "mark", "detail", "other"),
        suggested=SUGGESTED_FIELDS,
        draft=draft,
        # The new-ware form is kept in the browser as it is typed (web/static/safe_edits.js),
        # per account; the page after a creation tells the browser to forget it.
        local_draft_key=f"{LOCAL_DRAFT_PREFIX}{account.id}",
        local_draft_saved=ware is not None and session.pop(NEW_WARE_CREATED, None) == ware.id,
        copy_photos=copy_photos(ware, draft) if ware is not None else ([], []),
        photos_in_copy=ware is not None and editable and in_working_copy(ware),
    )
    return page, status


def _chosen_institution(form: WareForm) -> Institution | None:
    """The institution named in the form if the account may add wares to it; with a single
    choice (a partner's own institution) that one, whatever the form says."""
    allowed = contributable_institutions()
    if len(allowed) == 1:
        return allowed[0]
    return next((item for item in allowed if item.name == form.institution), None)


def _placeable(ware: Ware, collection: Collection | None) -> bool:
    """Whether this account may still change ``ware`` once it is in ``collection``: a
    collection's curator cannot move a ware out of their reach, nor into another's."""
    action = Action.PUBLISH if ware.status is WareStatus.PUBLISHED else Action.EDIT
    target = collection.id if collection is not None else None
    return may_place(signed_in().permissions, action, ware.institution_id, target)


@curate.route("/wares/new", methods=["GET", "POST"])
@access(Rule.SIGNED_IN)
def new_ware() -> Response | tuple[str, int]:
    """A blank ware form; saving creates a draft."""
    account = signed_in()
    if request.method == "GET":
        return form_page(WareForm(institution=account.institution_name or ""), None)
    form = read_form(request.form)
    dated = fill_years(form)
    institution = _chosen_institution(form)
    if institution is None:
        form.errors["institution"] = _("Choose one of the institutions.")
    if form.errors:
        return form_page(form, None, 422)
    assert institution is not None
    email, user_id = actor()
    try:
        ware = create_ware(
            db_session(),
            institution=institution,
            accession_number=form.accession_number,
            fields=form.fields,
            makers=credits_of(form.makers, maker_for),
            collection=collection_for(institution, form.collection),
            actor=email,
            user_id=user_id,
        )
    except EditRefused as refusal:
        db_session().rollback()
        form.errors["accession_number"] = str(refusal)
        return form_page(form, None, 422)
    db_session().commit()
    if dated:
        flash(*dated)
    flash(_("Saved as a draft. Add photographs, then submit or publish it."))
    session[NEW_WARE_CREATED] = ware.id
    return redirect(url_for("curate.ware", ware_id=ware.id))


@curate.get("/wares/<int:ware_id>")
@access(Rule.SIGNED_IN)
def ware(ware_id: int) -> tuple[str, int]:
    """A ware's curating page: its form (showing the working copy, if there is one), its
    photographs, status actions and review comments."""
    item = visible_ware(ware_id)
    form = WareForm.of_ware(item)
    if can_edit(signed_in(), item):
        draft = working_copy(db_session(), item.id)
        if draft is not None:
            form = WareForm.of_typed(draft.merged_onto(form.typed()), item.institution.name)
    return form_page(form, item)


@curate.post("/wares/<int:ware_id>")
@access(Rule.SIGNED_IN)
def save_ware(ware_id: int) -> Response | tuple[str, int]:
    """Save the edited record: into the working copy while the ware is published (the public
    keeps the published version until the changes are published), else into the record."""
    item = editable_ware(ware_id)
    form = read_form(request.form)
    dated = fill_years(form)
    form.institution = item.institution.name
    if form.errors:
        return form_page(form, item, 422)
    if item.status is WareStatus.PUBLISHED:
        if not _placeable(item, collection_for(item.institution, form.collection)):
            db_session().rollback()
            form.errors["collection"] = _("You may not move this ware to that collection.")
            return form_page(form, item, 422)
        kept = keep_in_working_copy(item, form, audited=True)
        if dated:
            flash(*dated)
        flash(
            _(
                "Saved in the working copy. The public still sees the published version "
                "until you publish the changes."
            )
            if kept
            else _("Nothing had changed.")
        )
        return redirect(url_for("curate.ware", ware_id=item.id))
    return apply_form(item, form, dated, action="update")


def _stored_images(photos: list[Photograph]) -> list[tuple[str, StoredImage]]:
    """The store's reading of these photographs' originals (their hashes in every
    orientation), labelled as the curator knows them."""
    found = []
    for photo in photos:
        stored = app_state().store.find(photo.sha256)
        if stored is not None:
            found.append((photo.original_filename or photo.sha256[:12], stored))
    return found


def keep_in_working_copy(item: Ware, form: WareForm, *, audited: bool) -> WareDraft | None:
    """Save the form as typed into the ware's working copy and commit; returns the copy (None
    when nothing differs from the record)."""
    email, user_id = actor()
    for attempt in (1, 2):
        try:
            draft = save_working_copy(
                db_session(),
                item.id,
                form.typed(),
                current=WareForm.of_ware(item).typed(),
                actor=email,
                user_id=user_id,
                audited=audited,
            )
            db_session().commit()
            return draft
        except IntegrityError:
            # Another tab or curator began the ware's copy at the same moment: save onto it.
            db_session().rollback()
            if attempt == 2:
                raise
    return None


def apply_form(
    item: Ware,
    form: WareForm,
    dated: tuple[str, str] | None,
    *,
    action: str,
    photographs: list[dict[str, Any]] | None = None,
) -> Response | tuple[str, int]:
    """Write a checked form into the ware's record (its working copy is then used up), index
    the change and go back to the ware; the form again, marked, when it cannot be saved.
    ``photographs`` (a working copy's) become the ware's in the same change."""
    email, user_id = actor()
    had = {photo.sha256 for photo in item.photographs}
    collection = collection_for(item.institution, form.collection)
    if not _placeable(item, collection):
        db_session().rollback()
        form.errors["collection"] = _("You may not move this ware to that collection.")
        return form_page(form, item, 422)
    try:
        changed = edit_ware(
            db_session(),
            item,
            accession_number=form.accession_number,
            fields=form.fields,
            makers=credits_of(form.makers, maker_for),
            collection=collection,
            actor=email,
            user_id=user_id,
            action=action,
            photographs=photographs,
            store=app_state().store,
        )
    except EditRefused as refusal:
        db_session().rollback()
        form.errors["accession_number"] = str(refusal)
        return form_page(form, item, 422)
    drop_working_copy(db_session(), item.id)
    # Photographs the copy added are checked for copies of other wares' as any new one is,
    # before the commit (a ware no longer public is held, never published for a moment).
    added = [photo for photo in item.photographs if photo.sha256 not in had]
    copies = check_new_photographs(item, _stored_images(added), actor=email, user_id=user_id)
    db_session().commit()
    for message, _held in copies:
        flash(message, "warning")
    if changed:
        sync_wares(db_session(), [item.id])
    if dated:
        flash(*dated)
    if action == "update":
        flash(_("Saved.") if changed else _("Nothing had changed."))
    elif item.status is WareStatus.PUBLISHED:
        flash(_("Changes published.") if changed else _("Nothing had changed."))
    else:
        flash(_("Changes applied.") if changed else _("Nothing had changed."))
    return redirect(url_for("curate.ware", ware_id=item.id))


def _change_status(item: Ware, status: WareStatus, done: str) -> Response:
    if item.deleted_at is not None:
        abort(409)
    email, user_id = actor()
    try:
        set_status(db_session(), item, status, actor=email, user_id=user_id)
    except EditRefused as refusal:
        db_session().rollback()
        flash(str(refusal), "error")
        return redirect(url_for("curate.ware", ware_id=item.id))
    if status is WareStatus.SUBMITTED:
        db_session().add(
            ReviewNote(
                ware_id=item.id,
                user_id=user_id,
                actor=email,
                decision=ReviewDecision.SUBMITTED,
                snapshot=full_snapshot(item),
            )
        )
    db_session().commit()
    sync_wares(db_session(), [item.id])
    flash(done)
    return redirect(url_for("curate.ware", ware_id=item.id))


@curate.post("/wares/<int:ware_id>/submit")
@access(Rule.SIGNED_IN)
def submit(ware_id: int) -> Response:
    """Send a draft (or a rejected ware, after changes) to the review queue."""
    item = editable_ware(ware_id)
    if item.status not in (WareStatus.DRAFT, WareStatus.REJECTED):
        abort(409)
    return _change_status(item, WareStatus.SUBMITTED, _("Submitted for review."))


@curate.post("/wares/<int:ware_id>/publish")
@access(Rule.SCOPED_CURATOR)
def publish(ware_id: int) -> Response:
    """Publish the ware (it needs a rights statement)."""
    return _change_status(curated_ware(ware_id), WareStatus.PUBLISHED, _("Published."))


@curate.post("/wares/<int:ware_id>/unpublish")
@access(Rule.SCOPED_CURATOR)
def unpublish(ware_id: int) -> Response | tuple[str, int]:
    """Take the ware off the public site, back to draft (asked first; Publish undoes it)."""
    ware = curated_ware(ware_id)
    asked = unconfirmed(
        _("Take this ware off the public site? It becomes a draft again."),
        _("Unpublish"),
        back=url_for("curate.ware", ware_id=ware_id),
    )
    if asked:
        return asked
    answer = _change_status(ware, WareStatus.DRAFT, _("Unpublished: it is a draft again."))
    offer_undo(_("The ware was unpublished."), "curate.publish", ware_id=ware_id)
    return answer


@curate.post("/wares/<int:ware_id>/delete")
@access(Rule.SIGNED_IN)
def delete(ware_id: int) -> Response | tuple[str, int]:
    """Soft-delete the ware (asked first): hidden everywhere, restorable from the deleted list
    and undone at once with the Undo offered on the next page."""
    item = editable_ware(ware_id)
    asked = unconfirmed(
        _(
            "Delete {title}? It leaves the public site and every list; it can be restored.",
            title=item.title,
        ),
        _("Delete"),
        back=url_for("curate.ware", ware_id=item.id),
    )
    if asked:
        return asked
    email, user_id = actor()
    soft_delete(db_session(), item, actor=email, user_id=user_id)
    db_session().commit()
    sync_wares(db_session(), [item.id])
    flash(_("Deleted. It can be restored from the list of deleted wares."))
    offer_undo(_("{title} was deleted.", title=item.title), "curate.restore", ware_id=item.id)
    return redirect(url_for("curate.dashboard", status="deleted"))


@curate.post("/wares/<int:ware_id>/restore")
@access(Rule.SIGNED_IN)
def restore(ware_id: int) -> Response:
    """Bring a soft-deleted ware back."""
    item = editable_ware(ware_id)
    email, user_id = actor()
    undelete(db_session(), item, actor=email, user_id=user_id)
    db_session().commit()
    sync_wares(db_session(), [item.id])
    flash(_("Restored."))
    return redirect(url_for("curate.ware", ware_id=item.id))
