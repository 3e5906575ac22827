"""Catalogue operations on exhibitions: compose, publish, withdraw, with an audit trail.

An exhibition is saved whole (its fields and every section with its items), the way a curator
submits its form; each save writes one audit event holding what changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.catalogue import record_audit
from archive.exhibitions import Exhibition, ExhibitionItem, ExhibitionSection, ExhibitionStatus
from archive.models import AuditEvent, Photograph, Ware, utcnow

ENTITY = "exhibition"
EXHIBITION_FIELDS = ("slug", "title_en", "title_zh", "intro_en", "intro_zh")
SECTION_FIELDS = ("heading_en", "heading_zh", "text_en", "text_zh")
ITEM_FIELDS = ("ware_id", "photograph_id", "region", "caption_en", "caption_zh")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REGION = re.compile(r"^\d+,\d+,\d+,\d+$")


class ExhibitionError(ValueError):
    """An exhibition that cannot be saved; the message says why."""


@dataclass
class ItemDraft:
    """An item as a curator gives it: a ware, optionally a photograph of it and a region."""

    ware_id: int
    photograph_id: int | None = None
    region: str | None = None
    caption_en: str | None = None
    caption_zh: str | None = None


@dataclass
class SectionDraft:
    """A section as a curator gives it."""

    heading_en: str | None = None
    heading_zh: str | None = None
    text_en: str | None = None
    text_zh: str | None = None
    items: list[ItemDraft] = field(default_factory=list)


def snapshot(exhibition: Exhibition) -> dict[str, Any]:
    """Everything a curator edits, as plain data (for the audit trail)."""
    return {
        **{name: getattr(exhibition, name) for name in EXHIBITION_FIELDS},
        "status": exhibition.status.value,
        "sections": [
            {
                **{name: getattr(section, name) for name in SECTION_FIELDS},
                "items": [
                    {name: getattr(item, name) for name in ITEM_FIELDS} for item in section.items
                ],
            }
            for section in exhibition.sections
        ],
    }


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _check(
    session: Session,
    exhibition: Exhibition | None,
    values: dict[str, Any],
    sections: list[SectionDraft],
) -> None:
    slug = values.get("slug") or ""
    if not SLUG.match(slug) or len(slug) > 100:
        raise ExhibitionError(
            "the address must be lower-case letters, digits and single hyphens, e.g. blue-and-white"
        )
    taken = session.scalar(select(Exhibition.id).where(Exhibition.slug == slug))
    if taken is not None and (exhibition is None or taken != exhibition.id):
        raise ExhibitionError(f"another exhibition already uses the address {slug}")
    if not (values.get("title_en") or values.get("title_zh")):
        raise ExhibitionError("give a title in English or Chinese")
    for section in sections:
        for item in section.items:
            ware = session.get(Ware, item.ware_id)
            if ware is None:
                raise ExhibitionError(f"there is no ware {item.ware_id}")
            if item.photograph_id is not None:
                photo = session.get(Photograph, item.photograph_id)
                if photo is None or photo.ware_id != ware.id:
                    raise ExhibitionError(
                        f"photograph {item.photograph_id} is not a photograph of ware {ware.id}"
                    )
            if item.region and not REGION.match(item.region):
                raise ExhibitionError(
                    f"the region {item.region!r} is not x,y,w,h in pixels (e.g. 100,80,400,300)"
                )


def save_exhibition(
    session: Session,
    exhibition: Exhibition | None,
    values: dict[str, Any],
    sections: list[SectionDraft],
    *,
    actor: str,
    user_id: int | None = None,
) -> Exhibition:
    """Create (``exhibition`` None) or replace an exhibition's fields and sections; audited.
    Raises ``ExhibitionError`` for a bad address, a missing title or an unknown ware."""
    _check(session, exhibition, values, sections)
    creating = exhibition is None
    before = {} if exhibition is None else snapshot(exhibition)
    if exhibition is None:
        exhibition = Exhibition(status=ExhibitionStatus.DRAFT)
        session.add(exhibition)
    for name in EXHIBITION_FIELDS:
        setattr(exhibition, name, values.get(name) or None)
    exhibition.sections = [
        ExhibitionSection(
            position=position,
            **{name: getattr(draft, name) or None for name in SECTION_FIELDS},
            items=[
                ExhibitionItem(
                    position=number,
                    ware_id=item.ware_id,
                    photograph_id=item.photograph_id,
                    region=item.region or None,
                    caption_en=item.caption_en or None,
                    caption_zh=item.caption_zh or None,
                )
                for number, item in enumerate(draft.items)
            ],
        )
        for position, draft in enumerate(sections)
    ]
    session.flush()
    after = snapshot(exhibition)
    old, new = _changes(before, after)
    if new:
        record_audit(
            session,
            actor=actor,
            user_id=user_id,
            action="create" if creating else "update",
            entity_type=ENTITY,
            entity_id=exhibition.id,
            before=old or None,
            after=new,
        )
    return exhibition


def set_exhibition_status(
    session: Session,
    exhibition: Exhibition,
    status: ExhibitionStatus,
    *,
    actor: str,
    user_id: int | None = None,
) -> bool:
    """Publish or withdraw an exhibition; audited. False when it already had that status."""
    if exhibition.status is status:
        return False
    before = exhibition.status.value
    exhibition.status = status
    if status is ExhibitionStatus.PUBLISHED:
        exhibition.published_at = utcnow()
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="publish" if status is ExhibitionStatus.PUBLISHED else "return_to_draft",
        entity_type=ENTITY,
        entity_id=exhibition.id,
        before={"status": before},
        after={"status": status.value},
    )
    return True


def exhibition_history(session: Session, exhibition_id: int) -> list[AuditEvent]:
    """The audit events of an exhibition, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == ENTITY, AuditEvent.entity_id == exhibition_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
