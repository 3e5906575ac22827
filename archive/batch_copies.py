"""What batches do with working copies (``archive.working_copies``).

A batch that sets or appends to a field of a published ware changes its working copy by
default, not the record: the public keeps the published version until the changes are
published, one ware at a time from its page or with the batch "Publish changes". Both are
planned here ware by ware and written set-based by ``archive.batch`` (one statement per chunk
for the copies, as for the wares), with what each ware had before kept in its ``BatchItem``:

- a field edit in the copy is ``{COPY: {field: typed value}}`` before and after (the values
  as the form shows them: a working copy keeps the form as typed);
- a publication is the record's changed columns before and after, with ``WORKING_COPY`` the
  whole copy before (``archive.working_copies.copy_state``) and None after, so undoing it puts
  the record back and the copy with its changes still to publish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from archive.curation import WareDraft
from archive.models import Ware, WareStatus
from archive.working_copies import COPY_FIELDS, copy_state, form_values, typed

# The BatchItem keys of a change to a working copy's field, and of the copy as a whole.
COPY = "copy"
WORKING_COPY = "working_copy"
# Why a ware was left alone by "Publish changes".
SKIP_NO_COPY = "no_copy"
SKIP_COPY_INVALID = "copy_invalid"
SKIP_COPY_ON_PAGE = "copy_on_page"

# Reads a working copy as the form would (the web layer's rules: numbers, years read from the
# date as written, rights URIs): the record's field values to publish, None when the copy has
# a field to correct first.
CopyReader = Callable[[dict[str, Any]], dict[str, Any] | None]

Values = dict[str, Any]


def is_public(ware: Ware) -> bool:
    """Whether the public sees ``ware`` (its field edits then go to the working copy)."""
    return ware.status is WareStatus.PUBLISHED and ware.deleted_at is None


def drafts_of(session: Session, ids: Sequence[int]) -> dict[int, WareDraft]:
    """The working copies of these wares, by ware id."""
    return {
        draft.ware_id: draft
        for draft in session.scalars(select(WareDraft).where(WareDraft.ware_id.in_(list(ids))))
    }


def copy_value(ware: Ware, draft: WareDraft | None, name: str) -> str:
    """A field as the working copy would publish it (the record's, where the copy leaves it)."""
    if draft is not None:
        pending = draft.pending()
        if name in pending:
            return str(pending[name])
    return typed(getattr(ware, name))


def plan_copy_edit(
    ware: Ware, draft: WareDraft | None, name: str, new: str
) -> tuple[Values, Values] | None:
    """The copy's field ``name`` made ``new`` (typed): before and after, None if unchanged."""
    old = copy_value(ware, draft, name)
    return None if old == new else ({COPY: {name: old}}, {COPY: {name: new}})


def plan_publication(
    ware: Ware, draft: WareDraft | None, read_copy: CopyReader
) -> tuple[Values, Values] | str:
    """Publishing the working copy of ``ware``: the record's columns before and after (every
    field the checked copy changes, as the ware page's "Publish changes" writes them) and the
    copy dropped; or why it is left to the ware's page."""
    if draft is None:
        return SKIP_NO_COPY
    if draft.photographs is not None or set(draft.pending()) - set(COPY_FIELDS):
        # Photographs are checked for copies of other wares', makers and collections found or
        # made: one ware at a time, on its page.
        return SKIP_COPY_ON_PAGE
    fields = read_copy(draft.merged_onto(form_values(ware)))
    if fields is None:
        return SKIP_COPY_INVALID
    changed = {name: value for name, value in fields.items() if getattr(ware, name) != value}
    before = {name: getattr(ware, name) for name in changed}
    return before | {WORKING_COPY: copy_state(draft)}, changed | {WORKING_COPY: None}


def current_copy(ware: Ware, draft: WareDraft | None, key: str, values: Any) -> Any:
    """What a ware's copy holds now under a BatchItem key (to tell whether a batch's change
    still stands before undoing it)."""
    if key == COPY:
        return {name: copy_value(ware, draft, name) for name in values}
    return copy_state(draft)


def write_copy_edits(
    session: Session,
    wares: dict[int, Ware],
    drafts: dict[int, WareDraft],
    edits: list[tuple[int, Values]],
    *,
    actor: str,
    user_id: int | None,
    now: datetime,
) -> None:
    """Set fields of working copies (``edits``: ware id and typed values), set-based: a copy
    begins where there is none (its base the record now), one left with nothing to publish
    goes. The field's base becomes the record's value now, so what is pending is exactly
    where the copy differs from the record."""
    inserts: list[Values] = []
    updates: list[Values] = []
    gone: list[int] = []
    for ware_id, values in edits:
        draft = drafts.get(ware_id)
        record = form_values(wares[ware_id])
        if draft is None:
            base, kept, photographs = record, dict(record), None
        else:
            base = {**draft.base, **{name: record[name] for name in values}}
            kept, photographs = dict(draft.values), draft.photographs
        kept.update(values)
        if photographs is None and all(base.get(key) == value for key, value in kept.items()):
            if draft is not None:
                gone.append(draft.id)
            continue
        row = {"values": kept, "base": base, "actor": actor, "user_id": user_id, "updated_at": now}
        if draft is None:
            inserts.append(row | {"ware_id": ware_id, "photographs": None, "created_at": now})
        else:
            updates.append(row | {"id": draft.id})
    if inserts:
        session.execute(insert(WareDraft), inserts)
    if updates:
        session.execute(update(WareDraft), updates)
    if gone:
        session.execute(delete(WareDraft).where(WareDraft.id.in_(gone)))


def write_copies(
    session: Session,
    copies: list[tuple[int, Values | None]],
    *,
    actor: str,
    user_id: int | None,
    now: datetime,
) -> None:
    """Make the working copies of these wares what a BatchItem kept (a whole copy, or None
    for none): publishing drops them, undoing a publication brings them back."""
    dropped = [ware_id for ware_id, state in copies if state is None]
    if dropped:
        session.execute(delete(WareDraft).where(WareDraft.ware_id.in_(dropped)))
    restored = [
        {
            "ware_id": ware_id,
            "values": state.get("values") or {},
            "base": state.get("base") or {},
            "photographs": state.get("photographs"),
            "actor": actor,
            "user_id": user_id,
            "created_at": now,
            "updated_at": now,
        }
        for ware_id, state in copies
        if state is not None
    ]
    if restored:
        session.execute(
            delete(WareDraft).where(WareDraft.ware_id.in_([row["ware_id"] for row in restored]))
        )
        session.execute(insert(WareDraft), restored)
