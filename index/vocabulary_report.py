"""The catalogue's values against the bilingual vocabulary: loading the curators' terms and
listing the values the vocabulary lacks (`potbank vocabulary report`)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.models import Collection, Institution, Ware
from archive.vocabulary import VocabularyTerm
from index.vocabulary import Vocabulary, build, curated_term

# The ware fields whose values the vocabulary names, and how a field holds several values.
FIELDS = ("object_type", "material", "technique", "place", "period", "pattern")
_SPLIT = re.compile(r"\s*;\s*")


def load(session: Session) -> Vocabulary:
    """The glossary, institutions' Chinese names and the curators' terms."""
    terms = [
        curated_term(t.category, t.en, t.zh, t.alternates, t.aat_id, t.source)
        for t in session.scalars(select(VocabularyTerm).order_by(VocabularyTerm.id))
    ]
    institutions = session.execute(select(Institution.name, Institution.name_zh)).all()
    return build(terms, [(name, name_zh) for name, name_zh in institutions])


@dataclass(frozen=True)
class Missing:
    """A value the vocabulary lacks: where it occurs and on how many wares."""

    field: str
    value: str
    wares: int


def missing_values(session: Session, vocabulary: Vocabulary) -> list[Missing]:
    """Every value of the catalogue the vocabulary cannot name in both languages, most
    frequent first (institutions and collections by the number of their wares)."""
    counts: Counter[tuple[str, str]] = Counter()
    columns = [getattr(Ware, name) for name in FIELDS]
    for row in session.execute(select(*columns)).yield_per(2000):
        for name, raw in zip(FIELDS, row, strict=True):
            for value in dict.fromkeys(v for v in _SPLIT.split(raw or "") if v):
                counts[(name, value)] += 1
    for name, model, key in (
        ("institution", Institution, Ware.institution_id),
        ("collection", Collection, Ware.collection_id),
    ):
        rows = session.execute(
            select(model.name, func.count(Ware.id))
            .join(Ware, key == model.id, isouter=True)
            .group_by(model.id, model.name)
        ).all()
        for value, number in rows:
            counts[(name, value)] += number
    lacking = [
        Missing(name, value, number)
        for (name, value), number in counts.items()
        if not vocabulary.knows(value)
    ]
    return sorted(lacking, key=lambda m: (-m.wares, m.field, m.value))
