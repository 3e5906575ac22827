"""The search box's syntax evaluated in SQL over the whole catalogue, drafts and deleted wares
included, for the curators' wares list (the keyword index holds only published wares).

The query is cleaned and rewritten by ``index.query.prepare_query`` as the public search does
(repairs, glossary expansion across languages, ``date:`` clauses, Chinese segmentation), in its
unranked mode (no boosts, no gram field: SQL matches substrings and does not rank); what it
hands back is Whoosh syntax (words, "phrases", ``field:value``,
``AND``/``OR``/``NOT``, brackets, ``*`` wildcards), which is parsed here into a SQL condition:
each word or phrase must occur (case-insensitively) in one of the record's text fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, true

from archive.models import Collection, Institution, Maker, MakerName, Ware, WareMaker
from index.glossary import Glossary, default_glossary
from index.query import prepare_query

_TOKEN = re.compile(
    r'(?P<fielded>[A-Za-z_]+:(?:"[^"]*"|\([^()]*\)|[^\s()"]+))'
    r'|(?P<quoted>"[^"]*")'
    r"|(?P<paren>[()])"
    r'|(?P<plain>[^\s()"]+)'
)
TEXT_COLUMNS = (
    Ware.accession_number,
    Ware.title_en,
    Ware.title_zh,
    Ware.object_type,
    Ware.place,
    Ware.date_text,
    Ware.period,
    Ware.material,
    Ware.technique,
    Ware.pattern,
    Ware.marks,
    Ware.description_en,
    Ware.description_zh,
)
FIELD_COLUMNS = {
    "title": (Ware.title_en, Ware.title_zh),
    "title_en": (Ware.title_en,),
    "title_zh": (Ware.title_zh,),
    "type": (Ware.object_type,),
    "object_type": (Ware.object_type,),
    "material": (Ware.material,),
    "technique": (Ware.technique,),
    "pattern": (Ware.pattern,),
    "place": (Ware.place,),
    "period": (Ware.period,),
    "marks": (Ware.marks,),
    "description": (Ware.description_en, Ware.description_zh),
    "desc": (Ware.description_en, Ware.description_zh),
    "accession": (Ware.accession_number,),
    "accession_number": (Ware.accession_number,),
}
# Fields answered by a related table rather than a column of the ware.
RELATED_FIELDS = ("maker", "institution", "collection")
FIELDS = frozenset(FIELD_COLUMNS) | frozenset(RELATED_FIELDS)
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


@dataclass
class SqlQuery:
    """A condition on ``Ware`` for the query, and the messages about what was repaired."""

    condition: ColumnElement[bool]
    messages: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _glossary() -> Glossary:
    return default_glossary()


def _pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    escaped = escaped.replace("*", "%").replace("?", "_")
    return f"%{escaped}%"


def _like(column: ColumnElement[str] | object, text: str) -> ColumnElement[bool]:
    # An empty column is "", not NULL, so NOT (...) over it stays true rather than unknown.
    return func.lower(func.coalesce(column, "")).like(_pattern(text), escape="\\")


def _maker_matches(text: str) -> ColumnElement[bool]:
    named = exists().where(
        WareMaker.ware_id == Ware.id, WareMaker.maker_id == Maker.id, _like(Maker.name, text)
    )
    aliased = exists().where(
        WareMaker.ware_id == Ware.id,
        MakerName.maker_id == WareMaker.maker_id,
        _like(MakerName.name, text),
    )
    chinese = exists().where(
        WareMaker.ware_id == Ware.id, WareMaker.maker_id == Maker.id, _like(Maker.name_zh, text)
    )
    return or_(named, aliased, chinese)


def term_condition(text: str, name: str | None = None) -> ColumnElement[bool]:
    """Where the word or phrase ``text`` occurs: in field ``name``, or anywhere."""
    text = text.strip()
    if not text or text == "*":
        return true()
    if name == "maker":
        return _maker_matches(text)
    if name == "institution":
        return Ware.institution_id.in_(
            select(Institution.id).where(
                or_(_like(Institution.name, text), _like(Institution.name_zh, text))
            )
        )
    if name == "collection":
        return Ware.collection_id.in_(select(Collection.id).where(_like(Collection.name, text)))
    columns = FIELD_COLUMNS.get(name or "", TEXT_COLUMNS)
    conditions = [_like(column, text) for column in columns]
    if name is None:
        conditions.append(_maker_matches(text))
    return or_(*conditions)


class _Parser:
    """Recursive descent over the rewritten query: OR binds loosest, then AND, then NOT."""

    def __init__(self, text: str) -> None:
        self.tokens = [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(text)]
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expression(self) -> ColumnElement[bool]:
        parts = [self.conjunction()]
        while (token := self.peek()) is not None and token[1] == "OR":
            self.take()
            parts.append(self.conjunction())
        # An operator with nothing on one side ("OR bowl") is read as if it were not there.
        kept = [part for part in parts if part is not None]
        if not kept:
            return true()
        return kept[0] if len(kept) == 1 else or_(*kept)

    def conjunction(self) -> ColumnElement[bool] | None:
        parts: list[ColumnElement[bool]] = []
        while (token := self.peek()) is not None and token[1] not in ("OR", ")"):
            if token[1] in ("AND", "ANDMAYBE"):
                self.take()
                continue
            if token[1] == "ANDNOT":
                self.take()
                if self.peek() is not None:
                    parts.append(not_(self.unary()))
                continue
            parts.append(self.unary())
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else and_(*parts)

    def unary(self) -> ColumnElement[bool]:
        kind, value = self.take()
        if value == "NOT":
            return not_(self.unary()) if self.peek() is not None else true()
        if kind == "plain" and value.startswith("-") and len(value) > 1:
            return not_(term_condition(value[1:]))
        if value == "(":
            inner = self.expression()
            if (token := self.peek()) is not None and token[1] == ")":
                self.take()
            return inner
        if kind == "fielded":
            name, _, argument = value.partition(":")
            return self.fielded(name.lower(), argument)
        if kind == "quoted":
            return term_condition(value.strip('"'))
        return term_condition(value)

    def fielded(self, name: str, argument: str) -> ColumnElement[bool]:
        if argument.startswith("(") and argument.endswith(")"):
            words = [w.strip('"') for w in re.findall(r'"[^"]*"|[^\s"]+', argument[1:-1])]
            alternatives = [w for w in words if w and w not in OPERATORS]
            if " OR " in argument:
                return or_(*(term_condition(w, name) for w in alternatives)) or false()
            return and_(*(term_condition(w, name) for w in alternatives))
        return term_condition(argument.strip('"'), name)


def sql_query(raw: str) -> SqlQuery:
    """The condition on ``Ware`` that the search syntax ``raw`` means."""
    prepared = prepare_query(raw, _glossary(), FIELDS, ranked=False)
    if not prepared.text.strip() and not prepared.date_clauses and raw.strip():
        # Only punctuation (a % or a _ typed on its own): looked for as it is, literally.
        return SqlQuery(term_condition(raw.strip()[:200]), list(prepared.messages))
    parser = _Parser(prepared.text)
    condition: ColumnElement[bool] = true()
    while parser.peek() is not None:
        if parser.peek() == ("paren", ")"):
            parser.take()
            continue
        condition = and_(condition, parser.expression())
    for ranges in prepared.date_clauses:
        condition = and_(condition, or_(*(years_overlap(first, last) for first, last in ranges)))
    return SqlQuery(condition, list(prepared.messages))


def years_overlap(first: int | None, last: int | None) -> ColumnElement[bool]:
    """Wares whose date range meets ``first``–``last`` (either end may be open)."""
    conditions: list[ColumnElement[bool]] = []
    if first is not None:
        conditions.append(func.coalesce(Ware.year_latest, Ware.year_earliest) >= first)
    if last is not None:
        conditions.append(func.coalesce(Ware.year_earliest, Ware.year_latest) <= last)
    return and_(*conditions) if conditions else true()
