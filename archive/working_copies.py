"""A ware's working copy: the curator's pending edit, kept apart from the record until it is
published (or applied) or discarded.

The public doors (pages, API, search index, IIIF, OAI-PMH, exports) read only the ``ware`` row,
so a published ware keeps its public version while a curator works on a copy. The copy holds
the form *as typed* (plain strings keyed like the history's snapshots), so an autosave never
loses a half-typed or still-invalid value; the web layer checks it when it is applied.

``base`` is the record as it stood when the copy was started: publishing applies only the
fields the curator changed since then, so a batch edit made meanwhile to another field is not
silently reverted (a three-way merge on whole fields).

Saving a copy explicitly, publishing and discarding it are audited (entity ``ware_draft`` for
the copy's own history, ``ware`` for the publication, as every other change of the record).

Photograph changes of a public ware are kept in the same copy (``WareDraft.photographs``, see
``archive.pending_photos``), published and discarded with it.

The table, ``WareDraft``, is in ``archive.curation`` with the other curating tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.catalogue import WARE_FIELDS, record_audit
from archive.curation import WareDraft
from archive.models import AuditEvent, Ware, utcnow
from archive.pending_photos import entries_snapshot

# The audit entity of a working copy's own history; its entity_id is the ware's id.
ENTITY = "ware_draft"
# The record's fields a working copy holds as typed (every field but the status).
COPY_FIELDS = tuple(name for name in WARE_FIELDS if name != "status")


def typed(value: Any) -> str:
    """A record's value as the form shows it (and a working copy keeps it)."""
    return "" if value is None else str(value)


def form_values(ware: Ware) -> dict[str, Any]:
    """The record in a working copy's shape: the form as it would be typed (every value a
    string), keyed like the history's snapshots."""
    return {
        "accession_number": ware.accession_number,
        "collection": ware.collection.name if ware.collection else "",
        **{name: typed(getattr(ware, name)) for name in COPY_FIELDS},
        "makers": [
            [link.maker.name, link.role.value, link.qualifier or ""] for link in ware.makers
        ],
    }


def copy_state(draft: WareDraft | None) -> dict[str, Any] | None:
    """The whole copy as plain values (kept by an event that replaces or drops it, for its
    undo); None for no copy."""
    if draft is None:
        return None
    return {"values": draft.values, "base": draft.base, "photographs": draft.photographs}


def working_copy(session: Session, ware_id: int) -> WareDraft | None:
    """The ware's working copy, if it has one."""
    return session.scalar(select(WareDraft).where(WareDraft.ware_id == ware_id))


def save_working_copy(
    session: Session,
    ware_id: int,
    values: dict[str, Any],
    *,
    current: dict[str, Any],
    actor: str,
    user_id: int | None,
    audited: bool,
) -> WareDraft | None:
    """Keep ``values`` (the form as typed) as the ware's working copy; ``current`` is the record
    now in the same shape. Returns the copy, or None when nothing differs from the record (an
    existing copy is then dropped: there is nothing left to publish).

    ``audited`` saves (the curator pressed Save) write a history entry with what is pending;
    autosaves while typing only keep the latest text.
    """
    draft = working_copy(session, ware_id)
    if draft is None:
        if values == current:
            return None
        draft = WareDraft(ware_id=ware_id, base=dict(current), values={})
        session.add(draft)
    draft.values = dict(values)
    draft.actor = actor
    draft.user_id = user_id
    draft.updated_at = utcnow()
    pending = draft.pending()
    if (not pending or values == current) and draft.photographs is None:
        session.delete(draft)
        session.flush()
        return None
    session.flush()
    if audited and pending:
        record_audit(
            session,
            actor=actor,
            user_id=user_id,
            action="save_working_copy",
            entity_type=ENTITY,
            entity_id=ware_id,
            before={key: draft.base.get(key) for key in pending},
            after=pending,
        )
    return draft


def save_copy_photographs(
    session: Session,
    ware_id: int,
    photographs: list[dict[str, Any]],
    *,
    record: list[dict[str, Any]],
    current: dict[str, Any],
    actor: str,
    user_id: int | None,
    action: str,
    removed: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Keep ``photographs`` (``archive.pending_photos`` entries) as those the copy will publish;
    ``record`` is the ware's photographs now as entries, ``current`` its form values. A copy
    begins if there is none; one left with nothing to publish is dropped. Audited as ``action``
    on the copy's history, with the photographs before and after (and the whole entry of a
    photograph ``removed``, so the removal can be undone); returns the event, None when there
    was no copy and nothing to keep."""
    draft = working_copy(session, ware_id)
    before = record if draft is None or draft.photographs is None else draft.photographs
    wanted = None if photographs == record else photographs
    if draft is None:
        if wanted is None:
            return None
        draft = WareDraft(ware_id=ware_id, base=dict(current), values=dict(current))
        session.add(draft)
    draft.photographs = wanted
    draft.actor = actor
    draft.user_id = user_id
    draft.updated_at = utcnow()
    old, new = entries_snapshot(before), entries_snapshot(photographs)
    changed = [key for key in new if old[key] != new[key]]
    event = record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action=action,
        entity_type=ENTITY,
        entity_id=ware_id,
        before={key: old[key] for key in changed}
        | ({REMOVED_PHOTOGRAPH: removed} if removed else {}),
        after={key: new[key] for key in changed},
    )
    if wanted is None and not draft.pending():
        session.delete(draft)
    session.flush()
    return event


# Where a copy's removal event keeps the whole entry it took out (for its Undo).
REMOVED_PHOTOGRAPH = "removed_photograph"


def removed_in_copy(session: Session, ware_id: int, event_id: int) -> dict[str, Any] | None:
    """The entry that event ``event_id`` took out of the ware's working copy, if it is such."""
    event = session.get(AuditEvent, event_id)
    if event is None or event.entity_type != ENTITY or event.entity_id != ware_id:
        return None
    found = (event.before or {}).get(REMOVED_PHOTOGRAPH)
    return found if isinstance(found, dict) and "sha256" in found else None


def drop_working_copy(session: Session, ware_id: int) -> None:
    """Remove the copy once its changes are in the record (the record's own event says so)."""
    draft = working_copy(session, ware_id)
    if draft is not None:
        session.delete(draft)
        session.flush()


def discard_working_copy(
    session: Session, ware_id: int, *, actor: str, user_id: int | None
) -> AuditEvent | None:
    """Throw the pending changes away; the event keeps them, so the discard can be undone."""
    draft = working_copy(session, ware_id)
    if draft is None:
        return None
    pending = draft.pending()
    kept = {"values": draft.values, "base": draft.base, "photographs": draft.photographs}
    before, after = dict(pending), {key: draft.base.get(key) for key in pending}
    if draft.photographs is not None:
        before.update(entries_snapshot(draft.photographs))
    event = record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="discard_working_copy",
        entity_type=ENTITY,
        entity_id=ware_id,
        before={**before, "working_copy": kept},
        after=after,
    )
    session.delete(draft)
    session.flush()
    return event


def _copy_event(session: Session, ware_id: int, event_id: int, action: str) -> AuditEvent | None:
    """Audit event ``event_id`` if it is ``action`` on this ware's working copy (an Undo names
    the event it undoes; any other is refused)."""
    event = session.get(AuditEvent, event_id)
    if event is None or (event.entity_type, event.entity_id, event.action) != (
        ENTITY,
        ware_id,
        action,
    ):
        return None
    return event


def undo_discard(
    session: Session, ware_id: int, event_id: int, *, actor: str, user_id: int | None
) -> WareDraft | None:
    """Bring back the copy that event ``event_id`` discarded, unless another copy began since
    (then nothing is overwritten and None is returned)."""
    event = _copy_event(session, ware_id, event_id, "discard_working_copy")
    if event is None or working_copy(session, ware_id) is not None:
        return None
    kept = (event.before or {}).get("working_copy") or {}
    draft = WareDraft(
        ware_id=ware_id,
        values=dict(kept.get("values") or {}),
        base=dict(kept.get("base") or {}),
        photographs=kept.get("photographs"),
        actor=actor,
        user_id=user_id,
    )
    session.add(draft)
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="undo_discard_working_copy",
        entity_type=ENTITY,
        entity_id=ware_id,
        before=event.after,
        after={key: value for key, value in event.before.items() if key != "working_copy"},
    )
    session.flush()
    return draft


def copy_history(session: Session, ware_id: int) -> list[AuditEvent]:
    """The working copy's own events for one ware, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == ENTITY, AuditEvent.entity_id == ware_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


# A restore into the working copy keeps the whole copy before and after it (for its Undo).
KEPT_COPY = "working_copy"


def restore_into_copy(
    session: Session,
    ware_id: int,
    values: dict[str, Any],
    photographs: list[dict[str, Any]] | None,
    *,
    current: dict[str, Any],
    record: list[dict[str, Any]],
    version_event_id: int,
    actor: str,
    user_id: int | None,
) -> AuditEvent | None:
    """Make the working copy an earlier version of the ware: ``values`` its form values (the
    form's shape, as ``current`` is the record now) and ``photographs`` its photographs as
    entries (None: the version does not name them, the copy's stay as they are); ``record``
    is the ware's photographs now. The record is not touched: the public keeps the published
    version until the copy is published.

    Audited as ``copy_restore_version`` on the copy's history, keeping the whole copy before
    and after, so ``undo_copy_restore`` can put it back; returns the event, None when the copy
    already showed that version."""
    draft = working_copy(session, ware_id)
    kept = copy_state(draft)
    shown = current if draft is None else draft.merged_onto(current)
    shown_photos = record if draft is None or draft.photographs is None else draft.photographs
    wanted_photos = shown_photos if photographs is None else photographs
    old = {**shown, **entries_snapshot(shown_photos)}
    new = {**values, **entries_snapshot(wanted_photos)}
    changed = [key for key in new if old.get(key) != new[key]]
    if not changed:
        return None
    if draft is None:
        draft = WareDraft(ware_id=ware_id, base={}, values={})
        session.add(draft)
    # A fresh base: what is pending is exactly where the version differs from the record now.
    draft.base = dict(current)
    draft.values = dict(values)
    draft.photographs = None if wanted_photos == record else wanted_photos
    draft.actor = actor
    draft.user_id = user_id
    draft.updated_at = utcnow()
    if not draft.pending() and draft.photographs is None:
        session.delete(draft)  # the version is the record as published: nothing pending
        restored = None
    else:
        restored = copy_state(draft)
    event = record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="copy_restore_version",
        entity_type=ENTITY,
        entity_id=ware_id,
        before={key: old.get(key) for key in changed} | {KEPT_COPY: kept},
        after={key: new[key] for key in changed}
        | {KEPT_COPY: restored, "version": version_event_id},
    )
    session.flush()
    return event


def undo_copy_restore(
    session: Session, ware_id: int, event_id: int, *, actor: str, user_id: int | None
) -> bool:
    """Put the working copy back as it was before the restore ``event_id`` (no copy, if there
    was none); refused (False) when the copy has changed since, or was published."""
    event = _copy_event(session, ware_id, event_id, "copy_restore_version")
    if event is None:
        return False
    draft = working_copy(session, ware_id)
    if copy_state(draft) != (event.after or {}).get(KEPT_COPY):
        return False
    kept = (event.before or {}).get(KEPT_COPY)
    if kept is None:
        if draft is not None:
            session.delete(draft)
    else:
        if draft is None:
            draft = WareDraft(ware_id=ware_id)
            session.add(draft)
        draft.values = dict(kept.get("values") or {})
        draft.base = dict(kept.get("base") or {})
        draft.photographs = kept.get("photographs")
        draft.actor = actor
        draft.user_id = user_id
        draft.updated_at = utcnow()
    shown = {key: value for key, value in (event.before or {}).items() if key != KEPT_COPY}
    restored = {
        key: value
        for key, value in (event.after or {}).items()
        if key not in (KEPT_COPY, "version")
    }
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="undo_copy_restore_version",
        entity_type=ENTITY,
        entity_id=ware_id,
        before=restored,
        after=shown,
    )
    session.flush()
    return True
