"""Curators' vocabulary terms: a value of the data (an object type, a material, a place ...)
with its preferred English and Chinese names, added or edited in the browser.

They extend the shipped glossary (index/glossary.tsv), which index.vocabulary reads together
with these rows; every addition and change is written to the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.models import Base, utcnow

TERM_FIELDS = ("category", "en", "zh", "alternates", "aat_id", "source")
CATEGORIES = (
    "object_type",
    "material",
    "technique",
    "place",
    "period",
    "institution",
    "collection",
    "other",
)


class VocabularyTerm(Base):
    """One concept: preferred names in both languages, other names, and where they come from."""

    __tablename__ = "vocabulary_term"
    __table_args__ = (UniqueConstraint("category", "en", name="uq_vocabulary_term_category_en"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    en: Mapped[str] = mapped_column(String(200))
    zh: Mapped[str] = mapped_column(String(200))
    # Other names in either language, separated by "|" (as in the glossary).
    alternates: Mapped[str | None] = mapped_column(String(1000))
    # A Getty AAT id only where the curator has verified one (digits).
    aat_id: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class TermTaken(ValueError):
    """Another term of the same category already has this English name."""


def list_terms(session: Session) -> list[VocabularyTerm]:
    """Every curator term, by category and English name."""
    return list(
        session.scalars(select(VocabularyTerm).order_by(VocabularyTerm.category, VocabularyTerm.en))
    )


def _check(session: Session, values: dict[str, Any], except_id: int | None) -> None:
    if not values.get("en") or not values.get("zh"):
        raise ValueError("a term needs an English and a Chinese name")
    query = select(VocabularyTerm.id).where(
        VocabularyTerm.category == values["category"], VocabularyTerm.en == values["en"]
    )
    if except_id is not None:
        query = query.where(VocabularyTerm.id != except_id)
    if session.scalar(query) is not None:
        raise TermTaken(values["en"])


def create_term(
    session: Session, values: dict[str, Any], *, actor: str, user_id: int | None = None
) -> VocabularyTerm:
    """Add a term from checked ``values`` (TERM_FIELDS), audited."""
    # Not at import: archive.models imports this module.
    from archive.catalogue import audit_created

    details = {name: values.get(name) or None for name in TERM_FIELDS}
    _check(session, details, None)
    term = VocabularyTerm(**details)
    session.add(term)
    audit_created(
        session, term, details, entity_type="vocabulary_term", actor=actor, user_id=user_id
    )
    return term


def update_term(
    session: Session,
    term: VocabularyTerm,
    values: dict[str, Any],
    *,
    actor: str,
    user_id: int | None = None,
) -> set[str]:
    """Change a term to checked ``values``; returns the fields that changed (audited)."""
    # Not at import: archive.models imports this module.
    from archive.catalogue import apply_audited, changed_values

    wanted = {name: values.get(name) or None for name in TERM_FIELDS}
    changes = changed_values(term, wanted)
    if changes:
        _check(session, wanted, term.id)
        apply_audited(
            session, term, changes, entity_type="vocabulary_term", actor=actor, user_id=user_id
        )
    return set(changes)
