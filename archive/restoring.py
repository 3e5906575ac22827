"""Restoring an earlier version of a ware: its record and its photographs as they were then,
turn, crop, captions, alt text and rights included.

A version is rebuilt from the ware's audit trail (``version_after``). Its photographs are
named in order ("<view> <digest prefix>") with their details beside them
(``photograph_details``: turn, crop, texts); ``version_entries`` makes them working-copy
entries (``archive.pending_photos``), so one list serves both ways a version comes back:

- a ware that is not public: ``restore_version`` writes it into the record at once (one
  ``restore_version`` event on the ware);
- a public ware: ``archive.working_copies.restore_into_copy`` puts it into the working copy,
  so the public keeps the published version until "Publish changes".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.catalogue import MakerCredit, photograph_values
from archive.editing import (
    PHOTO_COLUMNS,
    PHOTO_DETAILS,
    PHOTO_TEXT_FIELDS,
    RESTORABLE_FIELDS,
    Change,
    EditRefused,
    accession_taken,
    apply_photographs,
    apply_values,
    ware_history,
    ware_makers,
)
from archive.imaging import Rendition
from archive.models import Collection, Maker, MakerRole, Photograph, PhotoView, Ware
from archive.pending_photos import Entry, entry_of, show_entry
from archive.store import ImageStore


def version_after(session: Session, ware_id: int, event_id: int) -> dict[str, Any] | None:
    """The ware as it stood right after audit event ``event_id``, rebuilt from the trail."""
    state: dict[str, Any] = {}
    for event in ware_history(session, ware_id):
        state.update(event.after or {})
        if event.id == event_id:
            return state
    return None


def restorable_version(session: Session, ware: Ware, event_id: int) -> dict[str, Any]:
    """``version_after``, refused (``EditRefused``) when the event is not the ware's."""
    version = version_after(session, ware.id, event_id)
    if version is None:
        raise EditRefused("that version is not in this ware's history")
    return version


def version_entries(
    session: Session, ware: Ware, version: dict[str, Any], store: ImageStore | None
) -> list[Entry] | None:
    """The photographs of ``version`` as working-copy entries, in order, each turned, cropped
    and described as it was then; None when the version does not name its photographs.

    A photograph the ware still has keeps its id (so its row, and the exhibition details on
    it, follow); one removed since comes back from the details its removal kept, another
    ware's copy of the image, or the store, with a negative id as any photograph new to a
    copy. ``store`` renders a turn or crop that differs from the photograph's now."""
    names = version.get("photographs")
    if not isinstance(names, list):
        return None
    details = version.get(PHOTO_DETAILS)
    details = details if isinstance(details, list) else []
    entries: list[Entry] = []
    for index, name in enumerate(names):
        view, _, prefix = str(name).partition(" ")
        if any(entry["sha256"].startswith(prefix) for entry in entries):
            continue  # the same image twice: kept once, as the record would
        photo = next((item for item in ware.photographs if item.sha256.startswith(prefix)), None)
        if photo is not None:
            entry = entry_of(photo)
        else:
            entry = _kept_entry(session, ware.id, prefix, store)
            entry["id"] = min([0, *(other["id"] for other in entries)]) - 1
        if view in PhotoView._value2member_map_:
            entry["view"] = view
        shown = details[index] if index < len(details) else None
        if isinstance(shown, dict) and shown.get("photo") == prefix:
            _show_as_then(entry, shown, store)
        entry["position"] = len(entries)
        entries.append(entry)
    return entries


def _show_as_then(entry: Entry, details: dict[str, Any], store: ImageStore | None) -> None:
    """Give ``entry`` the turn, crop and texts a version's ``photograph_details`` recorded
    (they list only what was set: a text missing from them was empty)."""
    for name in PHOTO_TEXT_FIELDS:
        entry[name] = details.get(name) or None
    then = Rendition.stored(details.get("rotation"), details.get("crop"))
    if then != Rendition.stored(entry.get("rotation"), entry.get("crop")):
        if store is None:
            raise EditRefused("the image store is needed to turn or crop a photograph")
        show_entry(store, entry, then)


def _kept_entry(session: Session, ware_id: int, prefix: str, store: ImageStore | None) -> Entry:
    """A photograph no longer on the ware, found by its digest prefix: as the ware's history
    kept it when it left, else from another ware's copy of the same image, else from the store
    itself (which keeps every image it was given)."""
    detail = _kept_detail(session, ware_id, prefix, store)
    if detail is None:
        raise EditRefused(f"the photograph {prefix} is no longer in the image store")
    entry = {column: detail.get(column) for column in PHOTO_COLUMNS}
    entry["rotation"] = entry["rotation"] or 0  # kept before photographs could be turned
    entry["image_key"] = entry["image_key"] or entry["sha256"]
    entry["view"] = detail.get("view") or PhotoView.FRONT.value
    return entry


def _kept_detail(
    session: Session, ware_id: int, prefix: str, store: ImageStore | None
) -> dict[str, Any] | None:
    for event in reversed(ware_history(session, ware_id)):
        for detail in (event.before or {}).get(PHOTO_DETAILS) or []:
            if detail["sha256"].startswith(prefix):
                return detail
    twin = session.scalar(
        select(Photograph).where(Photograph.sha256.startswith(prefix, autoescape=True)).limit(1)
    )
    if twin is not None:
        return {column: getattr(twin, column) for column in PHOTO_COLUMNS[:6]}
    if store is None:
        return None
    stored = store.find(prefix)
    return None if stored is None else photograph_values(stored)


def restore_version(
    session: Session,
    ware: Ware,
    event_id: int,
    *,
    maker_for: Callable[[str], Maker],
    collection_for: Callable[[str], Collection | None],
    actor: str,
    user_id: int | None,
    store: ImageStore | None = None,
) -> bool:
    """Write the record and its photographs as they were after ``event_id`` into the ware at
    once (not its status or deletion): for a ware that is not public. Returns whether anything
    changed; one ``restore_version`` event, whose Undo is restoring the version before."""
    version = restorable_version(session, ware, event_id)
    fields = {key: version[key] for key in RESTORABLE_FIELDS if key in version}
    makers = ware_makers(ware)
    if "makers" in version:
        makers = [
            MakerCredit(maker_for(name), MakerRole(role), qualifier)
            for name, role, qualifier in version["makers"]
        ]
    collection = ware.collection
    if "collection" in version:
        name = version["collection"]
        collection = collection_for(name) if name else None
    entries = version_entries(session, ware, version, store)
    change = Change(ware, actor=actor, user_id=user_id)
    if version.get("accession_number"):
        accession = version["accession_number"]
        if accession_taken(session, ware.institution_id, accession, ware.id):
            raise EditRefused(f"another ware now has the accession number {accession}")
        ware.accession_number = accession
    apply_values(ware, fields, makers, collection)
    left: list[Photograph] = []
    if entries is not None:
        left = apply_photographs(session, store, ware, entries)
    return change.record(session, "restore_version", left=left) is not None
