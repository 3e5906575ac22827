"""Ware → search document (the dict TextIndex indexes; keys are listed in docs/architecture.md)."""

from __future__ import annotations

from typing import Any


def _names(ware: Any) -> tuple[list[str], list[str]]:
    """Makers' main names in credit order, and their other names (Chinese name, aliases)."""
    main: list[str] = []
    other: list[str] = []
    for credit in sorted(ware.makers, key=lambda c: c.position):
        maker = credit.maker
        if maker.name not in main:
            main.append(maker.name)
        other.extend(n for n in [maker.name_zh, *(a.name for a in maker.aliases)] if n)
    return main, [n for n in dict.fromkeys(other) if n not in main]


def ware_document(ware: Any) -> dict[str, Any]:
    """The search document of an archive Ware (with its makers, institution and photographs)."""
    makers, aliases = _names(ware)
    return {
        "id": ware.id,
        "accession": ware.accession_number,
        "title": ware.title_en or "",
        "title_zh": ware.title_zh or "",
        "maker": "; ".join(makers),
        "maker_aliases": "; ".join(aliases),
        "object_type": ware.object_type or "",
        "material": ware.material or "",
        "technique": ware.technique or "",
        "pattern": ware.pattern or "",
        "place": ware.place or "",
        "period": ware.period or "",
        "marks": ware.marks or "",
        "description": ware.description_en or "",
        "description_zh": ware.description_zh or "",
        "institution": ware.institution.name if ware.institution else "",
        "collection": ware.collection.name if ware.collection else "",
        "year_earliest": ware.year_earliest,
        "year_latest": ware.year_latest,
        "has_photo": bool(ware.photographs),
    }
