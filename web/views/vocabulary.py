"""Catalogue values in the visitor's language, from the bilingual vocabulary (index.vocabulary).

The vocabulary is the shipped glossary plus institutions' Chinese names plus curators' terms;
it is rebuilt when those change and made the process's current vocabulary, which the search
filters also use. Whether they changed is asked at most once a second (two small queries: on
PostgreSQL they were two of a request's five statements); a write request served by this
process makes the next request ask at once, so an editor sees an edit on the next page and
other workers within a second.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import func, select

from archive.models import Institution
from archive.vocabulary import VocabularyTerm
from index import vocabulary as vocab
from web.views.context import app_state, db_session
from web.views.language import LANGUAGES, catalogue, current_language

CHECK_EVERY_SECONDS = 1.0
_lock = threading.Lock()
_built: dict[str, Any] = {"version": None, "checked": -math.inf, "database": None}


def active() -> vocab.Vocabulary:
    """The vocabulary for this request, rebuilt first if curators or institutions changed it."""
    if "vocabulary" in g:
        return g.vocabulary  # type: ignore[no-any-return]
    now = time.monotonic()
    # Another app in this process (another instance's database) always asks.
    database = app_state().settings.database_url
    if now - _built["checked"] >= CHECK_EVERY_SECONDS or _built["database"] != database:
        _rebuild_if_changed()
        _built["checked"], _built["database"] = now, database
    g.vocabulary = vocab.current()
    return g.vocabulary  # type: ignore[no-any-return]


def _rebuild_if_changed() -> None:
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


def ask_again_next_request() -> None:
    """Make the next request check the vocabulary at once (this process may have changed it)."""
    _built["checked"] = -math.inf


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
    """The `vocab` filter: `{{ ware.material | vocab }}`, and the check after a write request."""
    app.jinja_env.filters.update(vocab=value_label)

    @app.after_request
    def _after_a_write(response: Response) -> Response:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            ask_again_next_request()
        return response
