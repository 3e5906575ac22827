"""Undoing a review decision: an approval (or a rejection) taken back puts the ware in the
review queue as it was before the decision.

The decision wrote three things, and each is taken back: the ware's status (published, or
rejected) goes back to submitted; the decision's ``ReviewNote`` goes (the queue then shows
the submission as it was, its diff since the last review included), kept whole in the audit
event; and the holds for copied photographs the decision ended (``archive.holds``) are open
again, so the ware cannot be published meanwhile without the review.

Only the ware's latest decision can be undone, and only while the ware still stands as it left
it (not deleted, its status the decision's): a ware changed since is left alone.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from archive.catalogue import record_audit
from archive.curation import DuplicateHold, ReviewDecision, ReviewNote
from archive.models import Ware, WareStatus

# The status each undoable decision gave the ware.
DECIDED = {
    ReviewDecision.APPROVED: WareStatus.PUBLISHED,
    ReviewDecision.REJECTED: WareStatus.REJECTED,
}


class UndoRefused(ValueError):
    """The decision cannot be undone; the message says why."""


def undo_decision(
    session: Session, ware: Ware, note_id: int, *, actor: str, user_id: int | None
) -> None:
    """Put ``ware`` back in the review queue as it was before the decision ``note_id``
    (audited ``undo_review_decision``); raises ``UndoRefused`` when it cannot be."""
    notes = list(
        session.scalars(
            select(ReviewNote)
            .where(ReviewNote.ware_id == ware.id)
            .order_by(ReviewNote.created_at.desc(), ReviewNote.id.desc())
        )
    )
    note = notes[0] if notes else None
    if note is None or note.id != note_id or note.decision not in DECIDED:
        raise UndoRefused("that decision is not this ware's latest review decision")
    if ware.deleted_at is not None or ware.status is not DECIDED[note.decision]:
        raise UndoRefused("the ware has changed since the decision")
    # The holds this decision ended: those it resolved after the step before it.
    previous = notes[1] if len(notes) > 1 else None
    released = select(DuplicateHold.id).where(
        DuplicateHold.ware_id == ware.id, DuplicateHold.resolution == note.decision.value
    )
    if previous is not None:
        released = released.where(DuplicateHold.resolved_at >= previous.created_at)
    held = list(session.scalars(released))
    if held:
        session.execute(
            update(DuplicateHold)
            .where(DuplicateHold.id.in_(held))
            .values(resolved_at=None, resolved_by=None, resolution=None)
        )
    decided = ware.status
    ware.status = WareStatus.SUBMITTED
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="undo_review_decision",
        entity_type="ware",
        entity_id=ware.id,
        before={
            "status": decided.value,
            "review": {
                "decision": note.decision.value,
                "actor": note.actor,
                "comment": note.comment,
                "at": note.created_at.isoformat(),
            },
        },
        after={"status": WareStatus.SUBMITTED.value, "review": None},
    )
    session.delete(note)
    session.flush()
