"""The bilingual vocabulary for curators: the terms they added, the catalogue's values still
without a Chinese (or English) name, and adding or editing a term (audited)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from archive.vocabulary import (
    CATEGORIES,
    TERM_FIELDS,
    TermTaken,
    VocabularyTerm,
    create_term,
    list_terms,
    update_term,
)
from index.glossary import is_chinese
from index.vocabulary_report import missing_values
from web.auth import Rule, access
from web.curate.access import actor
from web.curate.blueprint import curate
from web.curate.forms import clean_text
from web.views.context import db_session
from web.views.formatting import translate as _
from web.views.language import N_
from web.views.vocabulary import active

MAX_LENGTHS = {"en": 200, "zh": 200, "alternates": 1000, "aat_id": 20, "source": 300}
# Getty AAT subject ids are nine digits starting 300 (e.g. 300010662); no other form is taken.
_AAT_ID = re.compile(r"^300\d{6}$")
CATEGORY_LABELS = {
    "object_type": N_("Object type"),
    "material": N_("Material"),
    "technique": N_("Technique and decoration"),
    "place": N_("Place"),
    "period": N_("Period"),
    "institution": N_("Institution"),
    "collection": N_("Collection"),
    "other": N_("Other"),
}


@dataclass
class TermForm:
    """The term form as submitted, and what is wrong with it (translated messages)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, term: VocabularyTerm) -> TermForm:
        return cls(values={name: getattr(term, name) or "" for name in TERM_FIELDS})


def read_term_form(data: MultiDict[str, str]) -> TermForm:
    """Read and check the submitted form; ``errors`` is empty when it can be saved."""
    form = TermForm(values={name: clean_text(data.get(name)) for name in TERM_FIELDS})
    for name, limit in MAX_LENGTHS.items():
        if len(form.values[name]) > limit:
            form.errors[name] = _("Too long: {n} characters at most.", n=f"{limit:,}")
    if form.values["category"] not in CATEGORIES:
        form.errors["category"] = _("Choose one of the categories.")
    if not form.values["en"]:
        form.errors["en"] = _("The English name is required.")
    if not form.values["zh"]:
        form.errors["zh"] = _("The Chinese name is required.")
    elif "zh" not in form.errors and not is_chinese(form.values["zh"]):
        form.errors["zh"] = _("The Chinese name must be written in Chinese characters.")
    if form.values["aat_id"] and not _AAT_ID.match(form.values["aat_id"]):
        form.errors["aat_id"] = _("A Getty AAT id is nine digits starting with 300.")
    return form


def _page(form: TermForm, term: VocabularyTerm | None, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "curate/vocabulary_term.html", form=form, term=term, categories=CATEGORY_LABELS
    )
    return page, status


def _term(term_id: int) -> VocabularyTerm:
    term = db_session().get(VocabularyTerm, term_id)
    if term is None:
        abort(404)
    return term


@curate.get("/vocabulary")
@access(Rule.CURATOR)
def vocabulary() -> str:
    """The curators' terms and the catalogue's values the vocabulary lacks, most frequent first."""
    missing = missing_values(db_session(), active())[:50]
    return render_template(
        "curate/vocabulary.html",
        terms=list_terms(db_session()),
        missing=missing,
        categories=CATEGORY_LABELS,
    )


@curate.route("/vocabulary/new", methods=["GET", "POST"])
@access(Rule.CURATOR)
def new_term() -> Response | tuple[str, int]:
    """A blank term form (pre-filled from ``?en=`` and ``?category=``); saving adds the term."""
    if request.method == "GET":
        values = dict.fromkeys(TERM_FIELDS, "")
        values["en"] = clean_text(request.args.get("en"))[:200]
        category = request.args.get("category", "")
        values["category"] = category if category in CATEGORIES else "other"
        return _page(TermForm(values=values), None)
    form = read_term_form(request.form)
    if form.errors:
        return _page(form, None, 422)
    email, user_id = actor()
    try:
        created = create_term(db_session(), form.values, actor=email, user_id=user_id)
        db_session().commit()
    except (TermTaken, IntegrityError):
        db_session().rollback()
        form.errors["en"] = _("This category already has a term with this English name.")
        return _page(form, None, 422)
    flash(_("{name} added.", name=f"{created.en} / {created.zh}"))
    return redirect(url_for("curate.vocabulary"))


@curate.route("/vocabulary/<int:term_id>", methods=["GET", "POST"])
@access(Rule.CURATOR)
def edit_term(term_id: int) -> Response | tuple[str, int]:
    """A term's names; saving changes them everywhere they are shown."""
    term = _term(term_id)
    if request.method == "GET":
        return _page(TermForm.of(term), term)
    form = read_term_form(request.form)
    if form.errors:
        return _page(form, term, 422)
    email, user_id = actor()
    try:
        changed = update_term(db_session(), term, form.values, actor=email, user_id=user_id)
        db_session().commit()
    except (TermTaken, IntegrityError):
        db_session().rollback()
        form.errors["en"] = _("This category already has a term with this English name.")
        return _page(form, _term(term_id), 422)
    if changed:
        flash(_("{name} saved.", name=f"{term.en} / {term.zh}"))
    else:
        flash(_("Nothing to save: the details are unchanged."))
    return redirect(url_for("curate.vocabulary"))
