"""Catalogue operations the other packages call: find-or-create, upsert with audit, photographs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, defer, joinedload, object_session, selectinload

from archive.db import in_chunks
from archive.models import (
    AuditEvent,
    Collection,
    Institution,
    Maker,
    MakerName,
    MakerRole,
    Photograph,
    PhotoView,
    Ware,
    WareMaker,
    WareStatus,
    utcnow,
)
from archive.portable_text import fit_row
from archive.store import StoredImage
from archive.workbench import MakerMerge

# The ware fields a source record may set; anything else stays in ``Ware.source_record``.
WARE_FIELDS: tuple[str, ...] = (
    "title_en",
    "title_zh",
    "object_type",
    "description_en",
    "description_zh",
    "place",
    "date_text",
    "year_earliest",
    "year_latest",
    "period",
    "material",
    "technique",
    "pattern",
    "marks",
    "dimensions_text",
    "height_cm",
    "width_cm",
    "depth_cm",
    "diameter_cm",
    "credit_line",
    "provenance",
    "rights",
    "status",
)


@dataclass(frozen=True)
class MakerCredit:
    """A maker's part in a ware, resolved to a Maker row."""

    maker: Maker
    role: MakerRole = MakerRole.MAKER
    qualifier: str | None = None


def get_or_create_institution(session: Session, name: str) -> Institution:
    """The institution called ``name``, created on first use."""
    institution = session.scalar(select(Institution).where(Institution.name == name))
    if institution is None:
        institution = Institution(name=name)
        session.add(institution)
        session.flush()
    return institution


def get_or_create_collection(session: Session, institution: Institution, name: str) -> Collection:
    """The collection ``name`` of ``institution``, created on first use."""
    collection = session.scalar(
        select(Collection).where(
            Collection.institution_id == institution.id, Collection.name == name
        )
    )
    if collection is None:
        collection = Collection(institution=institution, name=name)
        session.add(collection)
        session.flush()
    return collection


def get_or_create_maker(session: Session, name: str, key: str, **details: Any) -> Maker:
    """The maker whose normalised ``key`` matches; a new spelling of it is kept as an alias.

    The caller computes ``key`` (ingest owns name normalisation), so variants of one name merge.
    """
    maker = session.scalar(select(Maker).where(Maker.key == key))
    if maker is None:
        maker = merged_into(session, [key]).get(key)
    if maker is None:
        maker = Maker(key=key, name=name, **{k: v for k, v in details.items() if v is not None})
        session.add(maker)
        session.flush()
        return maker
    if name != maker.name and all(alias.name != name for alias in maker.aliases):
        maker.aliases.append(MakerName(name=name))
    for field, value in details.items():
        if value is not None and getattr(maker, field) is None:
            setattr(maker, field, value)
    return maker


def merged_into(session: Session, keys: Sequence[str]) -> dict[str, Maker]:
    """The makers that the makers once keyed ``keys`` were merged into (merges not undone)."""
    found: dict[str, Maker] = {}
    for chunk in in_chunks(keys):
        rows = session.execute(
            select(MakerMerge.merged_key, Maker)
            .join(Maker, Maker.id == MakerMerge.kept_id)
            .where(MakerMerge.merged_key.in_(chunk), MakerMerge.undone_at.is_(None))
            .order_by(MakerMerge.id)
        )
        found.update((key, maker) for key, maker in rows)
    return found


def ware_snapshot(ware: Ware) -> dict[str, Any]:
    """The ware's catalogue fields and makers as plain JSON-able values (for audit and diffs)."""
    snapshot: dict[str, Any] = {field: _plain(getattr(ware, field)) for field in WARE_FIELDS}
    snapshot["collection"] = ware.collection.name if ware.collection else None
    snapshot["makers"] = [
        [credit.maker.name, credit.role.value, credit.qualifier] for credit in ware.makers
    ]
    return snapshot


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, WareStatus) else value


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    user_id: int | None = None,
) -> AuditEvent:
    """Write an AuditEvent; ``before``/``after`` hold only what changed."""
    event = AuditEvent(
        actor=actor,
        user_id=user_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    session.add(event)
    return event


def audit_created(
    session: Session,
    record: Any,
    details: dict[str, Any],
    *,
    entity_type: str,
    actor: str,
    user_id: int | None = None,
) -> None:
    """Flush the newly added ``record`` (for its id) and audit its creation with the values of
    ``details`` that are set."""
    session.flush()
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="create",
        entity_type=entity_type,
        entity_id=record.id,
        before=None,
        after={name: value for name, value in details.items() if value is not None},
    )


def changed_values(record: Any, wanted: dict[str, Any]) -> dict[str, Any]:
    """The values of ``wanted`` that differ from the record's own."""
    return {name: value for name, value in wanted.items() if getattr(record, name) != value}


def apply_audited(
    session: Session,
    record: Any,
    changes: dict[str, Any],
    *,
    entity_type: str,
    actor: str,
    user_id: int | None = None,
) -> None:
    """Set ``changes`` (from ``changed_values``) on ``record`` and audit the update with each
    changed field's value before and after."""
    before = {name: getattr(record, name) for name in sorted(changes)}
    for name, value in changes.items():
        setattr(record, name, value)
    session.flush()
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="update",
        entity_type=entity_type,
        entity_id=record.id,
        before=before,
        after={name: changes[name] for name in sorted(changes)},
    )


def check_ware_fields(fields: dict[str, Any]) -> None:
    """Refuse (ValueError) field names that are not ware fields."""
    unknown = set(fields) - set(WARE_FIELDS)
    if unknown:
        raise ValueError(f"not ware fields: {', '.join(sorted(unknown))}")


def find_ware(session: Session, institution: Institution, accession_number: str) -> Ware | None:
    """The ware (institution, accession number) with its makers loaded, if there is one."""
    return session.scalar(
        select(Ware)
        .where(Ware.institution_id == institution.id, Ware.accession_number == accession_number)
        .options(selectinload(Ware.makers).selectinload(WareMaker.maker))
    )


def find_wares(
    session: Session, institution: Institution, accession_numbers: Sequence[str]
) -> dict[str, Ware]:
    """The wares of ``institution`` with these accession numbers (makers loaded), by number."""
    found: dict[str, Ware] = {}
    for chunk in in_chunks(accession_numbers):
        query = (
            select(Ware)
            .where(Ware.institution_id == institution.id, Ware.accession_number.in_(chunk))
            .options(selectinload(Ware.makers).selectinload(WareMaker.maker))
        )
        found.update((ware.accession_number, ware) for ware in session.scalars(query))
    return found


def ware_unchanged(
    ware: Ware,
    fields: dict[str, Any],
    makers: Sequence[MakerCredit] = (),
    collection: Collection | None = None,
    source_record: dict[str, Any] | None = None,
) -> bool:
    """Whether upserting these values into ``ware`` would leave it exactly as it is."""
    for field, value in fields.items():
        if field == "status" and value:
            value = WareStatus(value)
        if getattr(ware, field) != value:
            return False
    if collection is not None and ware.collection_id != collection.id:
        return False
    if source_record is not None and ware.source_record != source_record:
        return False
    return _same_makers(ware, _credited(makers))


def upsert_ware(
    session: Session,
    *,
    institution: Institution,
    accession_number: str,
    fields: dict[str, Any],
    makers: Sequence[MakerCredit] = (),
    collection: Collection | None = None,
    source_record: dict[str, Any] | None = None,
    actor: str = "system",
    existing: Ware | None = None,
    looked_up: bool = False,
) -> tuple[Ware, str]:
    """Create or update the ware (institution, accession number); returns it and what happened.

    The outcome is ``created``, ``updated`` or ``unchanged``; a create or update writes an
    AuditEvent holding the changed fields before and after, so re-running an import is a no-op.
    A caller that has looked the ware up already (``find_wares``) passes ``looked_up=True`` and
    the ware, or None, as ``existing``.
    """
    check_ware_fields(fields)
    ware = existing if looked_up else find_ware(session, institution, accession_number)
    created = ware is None
    if ware is None:
        ware = Ware(institution=institution, accession_number=accession_number)
        session.add(ware)
        before: dict[str, Any] = {}
    else:
        before = ware_snapshot(ware)
    for field, value in fields.items():
        setattr(ware, field, WareStatus(value) if field == "status" and value else value)
    if collection is not None:
        ware.collection = collection
    if source_record is not None:
        ware.source_record = source_record
    _set_makers(ware, makers)
    session.flush()
    after = ware_snapshot(ware)
    changed = {key for key in after if before.get(key) != after[key]} if not created else set()
    if created:
        record_audit(
            session,
            actor=actor,
            action="create",
            entity_type="ware",
            entity_id=ware.id,
            before=None,
            after=after,
        )
        return ware, "created"
    if changed:
        record_audit(
            session,
            actor=actor,
            action="update",
            entity_type="ware",
            entity_id=ware.id,
            before={key: before.get(key) for key in sorted(changed)},
            after={key: after[key] for key in sorted(changed)},
        )
        return ware, "updated"
    return ware, "unchanged"


@dataclass(frozen=True)
class NewWare:
    """A ware for ``insert_wares``: what ``upsert_ware`` would be given to create it."""

    accession_number: str
    fields: dict[str, Any]
    makers: Sequence[MakerCredit] = ()
    collection: Collection | None = None
    source_record: dict[str, Any] | None = None


def insert_wares(
    session: Session, institution: Institution, wares: Sequence[NewWare], actor: str = "system"
) -> list[int]:
    """Create wares known to be new with one multi-row INSERT each for the wares, their maker
    credits and their "create" AuditEvents; returns the new ids in the order given.

    The rows are those ``upsert_ware`` would write one by one (same defaults, credits and audit
    snapshots). A failure raises for the whole set: the caller isolates the bad row.
    """
    if not wares:
        return []
    rows = []
    for new in wares:
        check_ware_fields(new.fields)
        values: dict[str, Any] = {field: None for field in WARE_FIELDS}
        values["status"] = WareStatus.DRAFT
        for field, value in new.fields.items():
            values[field] = WareStatus(value) if field == "status" and value else value
        values["institution_id"] = institution.id
        values["accession_number"] = new.accession_number
        values["collection_id"] = new.collection.id if new.collection is not None else None
        values["source_record"] = new.source_record
        fit_row(Ware.__table__, values)  # type: ignore[arg-type]
        rows.append(values)
    # Accession numbers are unique within the set, so the ids are matched by number: asking for
    # RETURNING in parameter order makes SQLite insert (and splice results) row by row.
    # Core statements on the session's connection: the ORM's bulk path adds per-row work.
    connection = session.connection()
    ware_table, credit_table, audit_table = (
        Ware.__table__,
        WareMaker.__table__,
        AuditEvent.__table__,
    )
    result = connection.execute(
        insert(ware_table).returning(ware_table.c.accession_number, ware_table.c.id), rows
    )
    by_number: dict[str, int] = {number: ware_id for number, ware_id in result}
    if len(by_number) != len(wares):
        raise ValueError("insert_wares: accession numbers must be unique within the set")
    ids = [by_number[new.accession_number] for new in wares]
    credits = []
    events = []
    for ware_id, new, values in zip(ids, wares, rows, strict=True):
        names = []
        for position, credit in _credited(new.makers):
            credits.append(
                {
                    "ware_id": ware_id,
                    "maker_id": credit.maker.id,
                    "role": credit.role,
                    "qualifier": credit.qualifier,
                    "position": position,
                }
            )
            names.append([credit.maker.name, credit.role.value, credit.qualifier])
        after = {field: _plain(values[field]) for field in WARE_FIELDS}
        after["collection"] = new.collection.name if new.collection is not None else None
        after["makers"] = names
        events.append(
            {
                "actor": actor,
                "user_id": None,
                "action": "create",
                "entity_type": "ware",
                "entity_id": ware_id,
                "before": None,
                "after": after,
            }
        )
    if credits:
        connection.execute(insert(credit_table), credits)
    connection.execute(insert(audit_table), events)
    return ids


def resolve_makers(
    session: Session, mentions: Sequence[tuple[str, str, dict[str, Any]]]
) -> dict[str, Maker]:
    """Makers for (name, key, details) mentions, as ``get_or_create_maker`` one by one would
    resolve them (in order: the first spelling of a new key names it, later ones are aliases),
    with one query for the existing ones and one flush for the new."""
    by_key: dict[str, Maker] = {}
    for keys in in_chunks(key for _, key, _ in mentions):
        query = select(Maker).where(Maker.key.in_(keys)).options(selectinload(Maker.aliases))
        by_key.update((maker.key, maker) for maker in session.scalars(query))
    missing = [key for _, key, _ in mentions if key not in by_key]
    by_key.update(merged_into(session, missing))
    resolved: dict[str, Maker] = {}
    for name, key, details in mentions:
        if name in resolved:
            continue
        maker = by_key.get(key)
        if maker is None:
            maker = Maker(key=key, name=name, **{k: v for k, v in details.items() if v is not None})
            maker.aliases = []
            session.add(maker)
            by_key[key] = maker
        else:
            if name != maker.name and all(alias.name != name for alias in maker.aliases):
                maker.aliases.append(MakerName(name=name))
            for field, value in details.items():
                if value is not None and getattr(maker, field) is None:
                    setattr(maker, field, value)
        resolved[name] = maker
    session.flush()
    return resolved


def _credited(credits: Sequence[MakerCredit]) -> list[tuple[int, MakerCredit]]:
    """The credits a ware keeps, with their positions: a maker once per role (the first)."""
    seen: set[tuple[int, MakerRole]] = set()
    kept = []
    for position, credit in enumerate(credits):
        if (credit.maker.id, credit.role) in seen:
            continue
        seen.add((credit.maker.id, credit.role))
        kept.append((position, credit))
    return kept


def _same_makers(ware: Ware, kept: list[tuple[int, MakerCredit]]) -> bool:
    wanted = [(credit.maker.id, credit.role, credit.qualifier) for _, credit in kept]
    return wanted == [(link.maker_id, link.role, link.qualifier) for link in ware.makers]


def _set_makers(ware: Ware, credits: Sequence[MakerCredit]) -> None:
    kept = _credited(credits)
    if _same_makers(ware, kept):
        return
    # The ware row itself may not change, but harvesters read its datestamp: move it on.
    ware.updated_at = utcnow()
    if ware.makers:
        ware.makers.clear()
        session = object_session(ware)
        if session is not None:
            # The old links go first: a new one may credit the same maker in the same role.
            session.flush()
    for position, credit in kept:
        ware.makers.append(
            WareMaker(
                maker=credit.maker,
                role=credit.role,
                qualifier=credit.qualifier,
                position=position,
            )
        )


class PhotoDetails(TypedDict, total=False):
    """What a catalogue records about a photograph besides the image itself."""

    view: PhotoView
    original_filename: str | None
    photographer: str | None
    licence: str | None
    attribution: str | None


def photograph_values(stored: StoredImage, **details: Unpack[PhotoDetails]) -> dict[str, Any]:
    """The Photograph columns for a stored image (all but its ware and position)."""
    return {
        "sha256": stored.sha256,
        # Shown as contributed until a curator turns or crops it (``archive.imaging.Rendition``).
        "image_key": stored.sha256,
        "format": stored.extension,
        "width": stored.width,
        "height": stored.height,
        "byte_size": stored.byte_size,
        "phash": stored.phash,
        "view": details.get("view", PhotoView.FRONT),
        "original_filename": details.get("original_filename"),
        "photographer": details.get("photographer"),
        "licence": details.get("licence"),
        "attribution": details.get("attribution"),
        "created_at": utcnow(),
    }


def attach_photograph(
    session: Session, ware: Ware, stored: StoredImage, **details: Unpack[PhotoDetails]
) -> tuple[Photograph, bool]:
    """Link a stored image to ``ware`` once; returns the photograph and whether it is new."""
    for photo in ware.photographs:
        if photo.sha256 == stored.sha256:
            return photo, False
    photo = Photograph(**photograph_values(stored, **details), position=len(ware.photographs))
    ware.photographs.append(photo)
    # A new photograph changes the record harvesters see, so its datestamp moves on.
    ware.updated_at = utcnow()
    session.flush()
    return photo, True


# What a ware's page and a result card show, in three statements: the wares with their
# institution and collection (one of each, joined into the wares' own query), their makers with
# each maker joined in, and their photographs. Loading each relation by a query of its own took
# six round trips, each costing the server process CPU on PostgreSQL. The source record (the
# row as it came, JSON) is shown nowhere a ware is displayed: it is loaded only if asked for.
_WARE_WITH_RELATIONS = (
    defer(Ware.source_record),
    selectinload(Ware.makers).joinedload(WareMaker.maker),
    selectinload(Ware.photographs),
    joinedload(Ware.institution),
    joinedload(Ware.collection),
)


def get_ware(session: Session, ware_id: int, *, public: bool = True) -> Ware | None:
    """The ware with its makers and photographs loaded; only published ones when ``public``."""
    query = (
        select(Ware)
        .where(Ware.id == ware_id, Ware.deleted_at.is_(None))
        .options(*_WARE_WITH_RELATIONS)
    )
    if public:
        query = query.where(Ware.status == WareStatus.PUBLISHED)
    return session.scalar(query)


def wares_by_ids(session: Session, ids: Sequence[int], *, public: bool = True) -> list[Ware]:
    """The wares with these ids, in the order given, skipping any that are gone or hidden."""
    if not ids:
        return []
    query = (
        select(Ware)
        .where(Ware.id.in_(list(ids)), Ware.deleted_at.is_(None))
        .options(*_WARE_WITH_RELATIONS)
    )
    if public:
        query = query.where(Ware.status == WareStatus.PUBLISHED)
    found = {ware.id: ware for ware in session.scalars(query)}
    return [found[i] for i in ids if i in found]


def photographs_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Photograph]:
    """Photographs by id (vector search answers with photograph ids)."""
    if not ids:
        return {}
    rows = session.scalars(select(Photograph).where(Photograph.id.in_(list(ids))))
    return {photo.id: photo for photo in rows}
