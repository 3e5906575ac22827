"""Curating the public site: featuring wares and collections on the home page, makers'
authority records, and exhibitions (compose, preview, publish, withdraw, history).

Every change is audited by the archive operations these views call.
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from archive.authorities import AUTHORITY_FIELDS, YEARS, AuthorityRefused, edit_maker
from archive.exhibiting import (
    ExhibitionError,
    ItemDraft,
    SectionDraft,
    exhibition_history,
    save_exhibition,
    set_exhibition_status,
)
from archive.exhibitions import Exhibition, ExhibitionStatus
from archive.featuring import set_featured
from archive.models import Collection, Maker, Ware
from web.auth import Rule, access
from web.curate.access import actor
from web.curate.blueprint import curate
from web.curate.history import describe
from web.curate.indexing import sync_wares
from web.views.context import db_session
from web.views.exhibition_view import item_image
from web.views.exhibitions import load_exhibition
from web.views.formatting import translate as _
from web.views.recent import forget_recent

SECTION_TEXT = ("heading_en", "heading_zh", "text_en", "text_zh")
ITEM_TEXT = ("ware", "photo", "region", "caption_en", "caption_zh")
# Blank rows offered for adding: one more section, and this many more items per section.
BLANK_ITEMS = 2
MAX_SECTIONS, MAX_ITEMS = 50, 60
_NUMBER = re.compile(r"(\d+)\D*$")


def _checked_flag() -> bool:
    value = request.form.get("featured", "")
    if value not in ("0", "1"):
        abort(400, description="featured must be 0 or 1")
    return value == "1"


@curate.post("/wares/<int:ware_id>/feature")
@access(Rule.CURATOR)
def feature_ware(ware_id: int) -> Response:
    """Feature a ware on the home page, or stop featuring it."""
    ware = db_session().get(Ware, ware_id)
    if ware is None:
        abort(404)
    email, user_id = actor()
    if set_featured(db_session(), ware, _checked_flag(), actor=email, user_id=user_id):
        db_session().commit()
        forget_recent()
    flash(_("Featured on the home page.") if ware.featured else _("No longer featured."))
    return redirect(url_for("curate.ware", ware_id=ware.id))


@curate.post("/collections/<int:collection_id>/feature")
@access(Rule.CURATOR)
def feature_collection(collection_id: int) -> Response:
    """Feature a collection on the home page, or stop featuring it."""
    collection = db_session().get(Collection, collection_id)
    if collection is None:
        abort(404)
    email, user_id = actor()
    if set_featured(db_session(), collection, _checked_flag(), actor=email, user_id=user_id):
        db_session().commit()
    flash(_("Featured on the home page.") if collection.featured else _("No longer featured."))
    return redirect(url_for("pages.collection", collection_id=collection.id))


def _year(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise AuthorityRefused("a year is a whole number, negative for BCE", field) from None


@curate.route("/makers/<int:maker_id>/authority", methods=["GET", "POST"])
@access(Rule.CURATOR)
def maker_authority(maker_id: int) -> Response | tuple[str, int]:
    """A maker's authority record: Chinese name, dates, nationality, place, biography in both
    languages and Wikidata/ULAN identifiers."""
    maker = db_session().get(Maker, maker_id)
    if maker is None:
        abort(404)
    if request.method == "GET":
        values = {
            name: "" if getattr(maker, name) is None else str(getattr(maker, name))
            for name in AUTHORITY_FIELDS
        }
        return render_template(
            "curate/maker_authority.html", maker=maker, values=values, errors={}
        ), 200
    submitted = {name: request.form.get(name, "").strip() for name in AUTHORITY_FIELDS}
    try:
        values: dict[str, Any] = {
            name: _year(submitted[name], name) if name in YEARS else submitted[name] or None
            for name in AUTHORITY_FIELDS
        }
        email, user_id = actor()
        edit = edit_maker(db_session(), maker, values, actor=email, user_id=user_id)
    except AuthorityRefused as problem:
        db_session().rollback()
        return render_template(
            "curate/maker_authority.html",
            maker=maker,
            values=submitted,
            errors={problem.field: _(str(problem))},
        ), 422
    db_session().commit()
    if edit:
        # The Chinese name is searchable: a changed one refreshes the maker's wares.
        if edit.reindex:
            sync_wares(db_session(), edit.reindex)
        flash(_("{name} saved.", name=maker.name))
    else:
        flash(_("Nothing to save: the details are unchanged."))
    return redirect(url_for("curate.maker_authority", maker_id=maker.id))


def _form_of(exhibition: Exhibition | None) -> dict[str, Any]:
    """The exhibition form's values from the catalogue, with blank rows for adding."""
    if exhibition is None:
        return {"fields": {}, "sections": [_blank_section()]}
    sections = []
    for section in exhibition.sections:
        items = []
        for item in section.items:
            photo_number = ""
            if item.photograph is not None:
                photo_number = str(item.ware.photographs.index(item.photograph) + 1)
            items.append(
                {
                    "ware": str(item.ware_id),
                    "photo": photo_number,
                    "region": item.region or "",
                    "caption_en": item.caption_en or "",
                    "caption_zh": item.caption_zh or "",
                    "title": item.ware.title,
                }
            )
        sections.append(
            {
                **{name: getattr(section, name) or "" for name in SECTION_TEXT},
                "items": items + [dict.fromkeys(ITEM_TEXT, "") for _ in range(BLANK_ITEMS)],
            }
        )
    values = {
        name: getattr(exhibition, name) or ""
        for name in ("slug", "title_en", "title_zh", "intro_en", "intro_zh")
    }
    return {"fields": values, "sections": [*sections, _blank_section()]}


def _blank_section() -> dict[str, Any]:
    return {
        **dict.fromkeys(SECTION_TEXT, ""),
        "items": [dict.fromkeys(ITEM_TEXT, "") for _ in range(BLANK_ITEMS + 1)],
    }


def _submitted(form: MultiDict[str, str]) -> dict[str, Any]:
    """The form as submitted, in the same shape as ``_form_of``; empty rows are dropped, and
    sections and items are ordered by their position fields."""

    def position(key: str, default: int) -> float:
        raw = form.get(key, "").strip()
        try:
            return float(raw)
        except ValueError:
            return default

    sections = []
    for i in range(MAX_SECTIONS):
        prefix = f"section-{i}-"
        if not any(key.startswith(prefix) for key in form):
            continue
        if form.get(prefix + "remove"):
            continue
        items = []
        for j in range(MAX_ITEMS):
            item_prefix = f"{prefix}item-{j}-"
            item = {name: form.get(item_prefix + name, "").strip() for name in ITEM_TEXT}
            if item["ware"] and not form.get(item_prefix + "remove"):
                items.append((position(item_prefix + "position", j + 1), j, item))
        section = {name: form.get(prefix + name, "").strip() for name in SECTION_TEXT}
        section["items"] = [item for _p, _j, item in sorted(items, key=lambda t: t[:2])]
        if any(section[name] for name in SECTION_TEXT) or section["items"]:
            sections.append((position(prefix + "position", i + 1), i, section))
    values = {
        name: form.get(name, "").strip()
        for name in ("slug", "title_en", "title_zh", "intro_en", "intro_zh")
    }
    return {
        "fields": values,
        "sections": [s for _p, _i, s in sorted(sections, key=lambda t: t[:2])],
    }


def _drafts(submitted: dict[str, Any]) -> list[SectionDraft]:
    """Sections ready to save; a ware is given by its number or its page address."""
    drafts = []
    for section in submitted["sections"]:
        items = []
        for item in section["items"]:
            number = _NUMBER.search(item["ware"])
            if number is None:
                raise ExhibitionError(f"{item['ware']!r} is not a ware number or ware address")
            ware = db_session().get(Ware, int(number.group(1)))
            if ware is None:
                raise ExhibitionError(f"there is no ware {number.group(1)}")
            photograph_id = None
            if item["photo"]:
                if not item["photo"].isdigit() or not (
                    1 <= int(item["photo"]) <= len(ware.photographs)
                ):
                    raise ExhibitionError(
                        f"ware {ware.id} has no photograph {item['photo']} "
                        f"(it has {len(ware.photographs)})"
                    )
                photograph_id = ware.photographs[int(item["photo"]) - 1].id
            items.append(
                ItemDraft(
                    ware_id=ware.id,
                    photograph_id=photograph_id,
                    region=item["region"].replace(" ", "") or None,
                    caption_en=item["caption_en"] or None,
                    caption_zh=item["caption_zh"] or None,
                )
            )
        drafts.append(
            SectionDraft(**{name: section[name] or None for name in SECTION_TEXT}, items=items)
        )
    return drafts


def _editor(
    exhibition: Exhibition | None, form: dict[str, Any], error: str = "", status: int = 200
) -> tuple[str, int]:
    return render_template(
        "curate/exhibition_form.html", exhibition=exhibition, form=form, error=error
    ), status


def _exhibition(exhibition_id: int) -> Exhibition:
    found = db_session().get(Exhibition, exhibition_id)
    if found is None:
        abort(404)
    loaded = load_exhibition(found.slug)
    assert loaded is not None
    return loaded


def _save(exhibition: Exhibition | None) -> Response | tuple[str, int]:
    submitted = _submitted(request.form)
    email, user_id = actor()
    try:
        saved = save_exhibition(
            db_session(),
            exhibition,
            submitted["fields"],
            _drafts(submitted),
            actor=email,
            user_id=user_id,
        )
    except ExhibitionError as problem:
        db_session().rollback()
        for section in submitted["sections"]:
            section["items"] += [dict.fromkeys(ITEM_TEXT, "") for _ in range(BLANK_ITEMS)]
        submitted["sections"].append(_blank_section())
        return _editor(exhibition, submitted, _(str(problem)), 422)
    db_session().commit()
    forget_recent()
    flash(_("Exhibition saved."))
    return redirect(url_for("curate.edit_exhibition", exhibition_id=saved.id))


@curate.get("/exhibitions")
@access(Rule.CURATOR)
def exhibitions() -> str:
    """Every exhibition, drafts and published."""
    found = db_session().scalars(select(Exhibition).order_by(Exhibition.updated_at.desc()))
    return render_template("curate/exhibitions.html", exhibitions=list(found))


@curate.route("/exhibitions/new", methods=["GET", "POST"])
@access(Rule.CURATOR)
def new_exhibition() -> Response | tuple[str, int]:
    """Compose a new exhibition (saved as a draft)."""
    if request.method == "GET":
        return _editor(None, _form_of(None))
    return _save(None)


@curate.route("/exhibitions/<int:exhibition_id>", methods=["GET", "POST"])
@access(Rule.CURATOR)
def edit_exhibition(exhibition_id: int) -> Response | tuple[str, int]:
    """Edit an exhibition: its texts, sections and the wares and details each shows."""
    exhibition = _exhibition(exhibition_id)
    if request.method == "GET":
        return _editor(exhibition, _form_of(exhibition))
    return _save(exhibition)


@curate.get("/exhibitions/<int:exhibition_id>/preview")
@access(Rule.CURATOR)
def preview_exhibition(exhibition_id: int) -> str:
    """The exhibition as the public will see it, draft or not."""
    return render_template(
        "exhibition.html",
        exhibition=_exhibition(exhibition_id),
        items_of=lambda section: list(section.items),
        item_image=item_image,
        preview=True,
    )


def _set_status(exhibition_id: int, status: ExhibitionStatus, message: str) -> Response:
    exhibition = _exhibition(exhibition_id)
    email, user_id = actor()
    if set_exhibition_status(db_session(), exhibition, status, actor=email, user_id=user_id):
        db_session().commit()
        forget_recent()
        flash(message)
    return redirect(url_for("curate.edit_exhibition", exhibition_id=exhibition.id))


@curate.post("/exhibitions/<int:exhibition_id>/publish")
@access(Rule.CURATOR)
def publish_exhibition(exhibition_id: int) -> Response:
    """Publish an exhibition: it appears on the site, in IIIF and as an OAI-PMH set."""
    return _set_status(exhibition_id, ExhibitionStatus.PUBLISHED, _("Exhibition published."))


@curate.post("/exhibitions/<int:exhibition_id>/withdraw")
@access(Rule.CURATOR)
def withdraw_exhibition(exhibition_id: int) -> Response:
    """Return a published exhibition to draft: it leaves the public site."""
    return _set_status(exhibition_id, ExhibitionStatus.DRAFT, _("Exhibition returned to draft."))


@curate.get("/exhibitions/<int:exhibition_id>/history")
@access(Rule.CURATOR)
def exhibition_history_page(exhibition_id: int) -> str:
    """Every change to the exhibition, newest first."""
    exhibition = _exhibition(exhibition_id)
    events = list(reversed(exhibition_history(db_session(), exhibition.id)))
    return render_template(
        "curate/exhibition_history.html",
        exhibition=exhibition,
        entries=[(event, describe(event)) for event in events],
    )
