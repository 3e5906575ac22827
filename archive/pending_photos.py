"""Photograph changes kept in a published ware's working copy until they are published.

While a ware is public, adding, removing, reordering, describing, turning or cropping its
photographs changes the working copy (``WareDraft.photographs``), not the ware: the public doors
read only the ware's ``photograph`` rows, so they keep showing the published photographs. A new
photograph's bytes are in the content-addressed store from the upload on (storing is not
publishing: the public image routes serve only photographs of published wares).

The copy holds the whole list as publishing will make it, each photograph an *entry*: its values
as ``archive.editing.photo_detail`` gives them, with ``id`` the photograph's id for one the ware
has and a negative number for one added in the copy (so the curating routes name both alike).
``archive.editing.edit_ware(..., photographs=)`` makes the ware's photographs those entries in
the publishing event; discarding the copy drops them.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from archive.catalogue import photograph_values
from archive.curation import WareDraft
from archive.editing import (
    PHOTO_COLUMNS,
    EditRefused,
    checked_photo_text,
    photo_detail,
    photo_details,
)
from archive.imaging import Rendition
from archive.models import Photograph, PhotoView, Ware
from archive.store import ImageStore, StoredImage

Entry = dict[str, Any]


def entry_of(photo: Photograph) -> Entry:
    """A photograph of the ware as a working copy's entry."""
    return photo_detail(photo) | {"id": photo.id}


def record_entries(ware: Ware) -> list[Entry]:
    """The ware's photographs now, as entries."""
    return [entry_of(photo) for photo in ware.photographs]


def copy_entries(ware: Ware, draft: WareDraft | None) -> list[Entry]:
    """The photographs as the working copy would publish them (a fresh list to change)."""
    if draft is not None and draft.photographs is not None:
        return copy.deepcopy(draft.photographs)
    return record_entries(ware)


def renumbered(entries: Sequence[Entry]) -> list[Entry]:
    return [{**entry, "position": position} for position, entry in enumerate(entries)]


def find_entry(entries: Sequence[Entry], photo_id: int) -> Entry | None:
    return next((entry for entry in entries if entry.get("id") == photo_id), None)


def add_entry(
    entries: list[Entry],
    stored: StoredImage,
    *,
    view: PhotoView,
    original_filename: str | None,
    photographer: str | None = None,
    licence: str | None = None,
    attribution: str | None = None,
) -> Entry | None:
    """Add a stored image at the end; None when the copy already has this image."""
    if any(entry["sha256"] == stored.sha256 for entry in entries):
        return None
    values = photograph_values(
        stored,
        original_filename=original_filename,
        photographer=photographer,
        licence=licence,
        attribution=attribution,
    )
    entry = {column: values.get(column) for column in PHOTO_COLUMNS}
    entry.update(
        rotation=0,
        view=view.value,
        position=len(entries),
        id=min([0, *(other.get("id") or 0 for other in entries)]) - 1,
    )
    entries.append(entry)
    return entry


def remove_entry(entries: list[Entry], photo_id: int) -> Entry | None:
    entry = find_entry(entries, photo_id)
    if entry is not None:
        entries.remove(entry)
    return entry


def put_back_entry(entries: list[Entry], entry: Entry) -> bool:
    """Put a removed entry back where it was, unless the copy has its image again."""
    if any(other["sha256"] == entry["sha256"] for other in entries):
        return False
    entries.insert(min(entry.get("position", len(entries)), len(entries)), dict(entry))
    return True


def arrange_entries(
    entries: list[Entry],
    order: Sequence[int],
    views: dict[int, PhotoView],
    texts: dict[int, dict[str, str | None]],
) -> None:
    """Put the entries in ``order`` (ids) and set their views and texts, as
    ``archive.editing.arrange_photographs`` does a ware's photographs."""
    by_id = {entry["id"]: entry for entry in entries}
    if sorted(order) != sorted(by_id):
        raise EditRefused("the order must list each photograph of the ware once")
    arranged = []
    for photo_id in order:
        entry = by_id[photo_id]
        if photo_id in views:
            entry["view"] = views[photo_id].value
        for name, value in texts.get(photo_id, {}).items():
            entry[name] = checked_photo_text(name, value)
        arranged.append(entry)
    entries[:] = arranged


def show_entry(store: ImageStore, entry: Entry, rendition: Rendition) -> None:
    """Show the entry's photograph turned and cropped as ``rendition`` says (its derivatives
    are made in the store under the rendition's key; the original stays whole)."""
    try:
        rendered = store.render(entry["sha256"], entry["format"], rendition)
    except ValueError as refusal:
        raise EditRefused(str(refusal)) from None
    entry.update(
        rotation=rendered.rendition.rotation,
        crop=rendered.rendition.crop_text,
        image_key=rendered.key,
        width=rendered.width,
        height=rendered.height,
        phash=rendered.phash,
    )


def entries_snapshot(entries: Sequence[Entry]) -> dict[str, Any]:
    """The entries as the history names photographs (``archive.editing.full_snapshot``)."""
    return {
        "photographs": [f"{entry['view']} {entry['sha256'][:12]}" for entry in entries],
        "photograph_details": [photo_details(_as_photo(entry)) for entry in entries],
    }


def _as_photo(entry: Entry) -> Any:
    # photo_details reads attributes; an entry has the same names as keys.
    return SimpleNamespace(**{name: entry.get(name) for name in PHOTO_COLUMNS})


def image_keys(draft: WareDraft | None) -> set[str]:
    """The image keys (and digests) of a working copy's photographs, for its previews."""
    if draft is None or draft.photographs is None:
        return set()
    keys = set()
    for entry in draft.photographs:
        keys.update(value for value in (entry.get("image_key"), entry["sha256"]) if value)
    return keys
