"""Catalogue values in the visitor's language, from the bilingual vocabulary (index.vocabulary).

The vocabulary is the shipped glossary plus institutions' Chinese names plus curators' terms;
it is rebuilt when those change (checked once a request, with one small query) and made the
process's current vocabulary, which the search filters also use.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, g
from sqlalchemy import func, select

from archive.models import Institution
from archive.vocabulary import VocabularyTerm
from index import vocabulary as vocab
from web.views.context import db_session
from web.views.language import LANGUAGES, catalogue, current_language

_lock = threading.Lock()
_built: dict[str, Any] = {"version": None}


def active() -> vocab.Vocabulary:
    """The vocabulary for this request, rebuilt first if curators or institutions changed it."""
    if "vocabulary" in g:
        return g.vocabulary  # type: ignore[no-any-return]
    session = db_session()
    institutions = tuple(session.execute(select(Institution.name, Institution.name_zh)).all())
    count, latest = session.execute(
        select(func.count(VocabularyTerm.id), func.max(VocabularyTerm.updated_at))
    ).one()
    version = (count, str(latest), institutions)
    with _lock:
        if _built["version"] != version:
            terms = [
                vocab.curated_term(t.category, t.en, t.zh, t.alternates, t.aat_id, t.source)
                for t in session.scalars(select(VocabularyTerm).order_by(VocabularyTerm.id))
            ]
            vocab.set_current(vocab.build(terms, institutions))
            _built["version"] = version
    g.vocabulary = vocab.current()
    return g.vocabulary  # type: ignore[no-any-return]


def value_label(value: object, lang: str | None = None) -> str:
    """A catalogue value in the visitor's language (as written when the vocabulary lacks it)."""
    if value is None or value == "":
        return ""
    return active().label(str(value), lang or current_language())


def value_pair(value: object) -> dict[str, str] | None:
    """`{"en": ..., "zh": ...}` of a catalogue value for the API (None for no value)."""
    if value is None or value == "":
        return None
    return active().pair(str(value))


def interface_pair(text: str) -> dict[str, str]:
    """An interface word (a code's label) in both languages, from the translation catalogues."""
    return {code: catalogue(code).get(text, text) for code in LANGUAGES}


def register(app: Flask) -> None:
    """The `vocab` filter: `{{ ware.material | vocab }}`."""
    app.jinja_env.filters.update(vocab=value_label)
