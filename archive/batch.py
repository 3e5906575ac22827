"""Batch changes to many wares at once, set-based, with every ware's change audited and kept in
``batch_item`` so the whole batch can be undone as one unit.

A batch runs in chunks; each chunk is one transaction (its wares, their audit events and their
batch items together), so a batch stopped half-way leaves only whole, undoable chunks behind.
Wares a batch cannot change are skipped with a reason code, never half-changed.

A field set or appended to on a published ware goes into its working copy unless the batch
says ``publish_at_once`` (``archive.batch_copies``); "Publish changes" publishes the copies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, selectinload

from archive.batch_copies import (
    COPY,
    WORKING_COPY,
    CopyReader,
    copy_value,
    current_copy,
    drafts_of,
    is_public,
    plan_copy_edit,
    plan_publication,
    write_copies,
    write_copy_edits,
)
from archive.catalogue import WARE_FIELDS
from archive.curation import ReviewDecision, ReviewNote, WareDraft
from archive.editing import full_snapshot
from archive.holds import held_ware_ids
from archive.models import AuditEvent, Collection, Ware, WareMaker, WareStatus, utcnow
from archive.workbench import BatchAction, BatchItem, BatchJob, WareSet, WareSetMember
from archive.working_copies import ENTITY as COPY_ENTITY
from archive.working_copies import typed

CHUNK = 500
# Fields a batch may set or append to: the record, never status (it has its own actions).
BATCH_FIELDS = tuple(name for name in WARE_FIELDS if name != "status")
NUMERIC_FIELDS = frozenset(
    {"year_earliest", "year_latest", "height_cm", "width_cm", "depth_cm", "diameter_cm"}
)
APPEND_SEPARATOR = "; "
MAX_SKIPPED = 1000
# Why a ware was left alone (the web layer words these in each language).
SKIP_DELETED = "deleted"
SKIP_NO_RIGHTS = "no_rights"
SKIP_WRONG_STATUS = "wrong_status"
SKIP_OTHER_INSTITUTION = "other_institution"
SKIP_CHANGED_SINCE = "changed_since"
SKIP_GONE = "gone"
# Held for review because a photograph copies another ware's (archive.holds): only the review
# queue publishes it.
SKIP_HELD = "held"

Values = dict[str, Any]


class BatchRefused(ValueError):
    """A batch that cannot run as asked; the message says why."""


@dataclass
class ChunkResult:
    """What one chunk changed: per ware, the values before and after, and the audit names."""

    items: list[tuple[int, Values, Values]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    # The chunk's wares and working copies as planned (a copy's change is written onto them).
    wares: dict[int, Ware] = field(default_factory=dict)
    drafts: dict[int, WareDraft] = field(default_factory=dict)

    def indexed(self) -> list[int]:
        """The wares whose record changed (a change kept in a working copy is not public)."""
        return [ware_id for ware_id, _, after in self.items if COPY not in after]


def check_params(session: Session, action: str, params: dict[str, Any]) -> None:
    """Refuse a batch whose action or parameters make no sense (BatchRefused)."""
    try:
        kind = BatchAction(action)
    except ValueError:
        raise BatchRefused(f"unknown batch action {action!r}") from None
    if kind in (BatchAction.SET_FIELD, BatchAction.APPEND_FIELD):
        name = params.get("field")
        if name not in BATCH_FIELDS:
            raise BatchRefused(f"not a field a batch may change: {name!r}")
        if kind is BatchAction.APPEND_FIELD and name in NUMERIC_FIELDS:
            raise BatchRefused(f"{name} holds a number: set it rather than append to it")
        if kind is BatchAction.APPEND_FIELD and not params.get("value"):
            raise BatchRefused("give the text to append")
        if not isinstance(params.get("publish_at_once", False), bool):
            raise BatchRefused("publish_at_once is true or false")
    collecting = kind in (BatchAction.ADD_TO_COLLECTION, BatchAction.REMOVE_FROM_COLLECTION)
    if collecting and session.get(Collection, params.get("collection_id") or 0) is None:
        raise BatchRefused("choose a collection")
    in_sets = kind in (BatchAction.ADD_TO_SET, BatchAction.REMOVE_FROM_SET)
    if in_sets and session.get(WareSet, params.get("set_id") or 0) is None:
        raise BatchRefused("choose a set")
    if kind is BatchAction.UNDO:
        original = session.get(BatchJob, params.get("job_id") or 0)
        if original is None or original.action == BatchAction.UNDO.value:
            raise BatchRefused("only a batch job can be undone")
        if original.undone_by_id is not None:
            raise BatchRefused("this batch has been undone already")


def run_batch(
    session: Session,
    job: BatchJob,
    *,
    actor: str,
    progress: Callable[[int], None] | None = None,
    committed: Callable[[list[int]], None] | None = None,
    read_copy: CopyReader | None = None,
) -> list[int]:
    """Apply ``job`` to its wares, chunk by chunk, committing each; returns the ids of the
    wares whose record changed (for the indexes: a working copy's change is not public).

    ``job.processed``, ``job.changed`` and ``job.skipped`` follow as it goes; ``committed`` is
    called with each chunk's changed ids once they are committed (to index them meanwhile).
    ``read_copy`` checks a working copy as the ware form would: "Publish changes" needs it.
    """
    check_params(session, job.action, job.params)
    action = BatchAction(job.action)
    if action is BatchAction.PUBLISH_CHANGES and read_copy is None:
        raise BatchRefused("publishing working copies needs their reader")
    changed: list[int] = []
    for chunk in _chunks(list(_target_ids(session, job))):
        result = _apply_chunk(session, job, action, chunk, read_copy)
        _write(session, job, action, result, actor)
        indexed = result.indexed()
        changed.extend(indexed)
        job.processed += len(chunk)
        job.changed += len(result.items)
        room = MAX_SKIPPED - len(job.skipped)
        if room > 0 and result.skipped:
            job.skipped = [*job.skipped, *result.skipped[:room]]
        session.commit()
        if committed is not None and indexed:
            committed(indexed)
        if progress is not None:
            progress(job.processed)
    if action is BatchAction.UNDO:
        original = session.get(BatchJob, job.params["job_id"])
        assert original is not None
        original.undone_by_id = job.id
        session.commit()
    return changed


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _target_ids(session: Session, job: BatchJob) -> list[int]:
    if job.action == BatchAction.UNDO.value:
        return list(
            session.scalars(
                select(BatchItem.ware_id)
                .where(BatchItem.job_id == job.params["job_id"])
                .order_by(BatchItem.id)
            )
        )
    return [int(ware_id) for ware_id in job.ware_ids]


def _load(
    session: Session, ids: list[int], action: BatchAction, *, copies: bool = False
) -> dict[int, Ware]:
    query = select(Ware).where(Ware.id.in_(ids)).options(selectinload(Ware.collection))
    if action is BatchAction.SEND_TO_REVIEW:
        # The review note keeps a full snapshot of the submission.
        query = query.options(
            selectinload(Ware.makers).selectinload(WareMaker.maker),
            selectinload(Ware.photographs),
        )
    elif copies:
        # A working copy holds the whole form: the makers too.
        query = query.options(selectinload(Ware.makers).selectinload(WareMaker.maker))
    return {ware.id: ware for ware in session.scalars(query)}


def _uses_copies(action: BatchAction, params: dict[str, Any]) -> bool:
    """Whether the batch reads or writes working copies."""
    if action in (BatchAction.SET_FIELD, BatchAction.APPEND_FIELD):
        return not params.get("publish_at_once", False)
    return action in (BatchAction.PUBLISH_CHANGES, BatchAction.UNDO)


def _apply_chunk(
    session: Session,
    job: BatchJob,
    action: BatchAction,
    ids: list[int],
    read_copy: CopyReader | None,
) -> ChunkResult:
    """Work out each ware's change (nothing is written here)."""
    copies = _uses_copies(action, job.params)
    wares = _load(session, ids, action, copies=copies)
    result = ChunkResult(wares=wares, drafts=drafts_of(session, ids) if copies else {})
    if action is BatchAction.UNDO:
        _plan_undo(session, job, result)
        return result
    members: set[int] = set()
    if action in (BatchAction.ADD_TO_SET, BatchAction.REMOVE_FROM_SET):
        members = set(
            session.scalars(
                select(WareSetMember.ware_id).where(
                    WareSetMember.set_id == job.params["set_id"], WareSetMember.ware_id.in_(ids)
                )
            )
        )
    held = held_ware_ids(session, ids) if action is BatchAction.PUBLISH else set()
    target = None
    if action in (BatchAction.ADD_TO_COLLECTION, BatchAction.REMOVE_FROM_COLLECTION):
        target = session.get(Collection, job.params["collection_id"])
    for ware_id in ids:
        ware = wares.get(ware_id)
        if ware is None:
            result.skipped.append({"ware_id": ware_id, "reason": SKIP_GONE})
            continue
        if ware.deleted_at is not None:
            if action is not BatchAction.DELETE:
                result.skipped.append(_skip(ware, SKIP_DELETED))
            continue
        if ware_id in held:
            result.skipped.append(_skip(ware, SKIP_HELD))
            continue
        if action is BatchAction.PUBLISH_CHANGES:
            assert read_copy is not None
            planned = plan_publication(ware, result.drafts.get(ware_id), read_copy)
        elif copies and is_public(ware):
            planned = _plan_copy(ware, action, job.params, result.drafts.get(ware_id))
        else:
            planned = _plan(ware, action, job.params, target, ware_id in members)
        if isinstance(planned, str):
            result.skipped.append(_skip(ware, planned))
        elif planned is not None:
            result.items.append((ware.id, planned[0], planned[1]))
    return result


def _skip(ware: Ware, reason: str) -> dict[str, Any]:
    return {"ware_id": ware.id, "accession_number": ware.accession_number, "reason": reason}


def _plan_copy(
    ware: Ware, action: BatchAction, params: dict[str, Any], draft: WareDraft | None
) -> tuple[Values, Values] | None:
    """A field set or appended to in the working copy of a published ware (typed, as the
    copy keeps the form)."""
    name, value = params["field"], params.get("value")
    if action is BatchAction.APPEND_FIELD:
        new = _appended(copy_value(ware, draft, name), str(value))
    else:
        new = typed(value)
    return plan_copy_edit(ware, draft, name, new)


def _plan(
    ware: Ware,
    action: BatchAction,
    params: dict[str, Any],
    target: Collection | None,
    member: bool,
) -> tuple[Values, Values] | str | None:
    """(before, after) in column terms, a skip reason, or None when nothing would change."""
    if action in (BatchAction.SET_FIELD, BatchAction.APPEND_FIELD):
        name = params["field"]
        old = getattr(ware, name)
        new = params.get("value")
        if action is BatchAction.APPEND_FIELD:
            new = _appended(old, str(new))
        return None if old == new else ({name: old}, {name: new})
    if action is BatchAction.ADD_TO_COLLECTION:
        assert target is not None
        if target.institution_id != ware.institution_id:
            return SKIP_OTHER_INSTITUTION
        if ware.collection_id == target.id:
            return None
        return {"collection_id": ware.collection_id}, {"collection_id": target.id}
    if action is BatchAction.REMOVE_FROM_COLLECTION:
        assert target is not None
        if ware.collection_id != target.id:
            return None
        return {"collection_id": target.id}, {"collection_id": None}
    if action is BatchAction.ADD_TO_SET:
        return None if member else ({"in_set": False}, {"in_set": True})
    if action is BatchAction.REMOVE_FROM_SET:
        return ({"in_set": True}, {"in_set": False}) if member else None
    if action is BatchAction.DELETE:
        return {"deleted": False}, {"deleted": True}
    return _plan_status(ware, action)


def _plan_status(ware: Ware, action: BatchAction) -> tuple[Values, Values] | str | None:
    status = ware.status
    if action is BatchAction.PUBLISH:
        if status is WareStatus.PUBLISHED:
            return None
        if not (ware.rights or "").strip():
            return SKIP_NO_RIGHTS
        wanted = WareStatus.PUBLISHED
    elif action is BatchAction.UNPUBLISH:
        if status is not WareStatus.PUBLISHED:
            return None
        wanted = WareStatus.DRAFT
    else:
        if status is WareStatus.SUBMITTED:
            return None
        if status not in (WareStatus.DRAFT, WareStatus.REJECTED):
            return SKIP_WRONG_STATUS
        wanted = WareStatus.SUBMITTED
    return {"status": status.value}, {"status": wanted.value}


def _appended(old: Any, addition: str) -> str:
    text = (old or "").strip()
    if not text:
        return addition
    if addition in [part.strip() for part in text.split(APPEND_SEPARATOR.strip())]:
        return text
    return f"{text}{APPEND_SEPARATOR}{addition}"


def _current(
    ware: Ware, key: str, value: Any, members: set[int], drafts: dict[int, WareDraft]
) -> Any:
    if key in (COPY, WORKING_COPY):
        return current_copy(ware, drafts.get(ware.id), key, value)
    if key == "deleted":
        return ware.deleted_at is not None
    if key == "status":
        return ware.status.value
    if key == "in_set":
        return ware.id in members
    return getattr(ware, key)


def _plan_undo(session: Session, job: BatchJob, result: ChunkResult) -> None:
    """Each ware back to its value before the batch, unless it has changed since."""
    original = session.get(BatchJob, job.params["job_id"])
    assert original is not None
    job.params = {**job.params, "set_id": original.params.get("set_id")}
    wares = result.wares
    items = session.scalars(
        select(BatchItem).where(BatchItem.job_id == original.id, BatchItem.ware_id.in_(list(wares)))
    )
    members: set[int] = set()
    if original.params.get("set_id"):
        members = set(
            session.scalars(
                select(WareSetMember.ware_id).where(
                    WareSetMember.set_id == original.params["set_id"],
                    WareSetMember.ware_id.in_(list(wares)),
                )
            )
        )
    set_gone = (
        bool(original.params.get("set_id"))
        and session.get(WareSet, original.params["set_id"]) is None
    )
    for item in items:
        ware = wares[item.ware_id]
        if set_gone and "in_set" in item.after:
            result.skipped.append(_skip(ware, SKIP_GONE))
            continue
        if any(
            _current(ware, key, value, members, result.drafts) != value
            for key, value in item.after.items()
        ):
            result.skipped.append(_skip(ware, SKIP_CHANGED_SINCE))
            continue
        result.items.append((ware.id, dict(item.after), dict(item.before)))


def _write(
    session: Session, job: BatchJob, action: BatchAction, result: ChunkResult, actor: str
) -> None:
    """Write a chunk's changes set-based: the wares, their audit events, their batch items."""
    if not result.items:
        return
    now = utcnow()
    rows: list[Values] = []
    set_id = job.params.get("set_id")
    joined: list[int] = []
    left: list[int] = []
    edits: list[tuple[int, Values]] = []
    copies: list[tuple[int, Values | None]] = []
    for ware_id, _, after in result.items:
        if COPY in after:
            edits.append((ware_id, after[COPY]))
            continue
        row: Values = {"id": ware_id, "updated_at": now}
        for key, value in after.items():
            if key == "in_set":
                (joined if value else left).append(ware_id)
            elif key == "deleted":
                row["deleted_at"] = now if value else None
            elif key == WORKING_COPY:
                copies.append((ware_id, value))
            else:
                row[key] = WareStatus(value) if key == "status" else value
        rows.append(row)
    if rows:
        session.execute(update(Ware), rows)
    if edits:
        write_copy_edits(
            session,
            result.wares,
            result.drafts,
            edits,
            actor=actor,
            user_id=job.user_id,
            now=now,
        )
    if copies:
        write_copies(session, copies, actor=actor, user_id=job.user_id, now=now)
    if joined:
        session.execute(
            insert(WareSetMember), [{"set_id": set_id, "ware_id": ware_id} for ware_id in joined]
        )
    if left:
        session.execute(
            delete(WareSetMember).where(
                WareSetMember.set_id == set_id, WareSetMember.ware_id.in_(left)
            )
        )
    names = _names(session, result, set_id)
    session.execute(
        insert(AuditEvent),
        [
            {
                "at": now,
                "user_id": job.user_id,
                "actor": actor,
                "action": _audit_action(action, after),
                # A change kept in a working copy is in the copy's own history.
                "entity_type": COPY_ENTITY if COPY in after else "ware",
                "entity_id": ware_id,
                "before": _audited(before, names),
                "after": _audited(after, names),
            }
            for ware_id, before, after in result.items
        ],
    )
    session.execute(
        insert(BatchItem),
        [
            {"job_id": job.id, "ware_id": ware_id, "before": before, "after": after}
            for ware_id, before, after in result.items
        ],
    )
    if action is BatchAction.SEND_TO_REVIEW:
        _note_submissions(session, job, result, actor, now)
    session.expire_all()


def _audit_action(action: BatchAction, after: Values) -> str:
    if COPY in after and action is not BatchAction.UNDO:
        return f"batch_copy_{action.value}"
    return f"batch_{action.value}"


def _names(session: Session, result: ChunkResult, set_id: int | None) -> dict[str, Any]:
    collection_ids = {
        values["collection_id"]
        for _, before, after in result.items
        for values in (before, after)
        if values.get("collection_id")
    }
    names: dict[str, Any] = {"collections": {}, "set": None}
    if collection_ids:
        names["collections"] = dict(
            session.execute(
                select(Collection.id, Collection.name).where(Collection.id.in_(collection_ids))
            ).all()
        )
    if set_id:
        names["set"] = session.scalar(select(WareSet.name).where(WareSet.id == set_id))
    return names


def _audited(values: Values, names: dict[str, Any]) -> Values:
    """Column values in the history's terms: a collection by name, set membership by set name."""
    shown: Values = {}
    for key, value in values.items():
        if key == COPY:
            shown.update(value)
        elif key == WORKING_COPY:
            continue  # kept for undo in the batch item; the history shows the fields
        elif key == "collection_id":
            shown["collection"] = names["collections"].get(value) if value else None
        elif key == "in_set":
            shown["set"] = names["set"] if value else None
        else:
            shown[key] = value
    return shown


def _note_submissions(
    session: Session, job: BatchJob, result: ChunkResult, actor: str, now: datetime
) -> None:
    ids = [ware_id for ware_id, _, _ in result.items]
    wares = _load(session, ids, BatchAction.SEND_TO_REVIEW)
    session.execute(
        insert(ReviewNote),
        [
            {
                "ware_id": ware_id,
                "user_id": job.user_id,
                "actor": actor,
                "decision": ReviewDecision.SUBMITTED,
                "snapshot": full_snapshot(wares[ware_id]),
                "created_at": now,
            }
            for ware_id in ids
        ],
    )
