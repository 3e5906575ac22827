"""The photographs of a published ware's working copy on the curating pages: which changes go
there rather than to the ware, how the copy's photographs are shown (marked as pending, with
previews from the store) and the preview route. The copy itself is ``archive.pending_photos``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import abort, send_file, url_for
from werkzeug.wrappers import Response

from archive.curation import WareDraft
from archive.imaging import DERIVATIVE_SIZES
from archive.models import AuditEvent, PhotoView, Ware, WareStatus
from archive.pending_photos import Entry, copy_entries, image_keys, record_entries
from archive.working_copies import save_copy_photographs, working_copy
from web.auth import Rule, access
from web.curate.access import actor, editable_ware
from web.curate.blueprint import curate
from web.curate.forms import WareForm
from web.views.context import app_state, db_session


def in_working_copy(ware: Ware) -> bool:
    """Whether a photograph change of ``ware`` goes to its working copy: while the ware is
    public, and while a copy already holds photograph changes (so they stay together)."""
    if ware.status is WareStatus.PUBLISHED and ware.deleted_at is None:
        return True
    draft = working_copy(db_session(), ware.id)
    return draft is not None and draft.photographs is not None


def change_copy_photos(
    ware: Ware,
    edit: Callable[[list[Entry]], Any],
    action: str,
    *,
    removed: Entry | None = None,
) -> AuditEvent | None:
    """Apply ``edit`` to the copy's photographs (a list it changes in place), keep them in the
    copy (audited as ``action``; ``removed``, an entry it takes out, kept in the event) and
    commit; returns the event, None when the copy's photographs did not change."""
    session = db_session()
    draft = working_copy(session, ware.id)
    entries = copy_entries(ware, draft)
    before = copy_entries(ware, draft)
    edit(entries)
    entries = [{**entry, "position": n} for n, entry in enumerate(entries)]
    if entries == before:
        return None
    email, user_id = actor()
    event = save_copy_photographs(
        session,
        ware.id,
        entries,
        record=record_entries(ware),
        current=WareForm.of_ware(ware).typed(),
        actor=email,
        user_id=user_id,
        action=action,
        removed=removed,
    )
    session.commit()
    return event


@dataclass
class CopyPhoto:
    """A photograph of the working copy as the ware page shows it (the names a Photograph
    has, so one template shows both), with what is pending about it."""

    ware: Ware
    entry: Entry
    pending: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("entry", "ware", "pending"):
            raise AttributeError(name)  # Python's and Jinja's own questions, and unset fields
        return self.entry.get(name)

    @property
    def view(self) -> PhotoView:
        return PhotoView(self.entry.get("view") or PhotoView.FRONT.value)

    @property
    def rights(self) -> str | None:
        return self.entry.get("licence") or self.ware.rights

    @property
    def rights_inherited(self) -> bool:
        return not self.entry.get("licence") and bool(self.ware.rights)

    @property
    def thumb_url(self) -> str:
        key = self.entry.get("image_key") or self.entry["sha256"]
        return url_for("curate.copy_photo_image", ware_id=self.ware.id, key=key, size="thumb")


# What differs between a copy's photograph and the published one, as the page names it.
_CHANGES = (
    (("rotation", "crop"), "turned or cropped"),
    (("view",), "view"),
    (("caption_en", "caption_zh", "alt_en", "alt_zh"), "caption or alt text"),
    (("photographer", "licence", "attribution"), "photographer, licence or credit"),
    (("position",), "position"),
)


def copy_photos(ware: Ware, draft: WareDraft | None) -> tuple[list[CopyPhoto], list[Entry]]:
    """The copy's photographs marked with what is pending about each, and the published
    photographs the copy removes; ``([], [])`` when the copy leaves the photographs alone."""
    if draft is None or draft.photographs is None:
        return [], []
    published = {entry["id"]: entry for entry in record_entries(ware)}
    shown = []
    for entry in draft.photographs:
        old = published.get(entry.get("id"))
        if old is None:
            pending = ["new"]
        else:
            pending = [
                label
                for names, label in _CHANGES
                if any(old.get(name) != entry.get(name) for name in names)
            ]
        shown.append(CopyPhoto(ware, entry, pending))
    kept = {entry.get("id") for entry in draft.photographs}
    removed = [entry for photo_id, entry in published.items() if photo_id not in kept]
    return shown, removed


@curate.get("/wares/<int:ware_id>/working-copy/photos/<key>/<size>.jpg")
@access(Rule.SIGNED_IN)
def copy_photo_image(ware_id: int, key: str, size: str) -> Response:
    """A preview of a photograph in the ware's working copy (not public: only the accounts that
    may edit the ware see it, and never from a shared cache)."""
    ware = editable_ware(ware_id)
    if size not in DERIVATIVE_SIZES or key not in image_keys(working_copy(db_session(), ware.id)):
        abort(404)
    path = app_state().store.derivative_path(key, size)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=0)
