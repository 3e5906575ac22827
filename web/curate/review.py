"""The review queue: curators see each submission with its key fields, its photographs, the
photographs it was held for (side by side with the ones they copy, ``archive.holds``), other
near-duplicates across the archive and what changed since the last review, then approve,
reject or ask for changes from the list."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from archive.curation import DuplicateHold, ReviewDecision, ReviewNote
from archive.editing import EditRefused, full_snapshot, set_status
from archive.grants import Action
from archive.holds import open_holds, release_holds
from archive.models import AuditEvent, Photograph, Ware, WareMaker, WareStatus
from archive.review_undo import DECIDED, UndoRefused, undo_decision
from ingest.duplicates import PhotoHashes
from web.auth import Rule, access
from web.curate.access import actor, can_see, curated_ware, load_ware, signed_in
from web.curate.blueprint import curate
from web.curate.forms import clean_text
from web.curate.history import FieldChange, changes_of, describe
from web.curate.holding import copy_kind
from web.curate.indexing import sync_wares
from web.curate.safety import offer_undo, unconfirmed
from web.views.context import db_session
from web.views.formatting import translate as _
from web.views.language import N_

MAX_COMMENT = 5000
DECISIONS = {
    "approve": (ReviewDecision.APPROVED, WareStatus.PUBLISHED),
    "reject": (ReviewDecision.REJECTED, WareStatus.REJECTED),
    "changes": (ReviewDecision.CHANGES_REQUESTED, WareStatus.DRAFT),
}

OUTCOMES = {
    "approve": N_("{accession} approved and published."),
    "reject": N_("{accession} rejected."),
    "changes": N_("{accession} returned for changes."),
}
# What the Undo offered after an approval or a rejection says.
UNDONE = {
    "approve": N_("{accession} was approved and published."),
    "reject": N_("{accession} was rejected."),
}


@dataclass(frozen=True)
class NearDuplicate:
    """A photograph of a submission that looks like one of another ware in the archive."""

    position: int
    ware: Ware
    distance: int


@dataclass(frozen=True)
class HeldCopy:
    """A photograph the submission was held for, beside the photograph of another ware it
    copies (None when that one has since been removed)."""

    photo: Photograph
    match_ware: Ware
    match_photo: Photograph | None
    kind: str
    distance: int


@dataclass(frozen=True)
class Submission:
    """One ware in the queue with what a reviewer needs to decide."""

    ware: Ware
    held: list[HeldCopy]
    duplicates: list[NearDuplicate]
    changes: list[FieldChange]
    reviewed_before: bool
    notes: list[ReviewNote]
    # What happened to the ware since the last decision, from its audit trail: (event, words).
    since: list[tuple[AuditEvent, str]]


def _held_copies(ware: Ware, holds: list[DuplicateHold]) -> list[HeldCopy]:
    photos = {photo.sha256: photo for photo in ware.photographs}
    found = []
    for hold in holds:
        other = load_ware(hold.match_ware_id)
        if other is None:
            continue
        match_photo = next((p for p in other.photographs if p.sha256 == hold.match_sha256), None)
        kind = copy_kind(hold.sha256 == hold.match_sha256, hold.orientation)
        found.append(HeldCopy(photos[hold.sha256], other, match_photo, kind, hold.distance))
    return found


def _near_duplicates(ware: Ware, hashes: PhotoHashes, held: set[str]) -> list[NearDuplicate]:
    """For each photograph not held already, the closest photograph of another ware (any
    institution, any status), with the threshold the ingest pipeline measured and uses."""
    found = []
    for position, photo in enumerate(ware.photographs, start=1):
        if photo.sha256 in held:
            continue
        match = hashes.closest(photo.phash, ware.id) if photo.phash else None
        other = load_ware(match.ware_id) if match else None
        # Only a ware the reviewer may see is named: another institution's draft stays unknown.
        if match and other is not None and can_see(signed_in(), other):
            found.append(NearDuplicate(position, other, match.distance))
    return found


def _since(ware: Ware, decided: ReviewNote | None) -> list[tuple[AuditEvent, str]]:
    """The ware's audit events after the last review decision, oldest first."""
    if decided is None:
        return []
    events = db_session().scalars(
        select(AuditEvent)
        .where(
            AuditEvent.entity_type == "ware",
            AuditEvent.entity_id == ware.id,
            AuditEvent.at > decided.created_at,
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [(event, describe(event)) for event in events]


def _submission(ware: Ware, hashes: PhotoHashes, holds: list[DuplicateHold]) -> Submission:
    notes = list(
        db_session().scalars(
            select(ReviewNote)
            .where(ReviewNote.ware_id == ware.id)
            .order_by(ReviewNote.created_at, ReviewNote.id)
        )
    )
    decided = [note for note in notes if note.decision is not ReviewDecision.SUBMITTED]
    last = decided[-1] if decided else None
    snapshot = last.snapshot if last is not None else None
    return Submission(
        ware=ware,
        held=_held_copies(ware, holds),
        duplicates=_near_duplicates(ware, hashes, {hold.sha256 for hold in holds}),
        changes=changes_of(snapshot, full_snapshot(ware)) if snapshot is not None else [],
        reviewed_before=snapshot is not None,
        notes=notes,
        since=_since(ware, last),
    )


@curate.get("/review")
@access(Rule.SCOPED_CURATOR)
def review_queue() -> str:
    """Every submission this curator may decide on, oldest first."""
    scope = signed_in().permissions.ware_condition(Action.PUBLISH)
    wares = db_session().scalars(
        select(Ware)
        .where(Ware.status == WareStatus.SUBMITTED, Ware.deleted_at.is_(None))
        .where(*([] if scope is None else [scope]))
        .options(
            selectinload(Ware.photographs),
            selectinload(Ware.institution),
            selectinload(Ware.makers).selectinload(WareMaker.maker),
        )
        .order_by(Ware.updated_at, Ware.id)
    )
    wares = list(wares)
    holds = open_holds(db_session(), [ware.id for ware in wares])
    # Every photograph's hash, loaded once for the whole queue and compared at numpy speed.
    hashes = PhotoHashes.from_catalogue(db_session())
    submissions = [_submission(ware, hashes, holds.get(ware.id, [])) for ware in wares]
    return render_template("curate/review.html", submissions=submissions)


@curate.post("/review/<int:ware_id>")
@access(Rule.SCOPED_CURATOR)
def decide(ware_id: int) -> Response | tuple[str, int]:
    """Approve (publish), reject with a reason, or ask for changes with a comment; approving and
    rejecting are confirmed first (a page without JavaScript, a dialog with it)."""
    ware = curated_ware(ware_id)
    if ware.deleted_at is not None:
        abort(404)
    if ware.status is not WareStatus.SUBMITTED:
        abort(409)
    choice = request.form.get("decision", "")
    if choice not in DECISIONS:
        abort(400)
    decision, status = DECISIONS[choice]
    comment = clean_text(request.form.get("comment"))[:MAX_COMMENT]
    if decision is not ReviewDecision.APPROVED and not comment:
        flash(_("Say why, so the partner knows what to change."), "error")
        return redirect(url_for("curate.review_queue") + f"#ware-{ware.id}")
    if decision is not ReviewDecision.CHANGES_REQUESTED:
        asked = unconfirmed(
            _("Publish {accession} now?", accession=ware.accession_number)
            if decision is ReviewDecision.APPROVED
            else _("Reject {accession}?", accession=ware.accession_number),
            _("Approve and publish") if decision is ReviewDecision.APPROVED else _("Reject"),
            back=url_for("curate.review_queue") + f"#ware-{ware.id}",
        )
        if asked:
            return asked
    email, user_id = actor()
    try:
        if decision is not ReviewDecision.CHANGES_REQUESTED:
            # Approving says the photographs are not copies (or may be); rejecting ends the
            # matter. Asked for changes, the partner may remove the copy: the hold stays.
            release_holds(db_session(), ware, decision.value, actor=email, user_id=user_id)
        set_status(db_session(), ware, status, actor=email, user_id=user_id)
    except EditRefused as refusal:
        db_session().rollback()
        flash(f"{ware.accession_number}: {refusal}", "error")
        return redirect(url_for("curate.review_queue") + f"#ware-{ware.id}")
    note = ReviewNote(
        ware_id=ware.id,
        user_id=user_id,
        actor=email,
        decision=decision,
        comment=comment or None,
        snapshot=full_snapshot(ware),
    )
    db_session().add(note)
    db_session().commit()
    sync_wares(db_session(), [ware.id])
    flash(_(OUTCOMES[choice], accession=ware.accession_number))
    if decision in DECIDED:
        offer_undo(
            _(UNDONE[choice], accession=ware.accession_number),
            "curate.undo_review_decision",
            ware_id=ware.id,
            note_id=note.id,
        )
    return redirect(url_for("curate.review_queue"))


@curate.post("/review/<int:ware_id>/undo/<int:note_id>")
@access(Rule.SCOPED_CURATOR)
def undo_review_decision(ware_id: int, note_id: int) -> Response:
    """Take an approval or a rejection back: the ware is in the queue again as it was (its
    status, the review's record and its holds), unless it changed since."""
    ware = curated_ware(ware_id)
    email, user_id = actor()
    try:
        undo_decision(db_session(), ware, note_id, actor=email, user_id=user_id)
    except UndoRefused:
        db_session().rollback()
        flash(_("The decision cannot be undone: the ware has changed since."), "error")
        return redirect(url_for("curate.review_queue"))
    db_session().commit()
    sync_wares(db_session(), [ware.id])
    flash(_("{accession} is back in the review queue.", accession=ware.accession_number))
    return redirect(url_for("curate.review_queue") + f"#ware-{ware.id}")
