"""The curators' wares list: what its filters and sort mean, read from the query string, and the
SQL that lists (or, for a batch over all results, counts and collects) the matching wares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload
from werkzeug.datastructures import MultiDict

from archive.curation import WareDraft
from archive.grants import Action
from archive.ids import parse_bounded_int, parse_id
from archive.models import Collection, Institution, Maker, Photograph, Ware, WareMaker, WareStatus
from archive.workbench import SavedSearch, WareSet, WareSetMember
from web.auth.accounts import Account
from web.curate.query_sql import sql_query, term_condition, years_overlap

PER_PAGE = 50
MAX_SELECTION = 100_000
STATUS_FILTERS = ("all", "draft", "submitted", "published", "rejected", "deleted")
YES_NO = ("", "yes", "no")
# Data-quality checks the list can be narrowed to (the quality page links to each).
# ``working_copy``: the wares with changes not yet published (a batch's field edits wait there).
CHECKS = ("", "no_years", "unparsed_date", "duplicate_photo", "working_copy")
_YEAR = re.compile(r"^-?\d{1,4}$")


def _first_maker() -> Any:
    return (
        select(func.min(Maker.name))
        .join(WareMaker, WareMaker.maker_id == Maker.id)
        .where(WareMaker.ware_id == Ware.id)
        .scalar_subquery()
    )


SORTS: dict[str, Any] = {
    "accession": lambda: Ware.accession_number,
    "title": lambda: func.coalesce(Ware.title_en, Ware.title_zh),
    "institution": lambda: (
        select(Institution.name).where(Institution.id == Ware.institution_id).scalar_subquery()
    ),
    "collection": lambda: (
        select(Collection.name).where(Collection.id == Ware.collection_id).scalar_subquery()
    ),
    "type": lambda: Ware.object_type,
    "maker": _first_maker,
    "date": lambda: Ware.year_earliest,
    "status": lambda: Ware.status,
    "updated": lambda: Ware.updated_at,
}


@dataclass
class WareFilter:
    """The list's filters, sort and page as chosen; ``messages`` says what was not understood."""

    status: str = "all"
    institution: int | None = None
    collection: int | None = None
    maker: str = ""
    type: str = ""
    photo: str = ""
    rights: str = ""
    year_from: int | None = None
    year_to: int | None = None
    q: str = ""
    set: int | None = None
    check: str = ""
    sort: str = "updated"
    order: str = "desc"
    page: int = 1
    messages: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> WareFilter:
        """Read the filters from a query string, ignoring (and noting) what makes no sense."""
        chosen = cls()
        chosen.status = _choice(args.get("status", "all"), STATUS_FILTERS, "all")
        chosen.institution = _number(args.get("institution"))
        chosen.collection = _number(args.get("collection"))
        chosen.set = _number(args.get("set"))
        chosen.maker = args.get("maker", "").strip()[:200]
        chosen.type = args.get("type", "").strip()[:200]
        chosen.photo = _choice(args.get("photo", ""), YES_NO, "")
        chosen.rights = _choice(args.get("rights", ""), YES_NO, "")
        chosen.check = _choice(args.get("check", ""), CHECKS, "")
        chosen.q = args.get("q", "").strip()[:500]
        chosen.sort = _choice(args.get("sort", "updated"), tuple(SORTS), "updated")
        chosen.order = _choice(args.get("order", "desc"), ("asc", "desc"), "desc")
        page = args.get("page", "1")
        chosen.page = parse_bounded_int(page, 1, 10_000) or 1
        for name, attribute in (("from", "year_from"), ("to", "year_to")):
            raw = args.get(name, "").strip()
            if raw and not _YEAR.match(raw):
                chosen.messages.append("A year is a whole number, such as 1736 or -200.")
            elif raw:
                setattr(chosen, attribute, int(raw))
        return chosen

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string arguments that give this list (with ``changes``), defaults left out."""
        values = {
            "status": self.status,
            "institution": self.institution,
            "collection": self.collection,
            "set": self.set,
            "maker": self.maker,
            "type": self.type,
            "photo": self.photo,
            "rights": self.rights,
            "check": self.check,
            "from": self.year_from,
            "to": self.year_to,
            "q": self.q,
            "sort": self.sort,
            "order": self.order,
            "page": self.page,
        } | changes
        defaults = {"status": "all", "sort": "updated", "order": "desc", "page": 1}
        return {
            key: value
            for key, value in values.items()
            if value not in (None, "") and defaults.get(key) != value
        }

    def query_string(self, **changes: Any) -> str:
        """``args`` as a URL query string."""
        return urlencode(self.args(**changes))

    def sort_args(self, column: str) -> dict[str, Any]:
        """The arguments that sort by ``column``: ascending first, then the other way."""
        order = "desc" if self.sort == column and self.order == "asc" else "asc"
        return self.args(sort=column, order=order, page=1)

    @property
    def narrowed(self) -> bool:
        """Whether any filter beyond the default is set."""
        keys = {f.name for f in fields(self)} - {"sort", "order", "page", "messages"}
        return any(getattr(self, key) != getattr(WareFilter(), key) for key in keys)


def _choice(value: str, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default


def _number(value: str | None) -> int | None:
    return parse_id(value)


def owned_or_shared(model: type[WareSet] | type[SavedSearch], account: Account) -> Select[Any]:
    """The sets (or saved searches) ``account`` may use: its own and its institution's shared."""
    mine = model.owner_id == account.id
    if account.institution_id is None:
        return select(model).where(mine)
    shared = model.shared.is_(True) & (model.institution_id == account.institution_id)
    return select(model).where(or_(mine, shared))


def conditions(
    account: Account, chosen: WareFilter, action: Action = Action.SEE
) -> list[ColumnElement[bool]]:
    """The SQL conditions of the filter, within the wares ``account`` may do ``action`` to
    (see them, for the list; publish them, for a batch)."""
    where: list[ColumnElement[bool]] = []
    scope = account.permissions.ware_condition(action)
    if scope is not None:
        where.append(scope)
    if chosen.status == "deleted":
        where.append(Ware.deleted_at.is_not(None))
    else:
        where.append(Ware.deleted_at.is_(None))
        if chosen.status != "all":
            where.append(Ware.status == WareStatus(chosen.status))
    if chosen.institution is not None:
        where.append(Ware.institution_id == chosen.institution)
    if chosen.collection is not None:
        where.append(Ware.collection_id == chosen.collection)
    if chosen.set is not None:
        allowed = (
            owned_or_shared(WareSet, account)
            .where(WareSet.id == chosen.set)
            .with_only_columns(WareSet.id)
        )
        where.append(
            Ware.id.in_(select(WareSetMember.ware_id).where(WareSetMember.set_id.in_(allowed)))
        )
    if chosen.maker:
        where.append(term_condition(chosen.maker, "maker"))
    if chosen.type:
        where.append(term_condition(chosen.type, "type"))
    has_photo = exists().where(Photograph.ware_id == Ware.id)
    if chosen.photo:
        where.append(has_photo if chosen.photo == "yes" else ~has_photo)
    has_rights = func.coalesce(func.trim(Ware.rights), "") != ""
    if chosen.rights:
        where.append(has_rights if chosen.rights == "yes" else ~has_rights)
    if chosen.year_from is not None or chosen.year_to is not None:
        where.append(years_overlap(chosen.year_from, chosen.year_to))
    if chosen.check:
        where.append(check_condition(chosen.check))
    if chosen.q:
        parsed = sql_query(chosen.q)
        chosen.messages.extend(parsed.messages)
        where.append(parsed.condition)
    return where


def check_condition(check: str) -> ColumnElement[bool]:
    """The wares a data-quality check finds (or, ``working_copy``, those with unpublished
    changes)."""
    no_years = Ware.year_earliest.is_(None) & Ware.year_latest.is_(None)
    if check == "no_years":
        return no_years
    if check == "unparsed_date":
        return no_years & (func.coalesce(func.trim(Ware.date_text), "") != "")
    if check == "working_copy":
        return Ware.id.in_(select(WareDraft.ware_id))
    # A photograph whose file or perceptual hash another ware's photograph shares.
    other = aliased(Photograph)
    shared = exists().where(
        other.ware_id != Photograph.ware_id,
        or_(other.sha256 == Photograph.sha256, other.phash == Photograph.phash),
    )
    return Ware.id.in_(select(Photograph.ware_id).where(shared))


def page_query(chosen: WareFilter, where: list[ColumnElement[bool]]) -> Select[tuple[Ware]]:
    """One page of the wares meeting ``where``, sorted, with what the table shows loaded."""
    key = SORTS[chosen.sort]()
    ordered = key.asc().nulls_last() if chosen.order == "asc" else key.desc().nulls_last()
    tiebreak = Ware.id.asc() if chosen.order == "asc" else Ware.id.desc()
    return (
        select(Ware)
        .where(*where)
        .options(
            selectinload(Ware.institution),
            selectinload(Ware.collection),
            selectinload(Ware.makers).selectinload(WareMaker.maker),
            selectinload(Ware.photographs),
        )
        .order_by(ordered, tiebreak)
        .limit(PER_PAGE)
        .offset((chosen.page - 1) * PER_PAGE)
    )


def count_query(where: list[ColumnElement[bool]]) -> Select[tuple[int]]:
    """How many wares meet ``where``."""
    return select(func.count(Ware.id)).where(*where)


def ids_query(where: list[ColumnElement[bool]]) -> Select[tuple[int]]:
    """The ids of every ware meeting ``where`` (a batch over all results), in id order."""
    return select(Ware.id).where(*where).order_by(Ware.id).limit(MAX_SELECTION)
