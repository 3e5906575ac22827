"""Curating operations on one ware: create, edit, status changes, soft delete and photographs
(restoring an earlier version is ``archive.restoring``). Every change writes an AuditEvent
holding what changed, before and after, and who made it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.catalogue import (
    WARE_FIELDS,
    MakerCredit,
    attach_photograph,
    record_audit,
    ware_snapshot,
)
from archive.exhibitions import ExhibitionItem
from archive.holds import held_ware_ids
from archive.imaging import Rendition, parse_box
from archive.models import (
    AuditEvent,
    Collection,
    Institution,
    MakerRole,
    Photograph,
    PhotoView,
    Ware,
    WareMaker,
    WareStatus,
    utcnow,
)
from archive.store import ImageStore, StoredImage

# Restoring a version brings back the record, never its publication state or deletion: those
# have their own actions (and rules about who may take them).
RESTORABLE_FIELDS = tuple(field for field in WARE_FIELDS if field != "status")


STATUS_ACTIONS = {
    WareStatus.DRAFT: "return_to_draft",
    WareStatus.SUBMITTED: "submit",
    WareStatus.PUBLISHED: "publish",
    WareStatus.REJECTED: "reject",
}


# The key under which an event's ``before`` keeps the full details of photographs it took off
# a ware (the snapshot names them only by view and digest prefix).
PHOTO_DETAILS = "photograph_details"
# What is kept of such a photograph: everything but its ware, id and position.
PHOTO_COLUMNS = (
    "sha256",
    "format",
    "width",
    "height",
    "byte_size",
    "phash",
    "original_filename",
    "photographer",
    "licence",
    "attribution",
    "rotation",
    "crop",
    "image_key",
    "caption_en",
    "caption_zh",
    "alt_en",
    "alt_zh",
)


class EditRefused(ValueError):
    """An edit that cannot be made; the message says why."""


def photo_detail(photo: Photograph) -> dict[str, Any]:
    """A photograph as plain values, enough to attach it again from the content-addressed store."""
    return {column: getattr(photo, column) for column in PHOTO_COLUMNS} | {
        "view": photo.view.value,
        "position": photo.position,
    }


def full_snapshot(ware: Ware) -> dict[str, Any]:
    """What the history compares: the record, its accession number, deletion and photographs."""
    snapshot = ware_snapshot(ware)
    snapshot["accession_number"] = ware.accession_number
    snapshot["deleted"] = ware.deleted_at is not None
    snapshot["photographs"] = [
        f"{photo.view.value} {photo.sha256[:12]}" for photo in ware.photographs
    ]
    snapshot["photograph_details"] = [photo_details(photo) for photo in ware.photographs]
    return snapshot


# What a curator writes about each photograph (audited with the ware).
PHOTO_TEXT_FIELDS = (
    "caption_en",
    "caption_zh",
    "alt_en",
    "alt_zh",
    "photographer",
    "licence",
    "attribution",
)
# The column lengths of those that have one (refused with a clear word, never cut short).
PHOTO_TEXT_LIMITS = {
    "alt_en": 500,
    "alt_zh": 500,
    "photographer": 300,
    "licence": 300,
    "attribution": 500,
}


def photo_details(photo: Photograph) -> dict[str, Any]:
    """A photograph's turn, crop and texts as the history keeps them: the digest's first 12
    digits name it (and, once turned or cropped, ``image`` those of what is shown)."""
    details: dict[str, Any] = {"photo": photo.sha256[:12]}
    if photo.image_key and photo.image_key != photo.sha256:
        details["image"] = photo.image_key[:12]
    if photo.rotation:
        details["rotation"] = photo.rotation
    if photo.crop:
        details["crop"] = photo.crop
    for name in PHOTO_TEXT_FIELDS:
        value = getattr(photo, name)
        if value:
            details[name] = value
    return details


class Change:
    """Collects one change to a ware and writes its audit event with only what changed."""

    def __init__(self, ware: Ware, *, actor: str, user_id: int | None) -> None:
        self.ware = ware
        self.actor = actor
        self.user_id = user_id
        self.before = full_snapshot(ware)

    def record(
        self, session: Session, action: str, *, left: Sequence[Photograph] = ()
    ) -> AuditEvent | None:
        """Write the event if anything changed; returns it (None when nothing changed).

        ``left`` are photographs this change took off the ware: their details go into the
        event, so an undo or a restore can bring each back as it was.
        """
        session.flush()
        after = full_snapshot(self.ware)
        changed = sorted(key for key in after if self.before.get(key) != after[key])
        if not changed:
            return None
        before = {key: self.before.get(key) for key in changed}
        if left:
            before[PHOTO_DETAILS] = [photo_detail(photo) for photo in left]
        return record_audit(
            session,
            actor=self.actor,
            user_id=self.user_id,
            action=action,
            entity_type="ware",
            entity_id=self.ware.id,
            before=before,
            after={key: after[key] for key in changed},
        )


def accession_taken(
    session: Session, institution_id: int, accession: str, ware_id: int | None
) -> bool:
    """Whether another ware of the institution already has this accession number."""
    query = select(Ware.id).where(
        Ware.institution_id == institution_id, Ware.accession_number == accession
    )
    if ware_id is not None:
        query = query.where(Ware.id != ware_id)
    return session.scalar(query) is not None


def create_ware(
    session: Session,
    *,
    institution: Institution,
    accession_number: str,
    fields: dict[str, Any],
    makers: Sequence[MakerCredit],
    collection: Collection | None,
    actor: str,
    user_id: int | None,
) -> Ware:
    """A new draft ware; refuses an accession number the institution already uses."""
    if accession_taken(session, institution.id, accession_number, None):
        raise EditRefused(f"{institution.name} already has a ware {accession_number}")
    ware = Ware(institution=institution, accession_number=accession_number)
    session.add(ware)
    apply_values(ware, fields, makers, collection)
    ware.status = WareStatus.DRAFT
    session.flush()
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="create",
        entity_type="ware",
        entity_id=ware.id,
        before=None,
        after=full_snapshot(ware),
    )
    return ware


def edit_ware(
    session: Session,
    ware: Ware,
    *,
    accession_number: str,
    fields: dict[str, Any],
    makers: Sequence[MakerCredit],
    collection: Collection | None,
    actor: str,
    user_id: int | None,
    action: str = "update",
    photographs: Sequence[dict[str, Any]] | None = None,
    store: ImageStore | None = None,
) -> bool:
    """Change the record of ``ware``; returns whether anything changed. ``action`` names the
    event ("publish_working_copy" when a curator's pending changes go live). ``photographs``
    (a working copy's, ``archive.pending_photos`` entries) become the ware's photographs in
    the same event; ``store`` lets exhibition details follow a turn or crop."""
    if accession_taken(session, ware.institution_id, accession_number, ware.id):
        raise EditRefused(f"another ware already has the accession number {accession_number}")
    change = Change(ware, actor=actor, user_id=user_id)
    ware.accession_number = accession_number
    apply_values(ware, fields, makers, collection)
    left: list[Photograph] = []
    if photographs is not None:
        left = apply_photographs(session, store, ware, photographs)
    return change.record(session, action, left=left) is not None


# What a working copy may change of a photograph the ware already has.
_SHOWN_COLUMNS = ("rotation", "crop", "image_key", "width", "height", "phash")


def apply_photographs(
    session: Session, store: ImageStore | None, ware: Ware, entries: Sequence[dict[str, Any]]
) -> list[Photograph]:
    """Make the ware's photographs those of ``entries`` (each the values of a photograph and,
    for one the ware has, its ``id``), in their order; returns the ones taken off. A photograph
    the ware has kept its row (so exhibition details and the indexes follow it)."""
    by_id = {photo.id: photo for photo in ware.photographs}
    by_digest = {photo.sha256: photo for photo in ware.photographs}
    shown = {photo.id: photo.image_key for photo in ware.photographs}
    wanted: list[Photograph] = []
    for entry in entries:
        photo = by_id.get(entry.get("id")) or by_digest.get(entry["sha256"])
        if photo is None:
            photo = _photograph_of(entry)
        elif photo in wanted:
            continue  # the same image twice: kept once
        else:
            before = Rendition.stored(photo.rotation, photo.crop)
            after = Rendition.stored(entry.get("rotation"), entry.get("crop"))
            if after != before and store is not None:
                _follow_regions(session, store, photo, before, after)
            for name in (*_SHOWN_COLUMNS, *PHOTO_TEXT_FIELDS):
                if name in entry:
                    setattr(photo, name, entry[name])
            photo.rotation = photo.rotation or 0
            photo.image_key = photo.image_key or photo.sha256
        view = entry.get("view")
        if view in PhotoView._value2member_map_:
            photo.view = PhotoView(view)
        wanted.append(photo)
    left = [photo for photo in ware.photographs if photo not in wanted]
    moved = wanted != list(ware.photographs)
    if moved:
        ware.photographs[:] = wanted
    if moved or any(shown.get(photo.id) != photo.image_key for photo in wanted):
        # What harvesters see changed (photographs, or how one is shown).
        _renumber(ware)
    return left


def apply_values(
    ware: Ware,
    fields: dict[str, Any],
    makers: Sequence[MakerCredit],
    collection: Collection | None,
) -> None:
    """Set the record's ``fields``, makers and collection (no audit: the caller's ``Change``
    records it)."""
    unknown = set(fields) - set(RESTORABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable ware fields: {', '.join(sorted(unknown))}")
    for field, value in fields.items():
        setattr(ware, field, value)
    ware.collection = collection
    wanted = [(credit.maker.id, credit.role, credit.qualifier) for credit in makers]
    if wanted == [(link.maker_id, link.role, link.qualifier) for link in ware.makers]:
        return
    ware.makers.clear()
    seen: set[tuple[int, MakerRole]] = set()
    for credit in makers:
        if (credit.maker.id, credit.role) in seen:
            continue
        seen.add((credit.maker.id, credit.role))
        ware.makers.append(
            WareMaker(
                maker=credit.maker,
                role=credit.role,
                qualifier=credit.qualifier,
                position=len(seen) - 1,
            )
        )


def set_status(
    session: Session, ware: Ware, status: WareStatus, *, actor: str, user_id: int | None
) -> bool:
    """Move ``ware`` to ``status``; publishing needs a rights statement, and no hold for a
    copied photograph (``archive.holds``: the review queue releases it)."""
    if status is WareStatus.PUBLISHED and not (ware.rights or "").strip():
        raise EditRefused("a licence or rights statement is required to publish")
    if status is WareStatus.PUBLISHED and held_ware_ids(session, [ware.id]):
        raise EditRefused(
            "held for review: a photograph copies another ware's; approve it in the review queue"
        )
    change = Change(ware, actor=actor, user_id=user_id)
    ware.status = status
    return change.record(session, STATUS_ACTIONS[status]) is not None


def soft_delete(session: Session, ware: Ware, *, actor: str, user_id: int | None) -> bool:
    """Withdraw ``ware`` from everything but the curators' bin; it can be restored."""
    change = Change(ware, actor=actor, user_id=user_id)
    if ware.deleted_at is None:
        ware.deleted_at = utcnow()
    return change.record(session, "delete") is not None


def undelete(session: Session, ware: Ware, *, actor: str, user_id: int | None) -> bool:
    """Bring a soft-deleted ware back with the status it had."""
    change = Change(ware, actor=actor, user_id=user_id)
    ware.deleted_at = None
    return change.record(session, "restore") is not None


def add_photograph(
    session: Session,
    ware: Ware,
    stored: StoredImage,
    *,
    view: PhotoView,
    original_filename: str | None,
    actor: str,
    user_id: int | None,
    photographer: str | None = None,
    licence: str | None = None,
    attribution: str | None = None,
) -> bool:
    """Attach a stored image to ``ware``; returns False when it already had this image."""
    change = Change(ware, actor=actor, user_id=user_id)
    _, added = attach_photograph(
        session,
        ware,
        stored,
        view=view,
        original_filename=original_filename,
        photographer=photographer,
        licence=licence,
        attribution=attribution,
    )
    change.record(session, "add_photograph")
    return added


def remove_photograph(
    session: Session, ware: Ware, photo: Photograph, *, actor: str, user_id: int | None
) -> AuditEvent | None:
    """Take a photograph off ``ware``; the file stays in the content-addressed store and the
    event keeps its details, so ``undo_photograph_removal`` can put it back."""
    change = Change(ware, actor=actor, user_id=user_id)
    ware.photographs.remove(photo)
    for position, remaining in enumerate(ware.photographs):
        remaining.position = position
    return change.record(session, "remove_photograph", left=[photo])


def undo_photograph_removal(
    session: Session, ware: Ware, event_id: int, *, actor: str, user_id: int | None
) -> bool:
    """Put back the photographs that event ``event_id`` took off ``ware``, where they were and
    as they were; returns whether anything came back (False when they are there again)."""
    event = session.get(AuditEvent, event_id)
    if event is None or event.entity_type != "ware" or event.entity_id != ware.id:
        raise EditRefused("that change is not in this ware's history")
    details = (event.before or {}).get(PHOTO_DETAILS) or []
    if not details:
        raise EditRefused("that change took no photograph off the ware")
    change = Change(ware, actor=actor, user_id=user_id)
    present = {photo.sha256 for photo in ware.photographs}
    for detail in sorted(details, key=lambda item: item.get("position", 0)):
        if detail["sha256"] in present:
            continue
        photo = _photograph_of(detail)
        ware.photographs.insert(min(detail.get("position", 0), len(ware.photographs)), photo)
    _renumber(ware)
    return change.record(session, "undo_remove_photograph") is not None


def _photograph_of(detail: dict[str, Any]) -> Photograph:
    view = detail.get("view")
    values = {column: detail.get(column) for column in PHOTO_COLUMNS}
    # Details kept before photographs could be turned and cropped: shown as contributed.
    values["rotation"] = values["rotation"] or 0
    if not values["image_key"]:
        del values["image_key"]
    return Photograph(
        **values,
        view=PhotoView(view) if view in PhotoView._value2member_map_ else PhotoView.FRONT,
        created_at=utcnow(),
    )


def _renumber(ware: Ware) -> None:
    for position, photo in enumerate(ware.photographs):
        photo.position = position
    # The record harvesters see changed with its photographs, so its datestamp moves on.
    ware.updated_at = utcnow()


def arrange_photographs(
    session: Session,
    ware: Ware,
    order: Sequence[int],
    views: dict[int, PhotoView],
    *,
    actor: str,
    user_id: int | None,
    texts: dict[int, dict[str, str | None]] | None = None,
) -> bool:
    """Put the photographs in ``order`` (ids; the first is the main one), set their views and,
    given ``texts`` (by photograph id: any of ``PHOTO_TEXT_FIELDS``), their captions, alt text,
    photographer, licence and credit; one audit event for the lot."""
    by_id = {photo.id: photo for photo in ware.photographs}
    if sorted(order) != sorted(by_id):
        raise EditRefused("the order must list each photograph of the ware once")
    change = Change(ware, actor=actor, user_id=user_id)
    for position, photo_id in enumerate(order):
        photo = by_id[photo_id]
        photo.position = position
        photo.view = views.get(photo_id, photo.view)
        for name, value in (texts or {}).get(photo_id, {}).items():
            setattr(photo, name, checked_photo_text(name, value))
    ware.photographs.sort(key=lambda photo: photo.position)
    return change.record(session, "arrange_photographs") is not None


def checked_photo_text(name: str, value: str | None) -> str | None:
    """A photograph's text as stored (None for empty); refuses one over its column's length."""
    if name not in PHOTO_TEXT_FIELDS:
        raise ValueError(f"not a photograph text: {name}")
    limit = PHOTO_TEXT_LIMITS.get(name)
    if value and limit and len(value) > limit:
        raise EditRefused(f"at most {limit} characters for a photograph's {name}")
    return value or None


def show_photograph(
    session: Session,
    store: ImageStore,
    ware: Ware,
    photo: Photograph,
    rendition: Rendition,
    *,
    actor: str,
    user_id: int | None,
) -> bool:
    """Show ``photo`` turned and cropped as ``rendition`` says (the identity rendition shows it
    as contributed again: every turn and crop is undone this way). The original stays as it
    is; the derivatives are made under the rendition's key, and changing the key logs the
    photograph for the indexes to describe afresh (``archive.index_log``). Raises
    ``EditRefused`` for a crop outside the photograph; returns whether anything changed."""
    if photo not in ware.photographs:
        raise EditRefused("that photograph is not one of this ware's")
    try:
        rendered = store.render(photo.sha256, photo.format, rendition)
    except ValueError as refusal:
        raise EditRefused(str(refusal)) from None
    change = Change(ware, actor=actor, user_id=user_id)
    before = Rendition.stored(photo.rotation, photo.crop)
    if rendered.rendition != before:
        _follow_regions(session, store, photo, before, rendered.rendition)
    photo.rotation = rendered.rendition.rotation
    photo.crop = rendered.rendition.crop_text
    photo.image_key = rendered.key
    photo.width, photo.height, photo.phash = rendered.width, rendered.height, rendered.phash
    if rendered.rendition == before:
        return False
    # What harvesters see of the ware changed: its datestamp moves on.
    ware.updated_at = utcnow()
    return change.record(session, "show_photograph")


def _follow_regions(
    session: Session, store: ImageStore, photo: Photograph, before: Rendition, after: Rendition
) -> None:
    """Exhibition details are regions of a photograph as shown: they follow it through a turn
    or crop, so they still frame the same part of the object (cut to the new crop; the whole
    photograph where the crop leaves none of the detail)."""
    items = session.scalars(
        select(ExhibitionItem).where(
            ExhibitionItem.photograph_id == photo.id, ExhibitionItem.region.is_not(None)
        )
    ).all()
    if not items:
        return
    upright = store.upright_size(photo.sha256, photo.format)
    for item in items:
        try:
            box = parse_box(item.region or "")
        except ValueError:
            continue  # not a region this code wrote: left as it is
        moved = after.box_from_upright(before.box_to_upright(box, upright), upright)
        item.region = None if moved is None else ",".join(str(value) for value in moved)


def turn_photograph(
    session: Session,
    store: ImageStore,
    ware: Ware,
    photo: Photograph,
    quarter: int,
    *,
    actor: str,
    user_id: int | None,
) -> bool:
    """Turn ``photo`` a further ``quarter`` (90, 180, 270) degrees clockwise, its crop too."""
    turned = turned_rendition(
        store, photo.sha256, photo.format, photo.rotation, photo.crop, quarter
    )
    return show_photograph(session, store, ware, photo, turned, actor=actor, user_id=user_id)


def turned_rendition(
    store: ImageStore, sha256: str, extension: str, rotation: int, crop: str | None, quarter: int
) -> Rendition:
    """The rendition of a photograph shown as (``rotation``, ``crop``) turned a further
    ``quarter`` clockwise, its crop turning with it."""
    upright = store.upright_size(sha256, extension)
    return Rendition.stored(rotation, crop).turned(quarter, upright)


def ware_history(session: Session, ware_id: int) -> list[AuditEvent]:
    """The audit events of one ware, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "ware", AuditEvent.entity_id == ware_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def ware_makers(ware: Ware) -> list[MakerCredit]:
    """The ware's current maker credits."""
    return [MakerCredit(link.maker, link.role, link.qualifier) for link in ware.makers]
