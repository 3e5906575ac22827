"""Makers as authority records for curators: list, edit names and aliases, merge and undo a
merge; and the suggestions every curating form offers while typing."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import ColumnElement, distinct, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from archive.authorities import (
    AuthorityRefused,
    add_alias,
    edit_maker,
    merge_makers,
    remove_alias,
    undo_merge,
)
from archive.grants import Action
from archive.ids import parse_bounded_int
from archive.models import Collection, Maker, MakerName, Ware, WareMaker, WareStatus
from archive.workbench import MakerMerge
from web.auth import Rule, access
from web.curate.access import actor, signed_in
from web.curate.blueprint import curate
from web.curate.forms import clean_text
from web.curate.indexing import sync_wares
from web.views.context import db_session
from web.views.formatting import translate as _

PER_PAGE = 50
SUGGESTIONS = 10
LANGUAGES = ("", "en", "zh")
_MAKER_REF = re.compile(r"\[#(\d{1,9})\]\s*$")
# The free-text ware fields a form suggests earlier values for.
SUGGESTED_FIELDS = {
    "place": Ware.place,
    "object_type": Ware.object_type,
    "material": Ware.material,
    "technique": Ware.technique,
    "period": Ware.period,
    "pattern": Ware.pattern,
}


def _escaped(text: str) -> str:
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    return func.lower(column).like(f"%{_escaped(text)}%", escape="\\")


def _maker_or_404(maker_id: int) -> Maker:
    maker = db_session().scalar(
        select(Maker).where(Maker.id == maker_id).options(selectinload(Maker.aliases))
    )
    if maker is None:
        abort(404)
    return maker


def _matching_makers(words: str) -> Any:
    aliased = select(MakerName.maker_id).where(_contains(MakerName.name, words))
    return or_(
        _contains(Maker.name, words),
        _contains(func.coalesce(Maker.name_zh, ""), words),
        Maker.id.in_(aliased),
    )


@curate.get("/makers")
@access(Rule.CURATOR)
def makers() -> str:
    """Every maker with how many wares it is credited on; searchable by any of its names."""
    words = request.args.get("q", "").strip()[:200]
    page = request.args.get("page", "1")
    number = parse_bounded_int(page, 1, 10_000) or 1
    credited = func.count(distinct(WareMaker.ware_id))
    query = (
        select(Maker, credited)
        .outerjoin(WareMaker, WareMaker.maker_id == Maker.id)
        .group_by(Maker.id)
        .options(selectinload(Maker.aliases))
    )
    if words:
        query = query.where(_matching_makers(words))
    total = db_session().scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db_session().execute(
        query.order_by(Maker.name, Maker.id).limit(PER_PAGE).offset((number - 1) * PER_PAGE)
    )
    merges = db_session().scalars(
        select(MakerMerge)
        .where(MakerMerge.undone_at.is_(None))
        .order_by(MakerMerge.id.desc())
        .limit(10)
    )
    return render_template(
        "curate/makers.html",
        rows=list(rows),
        total=total,
        words=words,
        page=number,
        pages=max(1, -(-total // PER_PAGE)),
        merges=list(merges),
    )


def _maker_page(maker: Maker, status: int = 200) -> tuple[str, int]:
    count = db_session().scalar(
        select(func.count(distinct(WareMaker.ware_id))).where(WareMaker.maker_id == maker.id)
    )
    return render_template(
        "curate/maker.html", maker=maker, wares=count or 0, languages=LANGUAGES
    ), status


@curate.get("/makers/<int:maker_id>")
@access(Rule.CURATOR)
def maker(maker_id: int) -> tuple[str, int]:
    """A maker's record: names, aliases in both languages, and merging another into it."""
    return _maker_page(_maker_or_404(maker_id))


def _reindex(ware_ids: list[int]) -> None:
    db_session().commit()
    if ware_ids:
        sync_wares(db_session(), ware_ids)


@curate.post("/makers/<int:maker_id>")
@access(Rule.CURATOR)
def save_maker(maker_id: int) -> Response | tuple[str, int]:
    """Save the maker's names, kind and place."""
    item = _maker_or_404(maker_id)
    values = {
        key: clean_text(request.form.get(key))[:300] or None
        for key in ("name", "name_zh", "kind", "place")
    }
    values["kind"] = (values["kind"] or "")[:40] or None
    if not values["name"]:
        flash(_("A maker needs a name."), "error")
        return _maker_page(item, 422)
    email, user_id = actor()
    edit = edit_maker(db_session(), item, values, actor=email, user_id=user_id)
    _reindex(edit.reindex)
    flash(_("Saved."))
    return redirect(url_for("curate.maker", maker_id=item.id))


@curate.post("/makers/<int:maker_id>/aliases")
@access(Rule.CURATOR)
def add_maker_alias(maker_id: int) -> Response:
    """Give the maker another name, in English, Chinese or any language."""
    item = _maker_or_404(maker_id)
    name = clean_text(request.form.get("alias"))[:300]
    language = request.form.get("language", "")
    if not name or language not in LANGUAGES:
        flash(_("Give the other name and its language."), "error")
        return redirect(url_for("curate.maker", maker_id=item.id))
    email, user_id = actor()
    if add_alias(db_session(), item, name, language, actor=email, user_id=user_id):
        _reindex(_credited_wares(item.id))
        flash(_("Name added."))
    else:
        flash(_("The maker already has that name."), "error")
    return redirect(url_for("curate.maker", maker_id=item.id))


def _credited_wares(maker_id: int) -> list[int]:
    return list(
        db_session().scalars(select(WareMaker.ware_id).where(WareMaker.maker_id == maker_id))
    )


@curate.post("/makers/<int:maker_id>/aliases/<int:alias_id>/delete")
@access(Rule.CURATOR)
def delete_maker_alias(maker_id: int, alias_id: int) -> Response:
    """Take one of the maker's other names off."""
    item = _maker_or_404(maker_id)
    alias = next((alias for alias in item.aliases if alias.id == alias_id), None)
    if alias is None:
        abort(404)
    email, user_id = actor()
    remove_alias(db_session(), item, alias, actor=email, user_id=user_id)
    _reindex(_credited_wares(item.id))
    flash(_("Name removed."))
    return redirect(url_for("curate.maker", maker_id=item.id))


def maker_from_reference(text: str) -> Maker | None:
    """The maker a merge form names: ``Name [#12]`` as suggested, or a name only one has."""
    if match := _MAKER_REF.search(text):
        return db_session().get(Maker, int(match.group(1)))
    found = list(db_session().scalars(select(Maker).where(Maker.name == text.strip()).limit(2)))
    return found[0] if len(found) == 1 else None


@curate.post("/makers/<int:maker_id>/merge")
@access(Rule.CURATOR)
def merge_maker(maker_id: int) -> Response:
    """Merge another maker into this one: its wares follow, its names become aliases."""
    kept = _maker_or_404(maker_id)
    other = maker_from_reference(clean_text(request.form.get("other"))[:400])
    if other is None or other.id == kept.id:
        flash(_("Choose another maker from the suggestions."), "error")
        return redirect(url_for("curate.maker", maker_id=kept.id))
    email, user_id = actor()
    try:
        record, changed = merge_makers(db_session(), kept, other, actor=email, user_id=user_id)
    except AuthorityRefused:
        db_session().rollback()
        flash(_("These makers cannot be merged."), "error")
        return redirect(url_for("curate.maker", maker_id=kept.id))
    _reindex(changed)
    flash(_("Merged: {n} wares now credit this maker. The merge can be undone.", n=len(changed)))
    return redirect(url_for("curate.maker", maker_id=kept.id, merged=record.id))


@curate.post("/merges/<int:merge_id>/undo")
@access(Rule.CURATOR)
def undo_maker_merge(merge_id: int) -> Response:
    """Undo a merge: the merged maker comes back with its names and wares."""
    record = db_session().get(MakerMerge, merge_id)
    if record is None:
        abort(404)
    email, user_id = actor()
    try:
        changed = undo_merge(db_session(), record, actor=email, user_id=user_id)
    except AuthorityRefused:
        db_session().rollback()
        flash(_("This merge cannot be undone (it was undone already)."), "error")
        return redirect(url_for("curate.makers"))
    _reindex(changed)
    flash(_("Merge undone."))
    return redirect(url_for("curate.maker", maker_id=record.merged_id))


def _visible_wares() -> ColumnElement[bool] | None:
    """Which wares' values a suggestion may come from: all for curators everywhere; for
    others the published ones and those of their scope."""
    scope = signed_in().permissions.ware_condition(Action.SEE)
    if scope is None:
        return None
    return or_(Ware.status == WareStatus.PUBLISHED, scope) & Ware.deleted_at.is_(None)


@curate.get("/suggest")
@access(Rule.SIGNED_IN)
def suggest() -> Response:
    """Up to ten earlier values for a form field as you type, as JSON
    ``{"suggestions": [{"value": ..., "label": ...}]}``; ``field`` is maker, maker_ref (a
    maker named with its id, for merging), collection or a free-text ware field."""
    field = request.args.get("field", "")
    words = request.args.get("q", "").strip()[:100]
    if field not in {"maker", "maker_ref", "collection", *SUGGESTED_FIELDS}:
        return _json_error("bad_field", _("Unknown field for suggestions."), 400)
    values: list[dict[str, str]] = []
    if words:
        values = _suggestions(field, words)
    return jsonify({"suggestions": values})


def _suggestions(field: str, words: str) -> list[dict[str, str]]:
    visible = _visible_wares()
    session = db_session()
    if field in ("maker", "maker_ref"):
        query = select(Maker).where(_matching_makers(words))
        if visible is not None:
            query = query.where(Maker.id.in_(select(WareMaker.maker_id).join(Ware).where(visible)))
        found = session.scalars(
            query.order_by(func.length(Maker.name), Maker.name).limit(SUGGESTIONS)
        )
        return [
            {
                "value": f"{item.name} [#{item.id}]" if field == "maker_ref" else item.name,
                "label": " / ".join(filter(None, [item.name, item.name_zh])),
            }
            for item in found
        ]
    if field == "collection":
        query = select(distinct(Collection.name)).where(_contains(Collection.name, words))
        if visible is not None:
            query = query.where(Collection.id.in_(select(Ware.collection_id).where(visible)))
        column_values = session.scalars(query.order_by(Collection.name).limit(SUGGESTIONS))
        return [{"value": value, "label": value} for value in column_values]
    column = SUGGESTED_FIELDS[field]
    query = (
        select(column, func.count())
        .where(_contains(column, words))
        .group_by(column)
        .order_by(func.count().desc(), column)
        .limit(SUGGESTIONS)
    )
    if visible is not None:
        query = query.where(visible)
    return [{"value": value, "label": value} for value, _count in session.execute(query)]


def _json_error(code: str, message: str, status: int) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response
