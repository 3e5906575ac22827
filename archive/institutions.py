"""Institutions for admins: listing them with their counts, adding one, and changing its details.

Names are unique regardless of case (the English name, and the Chinese name when there is one);
every addition and change is written to the audit trail with what it changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from archive.catalogue import apply_audited, audit_created, changed_values
from archive.models import Institution, User, Ware, WareStatus

INSTITUTION_FIELDS = ("name", "name_zh", "place", "url")
UNIQUE_FIELDS = ("name", "name_zh")


class NameTaken(ValueError):
    """Another institution already has this name (``field`` says which one)."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"another institution is already called {value!r}")
        self.field = field


@dataclass(frozen=True)
class InstitutionSummary:
    """An institution with how many accounts and (not deleted) wares belong to it."""

    institution: Institution
    accounts: int
    wares: int
    published: int


def list_institutions(session: Session) -> list[InstitutionSummary]:
    """Every institution by name, with its counts."""
    accounts: dict[int, int] = {
        institution_id: total
        for institution_id, total in session.execute(
            select(User.institution_id, func.count(User.id))
            .where(User.institution_id.is_not(None))
            .group_by(User.institution_id)
        )
    }
    wares = {
        institution_id: (total, published)
        for institution_id, total, published in session.execute(
            select(
                Ware.institution_id,
                func.count(Ware.id),
                func.count(case((Ware.status == WareStatus.PUBLISHED, Ware.id))),
            )
            .where(Ware.deleted_at.is_(None))
            .group_by(Ware.institution_id)
        )
    }
    return [
        InstitutionSummary(
            institution=institution,
            accounts=accounts.get(institution.id, 0),
            wares=wares.get(institution.id, (0, 0))[0],
            published=wares.get(institution.id, (0, 0))[1],
        )
        for institution in session.scalars(select(Institution).order_by(Institution.name))
    ]


def name_taken(session: Session, field: str, value: str, except_id: int | None = None) -> bool:
    """Whether another institution has ``value`` as its ``field`` (a name), ignoring case."""
    column = getattr(Institution, field)
    query = select(Institution.id).where(func.lower(column) == value.lower())
    if except_id is not None:
        query = query.where(Institution.id != except_id)
    return session.scalar(query.limit(1)) is not None


def _check_names(session: Session, values: dict[str, Any], except_id: int | None) -> None:
    for field in UNIQUE_FIELDS:
        value = values.get(field)
        if value and name_taken(session, field, value, except_id):
            raise NameTaken(field, value)


def create_institution(
    session: Session, values: dict[str, Any], *, actor: str, user_id: int | None = None
) -> Institution:
    """Add an institution from checked ``values`` (INSTITUTION_FIELDS); refuses a taken name."""
    details = {field: values.get(field) or None for field in INSTITUTION_FIELDS}
    if not details["name"]:
        raise ValueError("an institution needs a name")
    _check_names(session, details, None)
    institution = Institution(**details)
    session.add(institution)
    audit_created(
        session, institution, details, entity_type="institution", actor=actor, user_id=user_id
    )
    return institution


def update_institution(
    session: Session,
    institution: Institution,
    values: dict[str, Any],
    *,
    actor: str,
    user_id: int | None = None,
) -> set[str]:
    """Change an institution's details to checked ``values``; returns the fields that changed."""
    wanted = {field: values.get(field) or None for field in INSTITUTION_FIELDS}
    if not wanted["name"]:
        raise ValueError("an institution needs a name")
    changes = changed_values(institution, wanted)
    if changes:
        _check_names(session, changes, institution.id)
        apply_audited(
            session, institution, changes, entity_type="institution", actor=actor, user_id=user_id
        )
    return set(changes)
