"""Catalogue → search documents (the dicts TextIndex indexes; keys in docs/architecture.md).

Read with a few set-based queries rather than through ORM objects: building ORM wares with their
makers, aliases and photographs cost a quarter of a millisecond each, the largest share of a
metadata ingest's own work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from archive.db import in_chunks
from archive.models import (
    Collection,
    Institution,
    Maker,
    MakerName,
    Photograph,
    Ware,
    WareMaker,
    WareStatus,
)

# Ware columns copied as they are, under their document keys.
_COLUMNS = {
    "accession": Ware.accession_number,
    "title": Ware.title_en,
    "title_zh": Ware.title_zh,
    "object_type": Ware.object_type,
    "material": Ware.material,
    "technique": Ware.technique,
    "pattern": Ware.pattern,
    "place": Ware.place,
    "period": Ware.period,
    "marks": Ware.marks,
    "description": Ware.description_en,
    "description_zh": Ware.description_zh,
}


def public_wares() -> Select[tuple[int]]:
    """The ids of the wares visitors may see (published, not deleted): the indexed ones."""
    return select(Ware.id).where(Ware.status == WareStatus.PUBLISHED, Ware.deleted_at.is_(None))


def ware_documents(session: Session, ware_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """The search documents of the public wares among ``ware_ids`` (all of them when None), in
    id order; the others are left out (they belong in no index)."""
    chunks: Iterable[list[int] | None] = [None] if ware_ids is None else in_chunks(ware_ids)
    docs = [doc for chunk in chunks for doc in _documents(session, chunk)]
    return sorted(docs, key=lambda doc: doc["id"])


def _documents(session: Session, ids: list[int] | None) -> list[dict[str, Any]]:
    wanted = public_wares().where(Ware.id.in_(ids)) if ids is not None else public_wares()
    query = (
        select(
            Ware.id,
            *_COLUMNS.values(),
            Ware.year_earliest,
            Ware.year_latest,
            Institution.name,
            Collection.name,
        )
        .outerjoin(Institution, Ware.institution_id == Institution.id)
        .outerjoin(Collection, Ware.collection_id == Collection.id)
        .where(Ware.id.in_(wanted))
    )
    docs: dict[int, dict[str, Any]] = {}
    for ware_id, *values, first, last, institution, collection in session.execute(query):
        doc: dict[str, Any] = {"id": ware_id}
        doc.update((key, value or "") for key, value in zip(_COLUMNS, values, strict=True))
        doc.update(year_earliest=first, year_latest=last)
        doc.update(institution=institution or "", collection=collection or "")
        docs[ware_id] = doc
    if not docs:
        return []
    keys = list(docs) if ids is not None else None
    credits = _credits(session, keys)
    photographed = set(
        session.scalars(_where_ware(select(Photograph.ware_id).distinct(), Photograph, keys))
    )
    for ware_id, doc in docs.items():
        makers, aliases = _names(credits.get(ware_id, []))
        doc["maker"], doc["maker_aliases"] = "; ".join(makers), "; ".join(aliases)
        doc["has_photo"] = ware_id in photographed
    return list(docs.values())


def _where_ware(query: Select[Any], table: Any, ids: list[int] | None) -> Select[Any]:
    return query if ids is None else query.where(table.ware_id.in_(ids))


# (main name, Chinese name, other names) of each maker credited, in credit order.
_Credit = tuple[str, str | None, list[str]]


def _credits(session: Session, ids: list[int] | None) -> dict[int, list[_Credit]]:
    query = _where_ware(
        select(WareMaker.ware_id, Maker.id, Maker.name, Maker.name_zh)
        .join(Maker, WareMaker.maker_id == Maker.id)
        .order_by(WareMaker.ware_id, WareMaker.position),
        WareMaker,
        ids,
    )
    rows = session.execute(query).all()
    aliases: dict[int, list[str]] = {}
    names = select(MakerName.maker_id, MakerName.name).order_by(MakerName.id)
    # Every alias at once for every ware; else those of the makers credited.
    queries = (
        [names]
        if ids is None
        else [
            names.where(MakerName.maker_id.in_(chunk))
            for chunk in in_chunks(maker_id for _, maker_id, _, _ in rows)
        ]
    )
    for query in queries:
        for maker_id, name in session.execute(query):
            aliases.setdefault(maker_id, []).append(name)
    credits: dict[int, list[_Credit]] = {}
    for ware_id, maker_id, name, name_zh in rows:
        credits.setdefault(ware_id, []).append((name, name_zh, aliases.get(maker_id, [])))
    return credits


def _names(credits: Sequence[_Credit]) -> tuple[list[str], list[str]]:
    """Makers' main names in credit order, and their other names (Chinese name, aliases)."""
    main: list[str] = []
    other: list[str] = []
    for name, name_zh, aliases in credits:
        if name not in main:
            main.append(name)
        other.extend(n for n in [name_zh, *aliases] if n)
    return main, [n for n in dict.fromkeys(other) if n not in main]


def document_fingerprint(doc: Mapping[str, Any]) -> str:
    """A hash of a search document's content: equal exactly when the documents are equal."""
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
