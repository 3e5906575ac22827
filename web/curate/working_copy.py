"""A ware's working copy on the curating pages: autosave while typing, compare with the public
version, publish (or, for a ware not yet public, apply) the changes, discard them and undo a
discard. The copy itself is ``archive.working_copies``."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archive.curation import WareDraft
from archive.editing import full_snapshot
from archive.models import Ware, WareStatus
from archive.pending_photos import entries_snapshot
from archive.working_copies import discard_working_copy, undo_discard, working_copy
from web.auth import Rule, access
from web.curate.access import actor, editable_ware
from web.curate.blueprint import curate
from web.curate.dating import fill_years
from web.curate.forms import WareForm, read_form, typed_data
from web.curate.history import FieldChange, changes_of
from web.curate.safety import offer_undo, unconfirmed
from web.curate.wares import apply_form, form_page, keep_in_working_copy
from web.views.context import db_session
from web.views.formatting import translate as _


def _current(item: Ware) -> dict[str, Any]:
    return WareForm.of_ware(item).typed()


def proposed_form(item: Ware) -> WareForm | None:
    """The working copy on top of the record now, read and checked as the form would be."""
    draft = working_copy(db_session(), item.id)
    if draft is None:
        return None
    form = read_form(typed_data(draft.merged_onto(_current(item))))
    form.institution = item.institution.name
    return form


def _proposed_snapshot(item: Ware, form: WareForm) -> dict[str, Any]:
    # The snapshot's shape, so the history's diff shows what publishing would change.
    return {
        **form.fields,
        "accession_number": form.accession_number,
        "collection": form.collection or None,
        "makers": [[row.name, row.role, row.qualifier or None] for row in form.makers],
    }


def _changes(item: Ware, form: WareForm, draft: WareDraft) -> list[FieldChange]:
    """What publishing would change, field by field and in the photographs (the record's
    status is not in a working copy)."""
    proposed = _proposed_snapshot(item, form)
    if draft.photographs is not None:
        proposed.update(entries_snapshot(draft.photographs))
    record = full_snapshot(item)
    return changes_of({key: record.get(key) for key in proposed}, proposed)


@curate.post("/wares/<int:ware_id>/working-copy")
@access(Rule.SIGNED_IN)
def autosave(ware_id: int) -> tuple[Response, int]:
    """Keep the form as typed so far (called by the form's script as the curator types; the
    form need not be valid yet). Answers JSON: whether anything is pending, and a status line."""
    item = editable_ware(ware_id)
    if item.deleted_at is not None:
        return jsonify(saved=False, message=_("A deleted ware cannot be edited.")), 409
    draft = keep_in_working_copy(item, read_form(request.form), audited=False)
    if draft is None:
        return jsonify(saved=True, pending=0, message=_("No changes to save.")), 200
    return jsonify(
        saved=True,
        pending=len(draft.pending()),
        at=draft.updated_at.isoformat(),
        message=_("Draft saved at {time}.", time=draft.updated_at.strftime("%H:%M:%S")),
    ), 200


@curate.get("/wares/<int:ware_id>/working-copy/compare")
@access(Rule.SIGNED_IN)
def compare_working_copy(ware_id: int) -> str | Response:
    """The working copy beside the record (the public version, for a published ware)."""
    item = editable_ware(ware_id)
    form = proposed_form(item)
    draft = working_copy(db_session(), item.id)
    if form is None or draft is None:
        flash(_("There are no unpublished changes."))
        return redirect(url_for("curate.ware", ware_id=item.id))
    return render_template(
        "curate/working_copy.html",
        ware=item,
        draft=draft,
        changes=_changes(item, form, draft),
        errors=form.errors,
        public=item.status is WareStatus.PUBLISHED and item.deleted_at is None,
    )


@curate.post("/wares/<int:ware_id>/working-copy/publish")
@access(Rule.SIGNED_IN)
def publish_working_copy(ware_id: int) -> Response | tuple[str, int]:
    """Write the working copy into the record in one step (audited as one history entry) and
    update the public doors; for a ware not yet public this simply applies the changes."""
    item = editable_ware(ware_id)
    form = proposed_form(item)
    if form is None:
        flash(_("There are no unpublished changes."))
        return redirect(url_for("curate.ware", ware_id=item.id))
    dated = fill_years(form)
    if form.errors:
        flash(_("The working copy cannot be published yet: correct the marked fields."), "error")
        return form_page(form, item, 422)
    draft = working_copy(db_session(), item.id)
    photographs = None if draft is None else draft.photographs
    return apply_form(item, form, dated, action="publish_working_copy", photographs=photographs)


@curate.post("/wares/<int:ware_id>/working-copy/discard")
@access(Rule.SIGNED_IN)
def discard_changes(ware_id: int) -> Response | tuple[str, int]:
    """Throw the working copy away (asked first; undone with the Undo offered after)."""
    item = editable_ware(ware_id)
    asked = unconfirmed(
        _("Discard the unpublished changes to {title}?", title=item.title),
        _("Discard changes"),
        back=url_for("curate.ware", ware_id=item.id),
    )
    if asked:
        return asked
    email, user_id = actor()
    event = discard_working_copy(db_session(), item.id, actor=email, user_id=user_id)
    db_session().commit()
    if event is None:
        flash(_("There are no unpublished changes."))
    else:
        flash(_("Changes discarded."))
        offer_undo(
            _("The unpublished changes were discarded."),
            "curate.undo_discard_changes",
            ware_id=item.id,
            event_id=event.id,
        )
    return redirect(url_for("curate.ware", ware_id=item.id))


@curate.post("/wares/<int:ware_id>/working-copy/undo-discard/<int:event_id>")
@access(Rule.SIGNED_IN)
def undo_discard_changes(ware_id: int, event_id: int) -> Response:
    """Bring back a discarded working copy (unless a new one was started since)."""
    item = editable_ware(ware_id)
    email, user_id = actor()
    draft = undo_discard(db_session(), item.id, event_id, actor=email, user_id=user_id)
    db_session().commit()
    if draft is None:
        flash(_("Those changes cannot be brought back: a newer working copy exists."), "error")
    else:
        flash(_("The discarded changes are back in the working copy."))
    return redirect(url_for("curate.ware", ware_id=item.id))
