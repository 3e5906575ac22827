"""A ware's history: every audit event as a readable diff, and restoring an earlier version."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, send_file, url_for
from werkzeug.wrappers import Response

from archive.editing import EditRefused, ware_history
from archive.models import AuditEvent, Ware, WareStatus
from archive.pending_photos import record_entries
from archive.restoring import restorable_version, restore_version, version_entries
from archive.working_copies import (
    copy_history,
    restore_into_copy,
    undo_copy_restore,
    working_copy,
)
from web.auth import Rule, access
from web.curate.access import actor, can_edit, editable_ware, signed_in, visible_ware
from web.curate.blueprint import curate
from web.curate.forms import FIELDS, WareForm, typed_version
from web.curate.indexing import sync_wares
from web.curate.safety import offer_undo, unconfirmed
from web.curate.wares import collection_for, maker_for
from web.views.context import app_state, db_session
from web.views.formatting import translate as _

LABELS = {spec.name: spec.label for spec in FIELDS} | {
    "accession_number": "Accession number",
    "collection": "Collection",
    "makers": "Makers",
    "photographs": "Photographs (view and digest)",
    "photograph_details": "Photographs (turn, crop, captions, rights)",
    "status": "Status",
    "deleted": "Deleted",
    "set": "Named set",
}
ACTIONS = {
    "create": "Created",
    "update": "Edited",
    "submit": "Submitted for review",
    "publish": "Published",
    "return_to_draft": "Returned to draft",
    "reject": "Rejected",
    "delete": "Deleted",
    "restore": "Restored from the deleted list",
    "restore_version": "Earlier version restored",
    "add_photograph": "Photograph added",
    "remove_photograph": "Photograph removed",
    "arrange_photographs": "Photographs arranged",
    "show_photograph": "Photograph turned or cropped",
    "batch_set_field": "Field set by a batch",
    "batch_append_field": "Field appended to by a batch",
    "batch_add_to_collection": "Added to a collection by a batch",
    "batch_remove_from_collection": "Removed from a collection by a batch",
    "batch_add_to_set": "Added to a set by a batch",
    "batch_remove_from_set": "Removed from a set by a batch",
    "batch_publish": "Published by a batch",
    "batch_unpublish": "Unpublished by a batch",
    "batch_send_to_review": "Sent to review by a batch",
    "batch_delete": "Deleted by a batch",
    "batch_undo": "Batch undone",
    "batch_copy_set_field": "Field set in the working copy by a batch (not public yet)",
    "batch_copy_append_field": "Field appended to in the working copy by a batch (not public yet)",
    "batch_publish_changes": "Working copy published by a batch",
    "undo_remove_photograph": "Photograph removal undone",
    "publish_working_copy": "Working copy published",
    "save_working_copy": "Working copy saved (not public yet)",
    "discard_working_copy": "Working copy discarded",
    "undo_discard_working_copy": "Discarded working copy brought back",
    "copy_add_photograph": "Photograph added to the working copy (not public yet)",
    "copy_remove_photograph": "Photograph removed in the working copy (not public yet)",
    "copy_arrange_photographs": "Photographs arranged in the working copy (not public yet)",
    "copy_show_photograph": "Photograph turned or cropped in the working copy (not public yet)",
    "copy_undo_remove_photograph": "Photograph put back in the working copy",
    "copy_restore_version": "Earlier version restored into the working copy (not public yet)",
    "undo_copy_restore_version": "Restore into the working copy undone",
    "maker_merge": "Makers merged",
    "maker_merge_undone": "Maker merge undone",
    "hold": "Held for review: a photograph copies another ware's",
    "release_hold": "Hold for a copied photograph ended by the review",
    "undo_review_decision": "Review decision undone: back in the review queue",
}


@dataclass(frozen=True)
class FieldChange:
    """One field's value before and after an event, as text to show; for photographs, the
    digests (first 12 hex digits) whose thumbnails show them too."""

    label: str
    before: str
    after: str
    before_photos: tuple[str, ...] = ()
    after_photos: tuple[str, ...] = ()


# Snapshot keys that list photographs, and the digest prefixes that show each entry: the
# derivative shown then ("image" once turned or cropped), else the original's.
PHOTO_KEYS = ("photographs", "photograph_details")
_DIGEST = re.compile(r"\b[0-9a-f]{12}\b")
PHOTO_DETAIL_LABELS = {
    "rotation": "turned (degrees)",
    "crop": "cropped to",
    "caption_en": "caption (English)",
    "caption_zh": "caption (Chinese)",
    "alt_en": "alt text (English)",
    "alt_zh": "alt text (Chinese)",
    "photographer": "photographer",
    "licence": "licence",
    "attribution": "credit line",
}


def photo_digests(value: Any) -> tuple[str, ...]:
    """The digest prefixes a snapshot's photograph entries name, one per photograph."""
    found: list[str] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            digest = item.get("image") or item.get("photo")
            if isinstance(digest, str) and _DIGEST.fullmatch(digest):
                found.append(digest)
        elif isinstance(item, str) and (match := _DIGEST.search(item)):
            found.append(match.group(0))
    return tuple(found)


def shown(value: Any) -> str:
    """A snapshot value as a reader would write it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                described = ", ".join(
                    f"{_(label)}: {item[key]}"
                    for key, label in PHOTO_DETAIL_LABELS.items()
                    if item.get(key)
                )
                parts.append(f"{item.get('photo', '')}" + (f" ({described})" if described else ""))
            elif isinstance(item, list):
                name, role, qualifier = [*item, None, None, None][:3]
                extra = ", ".join(part for part in (role, qualifier) if part)
                parts.append(f"{name} ({extra})" if extra else str(name))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(value)


def changes_of(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[FieldChange]:
    """The fields an event changed, labelled, in the form's order."""
    before, after = before or {}, after or {}
    keys = [key for key in LABELS if key in before or key in after]
    if before and after:
        # A whole snapshot taken before photographs had details (a review's last one) is no
        # change of them: an event's before and after always hold the same keys.
        keys = [
            key for key in keys if key != "photograph_details" or (key in before) == (key in after)
        ]
    return [
        FieldChange(
            _(LABELS[key]),
            shown(before.get(key)),
            shown(after.get(key)),
            photo_digests(before.get(key)) if key in PHOTO_KEYS else (),
            photo_digests(after.get(key)) if key in PHOTO_KEYS else (),
        )
        for key in keys
        if before.get(key) != after.get(key)
    ]


def describe(event: AuditEvent) -> str:
    """The event's action in words."""
    return _(ACTIONS.get(event.action, event.action.replace("_", " ").capitalize()))


@curate.get("/wares/<int:ware_id>/history")
@access(Rule.SIGNED_IN)
def history(ware_id: int) -> str:
    """Every change to the ware, newest first, each with a restore button."""
    ware = visible_ware(ware_id)
    editable = can_edit(signed_in(), ware)
    events = ware_history(db_session(), ware.id)
    # The record's events can be restored; the working copy's own (shown to those who may edit
    # it) tell its story between publications.
    restorable = {event.id for event in events[:-1]}
    if editable:
        events = sorted([*events, *copy_history(db_session(), ware.id)], key=lambda e: (e.at, e.id))
    return render_template(
        "curate/history.html",
        ware=ware,
        entries=[
            (event, describe(event), changes_of(event.before, event.after))
            for event in reversed(events)
        ],
        restorable=restorable,
        editable=editable,
        # A public ware's version is restored into its working copy (asked in those words).
        public=ware.status is WareStatus.PUBLISHED and ware.deleted_at is None,
    )


@curate.get("/wares/<int:ware_id>/history/photos/<digest>.jpg")
@access(Rule.SIGNED_IN)
def history_photo(ware_id: int, digest: str) -> Response:
    """The thumbnail of a photograph as the ware's history names it (by the first 12 digits of
    its digest), even one since removed or shown otherwise: the store keeps every derivative.
    Only a digest this ware's own history or photographs name is served (and, to those who may
    edit it, its working copy's: a photograph waiting there is not public)."""
    ware = visible_ware(ware_id)
    if not _DIGEST.fullmatch(digest):
        abort(404)
    # What names photographs: the ware's events, and for those who may edit it the working
    # copy's events and the photographs waiting in it.
    texts: list[Any] = [
        [event.before, event.after] for event in ware_history(db_session(), ware.id)
    ]
    if can_edit(signed_in(), ware):
        texts += [[event.before, event.after] for event in copy_history(db_session(), ware.id)]
        draft = working_copy(db_session(), ware.id)
        texts.append(None if draft is None else draft.photographs)
    named = any(
        photo.sha256.startswith(digest) or photo.image_key.startswith(digest)
        for photo in ware.photographs
    ) or any(digest in json.dumps(text) for text in texts)
    if not named:
        abort(404)
    folder = app_state().store.root / "derived" / "thumb" / digest[:2] / digest[2:4]
    found = sorted(folder.glob(f"{digest}*.jpg")) if folder.is_dir() else []
    if not found:
        abort(404)
    return send_file(found[0], mimetype="image/jpeg", max_age=0)


@curate.post("/wares/<int:ware_id>/history/<int:event_id>/restore")
@access(Rule.SIGNED_IN)
def restore_to(ware_id: int, event_id: int) -> Response | tuple[str, int]:
    """Bring back the record and its photographs as they were right after ``event_id`` (asked
    first; nothing is lost, and the Undo offered after goes back). A public ware's version
    goes into its working copy, so the public keeps the published version until the changes
    are published; any other ware's is restored into the record at once."""
    ware = editable_ware(ware_id)
    public = ware.status is WareStatus.PUBLISHED and ware.deleted_at is None
    asked = unconfirmed(
        _(
            "Restore the record and photographs as they were then into the working copy? The "
            "public keeps the published version until you publish the changes."
        )
        if public
        else _(
            "Restore the record and photographs as they were then? The current version stays "
            "in the history."
        ),
        _("Restore"),
        back=url_for("curate.history", ware_id=ware.id),
    )
    if asked:
        return asked
    try:
        if public:
            return _restore_into_copy(ware, event_id)
        return _restore_into_record(ware, event_id)
    except EditRefused as refusal:
        db_session().rollback()
        flash(str(refusal), "error")
        return redirect(url_for("curate.history", ware_id=ware.id))


def _restore_into_record(ware: Ware, event_id: int) -> Response:
    # The version before this restore, for its Undo.
    previous = ware_history(db_session(), ware.id)
    email, user_id = actor()
    changed = restore_version(
        db_session(),
        ware,
        event_id,
        maker_for=maker_for,
        collection_for=lambda name: collection_for(ware.institution, name),
        actor=email,
        user_id=user_id,
        store=app_state().store,
    )
    db_session().commit()
    if changed:
        sync_wares(db_session(), [ware.id])
        if previous:
            offer_undo(
                _("An earlier version was restored."),
                "curate.restore_to",
                ware_id=ware.id,
                event_id=previous[-1].id,
            )
    flash(_("Earlier version restored.") if changed else _("That version is the current one."))
    return redirect(url_for("curate.history", ware_id=ware.id))


def _restore_into_copy(ware: Ware, event_id: int) -> Response:
    session = db_session()
    version = restorable_version(session, ware, event_id)
    current = WareForm.of_ware(ware).typed()
    email, user_id = actor()
    event = restore_into_copy(
        session,
        ware.id,
        typed_version(version, current),
        version_entries(session, ware, version, app_state().store),
        current=current,
        record=record_entries(ware),
        version_event_id=event_id,
        actor=email,
        user_id=user_id,
    )
    session.commit()
    if event is None:
        flash(_("The working copy already shows that version."))
        return redirect(url_for("curate.history", ware_id=ware.id))
    offer_undo(
        _("An earlier version was restored into the working copy."),
        "curate.undo_restore_into_copy",
        ware_id=ware.id,
        event_id=event.id,
    )
    flash(
        _(
            "Earlier version restored into the working copy. The public still sees the "
            "published version until you publish the changes."
        )
    )
    return redirect(url_for("curate.ware", ware_id=ware.id))


@curate.post("/wares/<int:ware_id>/working-copy/undo-restore/<int:event_id>")
@access(Rule.SIGNED_IN)
def undo_restore_into_copy(ware_id: int, event_id: int) -> Response:
    """Put the working copy back as it was before a restore (unless it changed since)."""
    ware = editable_ware(ware_id)
    email, user_id = actor()
    undone = undo_copy_restore(db_session(), ware.id, event_id, actor=email, user_id=user_id)
    db_session().commit()
    if undone:
        flash(_("The working copy is back as it was before the restore."))
    else:
        flash(
            _("The restore cannot be undone: the working copy changed or was published since."),
            "error",
        )
    return redirect(url_for("curate.ware", ware_id=ware.id))
