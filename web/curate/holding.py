"""Photographs added on the curating pages are checked for copies of other wares' photographs,
as the ingest checks an upload's (``ingest.duplicates``, ``archive.holds``): a ware that is not
published is held for review, whoever added the photograph; a published one is only flagged."""

from __future__ import annotations

from collections.abc import Sequence

from archive.holds import Copy, hold_copies
from archive.imaging import ORIENTATION_LABELS
from archive.models import Ware, WareStatus
from archive.store import StoredImage
from ingest.duplicates import DuplicateMatch, PhotoHashes
from web.views.context import db_session
from web.views.formatting import translate as _


def copy_kind(exact: bool, orientation: str) -> str:
    """How a photograph copies another, in the visitor's language: "an exact copy",
    "a near copy, turned 90° clockwise"."""
    kind = _("an exact copy") if exact else _("a near copy")
    if orientation != "same":
        kind = _("{kind}, {orientation}", kind=kind, orientation=_(ORIENTATION_LABELS[orientation]))
    return kind


def check_new_photographs(
    ware: Ware, added: Sequence[tuple[str, StoredImage]], *, actor: str, user_id: int
) -> list[tuple[str, bool]]:
    """Compare the photographs just added to ``ware`` (label, stored image) with every other
    ware's, in all eight orientations; hold the ware when it is not published. Returns a message
    per copy found, and whether the ware was held for it."""
    if not added:
        return []
    session = db_session()
    hashes = PhotoHashes.from_catalogue(session)
    found: list[tuple[str, StoredImage, DuplicateMatch]] = []
    for label, stored in added:
        match = hashes.closest(stored.orientations or stored.phash, ware.id)
        if match is not None:
            found.append((label, stored, match))
    hold = ware.status is not WareStatus.PUBLISHED
    if hold and found:
        copies = [
            Copy(ware.id, stored.sha256, m.ware_id, m.sha256, m.distance, m.orientation)
            for _label, stored, m in found
        ]
        hold_copies(session, copies, actor=actor, user_id=user_id)
    messages = []
    for label, stored, match in found:
        kind = copy_kind(match.exact(stored.sha256), match.orientation)
        accession = match.accession_number
        if hold:
            message = _(
                "{name}: held for review: it copies a photograph of {accession} ({kind}). A "
                "curator decides in the review queue.",
                name=label,
                kind=kind,
                accession=accession,
            )
        else:
            message = _(
                "{name}: possible duplicate: it copies a photograph of {accession} ({kind}).",
                name=label,
                kind=kind,
                accession=accession,
            )
        messages.append((message, hold))
    return messages
