"""Institutions for admins: the list with counts, adding one and editing its details."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from archive.institutions import (
    INSTITUTION_FIELDS,
    NameTaken,
    create_institution,
    list_institutions,
    name_taken,
    update_institution,
)
from archive.models import Institution, Ware
from web.auth import Rule, access
from web.curate.access import actor
from web.curate.blueprint import curate
from web.curate.forms import clean_text
from web.curate.indexing import sync_wares
from web.views.context import db_session
from web.views.formatting import translate as _

MAX_LENGTHS = {"name": 200, "name_zh": 200, "place": 200, "url": 500}


@dataclass
class InstitutionForm:
    """The institution form as submitted, and what is wrong with it (translated messages)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, institution: Institution) -> InstitutionForm:
        return cls(values={name: getattr(institution, name) or "" for name in INSTITUTION_FIELDS})


def web_address(value: str) -> bool:
    """Whether ``value`` is an http(s) URL with a host (no javascript:, data: or bare words)."""
    if any(char.isspace() for char in value):
        return False
    parts = urlsplit(value)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def read_institution_form(data: MultiDict[str, str], except_id: int | None) -> InstitutionForm:
    """Read and check the submitted form; ``errors`` is empty when it can be saved."""
    form = InstitutionForm(values={name: clean_text(data.get(name)) for name in INSTITUTION_FIELDS})
    for name, limit in MAX_LENGTHS.items():
        if len(form.values[name]) > limit:
            form.errors[name] = _("Too long: {n} characters at most.", n=f"{limit:,}")
    if not form.values["name"]:
        form.errors["name"] = _("The name is required.")
    url = form.values["url"]
    if url and "url" not in form.errors and not web_address(url):
        form.errors["url"] = _("A web address starting with http:// or https://.")
    for name in ("name", "name_zh"):
        value = form.values[name]
        if value and name not in form.errors and name_taken(db_session(), name, value, except_id):
            form.errors[name] = _taken_message(name)
    return form


def _taken_message(name: str) -> str:
    if name == "name_zh":
        return _("Another institution already has this Chinese name.")
    return _("Another institution already has this name.")


def _form_page(
    form: InstitutionForm, institution: Institution | None, status: int = 200
) -> tuple[str, int]:
    page = render_template("curate/institution.html", form=form, institution=institution)
    return page, status


def _institution(institution_id: int) -> Institution:
    institution = db_session().get(Institution, institution_id)
    if institution is None:
        abort(404)
    return institution


@curate.get("/institutions")
@access(Rule.ADMIN)
def institutions() -> str:
    """Every institution with its accounts and wares."""
    return render_template("curate/institutions.html", institutions=list_institutions(db_session()))


@curate.route("/institutions/new", methods=["GET", "POST"])
@access(Rule.ADMIN)
def new_institution() -> Response | tuple[str, int]:
    """A blank institution form; saving adds the institution."""
    if request.method == "GET":
        return _form_page(InstitutionForm(values=dict.fromkeys(INSTITUTION_FIELDS, "")), None)
    form = read_institution_form(request.form, None)
    if form.errors:
        return _form_page(form, None, 422)
    email, user_id = actor()
    try:
        created = create_institution(db_session(), form.values, actor=email, user_id=user_id)
        db_session().commit()
    except NameTaken as taken:
        db_session().rollback()
        form.errors[taken.field] = _taken_message(taken.field)
        return _form_page(form, None, 422)
    except IntegrityError:
        # Someone added the same name between the check and the save.
        db_session().rollback()
        form.errors["name"] = _taken_message("name")
        return _form_page(form, None, 422)
    flash(_("{name} added.", name=created.name))
    return redirect(url_for("curate.institutions"))


@curate.route("/institutions/<int:institution_id>", methods=["GET", "POST"])
@access(Rule.ADMIN)
def edit_institution(institution_id: int) -> Response | tuple[str, int]:
    """An institution's details; a new name also reaches the search index of its wares."""
    institution = _institution(institution_id)
    if request.method == "GET":
        return _form_page(InstitutionForm.of(institution), institution)
    form = read_institution_form(request.form, institution.id)
    if form.errors:
        return _form_page(form, institution, 422)
    email, user_id = actor()
    try:
        changed = update_institution(
            db_session(), institution, form.values, actor=email, user_id=user_id
        )
        db_session().commit()
    except (NameTaken, IntegrityError) as refusal:
        db_session().rollback()
        taken = refusal.field if isinstance(refusal, NameTaken) else "name"
        form.errors[taken] = _taken_message(taken)
        return _form_page(form, _institution(institution_id), 422)
    if "name" in changed:
        # Search documents carry the institution's name (and its facet): refresh its wares.
        ware_ids = db_session().scalars(
            select(Ware.id).where(Ware.institution_id == institution.id)
        )
        sync_wares(db_session(), list(ware_ids))
    if changed:
        flash(_("{name} saved.", name=institution.name))
    else:
        flash(_("Nothing to save: the details are unchanged."))
    return redirect(url_for("curate.institutions"))
