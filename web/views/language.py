"""The interface language: English or Chinese, chosen by a remembered switch or the browser.

Interface text is written in English in the sources and looked up, whole, in a catalogue per
language (``web/translations/<code>.json``: English text → translation). A string missing from a
catalogue falls back to English; ``tests/web/test_translations.py`` makes sure none is missing.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, g, has_request_context, redirect, request

# The first is the default when the browser states no preference we have.
LANGUAGES = ("en", "zh")
# What each language calls itself, for the switch; and its tag for <html lang> (the Chinese
# text is in simplified characters, which also picks the right CJK font in browsers).
NATIVE_NAMES = {"en": "English", "zh": "中文"}
HTML_TAGS = {"en": "en", "zh": "zh-Hans"}
COOKIE = "potbank_lang"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
CATALOGUES = Path(__file__).resolve().parents[1] / "translations"

language = Blueprint("language", __name__)


def N_(text: str) -> str:
    """Mark ``text`` for translation where it is defined; it is translated where it is shown."""
    return text


@cache
def catalogue(code: str) -> dict[str, str]:
    """The translations of one language (empty for English, the language of the sources)."""
    path = CATALOGUES / f"{code}.json"
    if code == LANGUAGES[0] or not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def current_language() -> str:
    """The visitor's language: their switch (a cookie), else their browser's, else English."""
    if not has_request_context():
        return LANGUAGES[0]
    if "language" not in g:
        chosen = request.cookies.get(COOKIE, "")
        if chosen not in LANGUAGES:
            chosen = request.accept_languages.best_match(LANGUAGES, default=LANGUAGES[0])
        g.language = chosen
    return str(g.language)


def gettext(text: str) -> str:
    """``text`` in the visitor's language (English when it has no translation)."""
    return catalogue(current_language()).get(text, text) if text else text


def _local_path(target: str) -> str:
    # Only a path on this site, so the switch cannot be used to send visitors elsewhere.
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or "\\" in target:
        return "/"
    return target


@language.get("/language/<code>")
def switch(code: str) -> Response:
    """Remember ``code`` as the visitor's language and return to the page they were on."""
    response = redirect(_local_path(request.args.get("next", "/")), code=303)
    if code in LANGUAGES:
        response.set_cookie(
            COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True, path="/"
        )
    return response


def _vary_html(response: Response) -> Response:
    # A page's words depend on these, so shared caches must not hand one visitor's language to
    # another; images and static files are the same in every language and stay shareable.
    if response.mimetype == "text/html":
        response.vary.update(("Cookie", "Accept-Language"))
    return response


def register(app: Flask) -> None:
    """Add the switch route, the template helpers and the Vary header."""
    app.register_blueprint(language)
    app.after_request(_vary_html)

    @app.context_processor
    def _language_context() -> dict[str, object]:
        code = current_language()
        return {
            "lang": code,
            "html_lang": HTML_TAGS[code],
            "other_languages": [
                (other, NATIVE_NAMES[other], HTML_TAGS[other])
                for other in LANGUAGES
                if other != code
            ],
        }
