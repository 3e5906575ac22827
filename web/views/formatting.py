"""How catalogue values are shown: years, date ranges, licences, highlighted snippets."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

from flask import Flask, request
from markupsafe import Markup, escape

from web.views.language import N_, current_language, gettext

_CC_LICENCE = re.compile(
    r"creativecommons\.org/(?:licenses/(?P<kind>[a-z-]+)/(?P<version>[\d.]+)"
    r"|publicdomain/(?P<pd>zero|mark)/(?P<pd_version>[\d.]+))",
    re.IGNORECASE,
)
_RIGHTS_STATEMENTS = {
    "InC": N_("In Copyright"),
    "InC-EDU": N_("In Copyright – Educational Use Permitted"),
    "InC-NC": N_("In Copyright – Non-Commercial Use Permitted"),
    "InC-RUU": N_("In Copyright – Rights-holder(s) Unlocatable"),
    "NoC-CR": N_("No Copyright – Contractual Restrictions"),
    "NoC-NC": N_("No Copyright – Non-Commercial Use Only"),
    "NoC-OKLR": N_("No Copyright – Other Known Legal Restrictions"),
    "NoC-US": N_("No Copyright – United States"),
    "CNE": N_("Copyright Not Evaluated"),
    "UND": N_("Copyright Undetermined"),
    "NKC": N_("No Known Copyright"),
}
_HAN_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Highlight tags the search index may emit; everything else in a snippet is treated as text.
_HIGHLIGHT_TAG = re.compile(r"(</?(?:mark|strong|b|em)(?:\s+class=\"[\w\s-]*\")?>)", re.IGNORECASE)


def translate(text: str, **values: object) -> str:
    """Interface text in the visitor's language, with ``{name}`` placeholders filled in.

    Every visible string goes through this (``_`` in templates); the translation is looked up
    before the values are put in, so a catalogue holds whole sentences with their placeholders.
    """
    translated = gettext(text)
    return translated.format(**values) if values else translated


def count(number: int, one: str, many: str) -> str:
    """``1 ware`` or ``3 wares``: ``one`` and ``many`` hold ``{n}`` and are translated whole."""
    return translate(one if number == 1 else many, n=f"{number:,}")


def year(value: int | None) -> str:
    """A year for display: negative years are BCE."""
    if value is None:
        return ""
    return translate("{year} BCE", year=-value) if value < 0 else str(value)


def year_range(earliest: int | None, latest: int | None) -> str:
    """``1736–1795``, ``3800–3200 BCE``, or a single year."""
    if earliest is None and latest is None:
        return ""
    if earliest is None or latest is None or earliest == latest:
        return year(earliest if earliest is not None else latest)
    if earliest < 0 and latest < 0:
        return translate("{earliest}–{latest} BCE", earliest=-earliest, latest=-latest)
    return f"{year(earliest)}–{year(latest)}"


# A range of years as catalogues write it: any dash (hyphen, en, em, wave) between two numbers.
_WRITTEN_RANGE = re.compile(r"(\d[\d,]*)\s*[-\u2010-\u2015\u301c~]\s*(\d[\d,]*)")
_NUMBER = re.compile(r"\d[\d,]*")


def nowrap_ranges(text: str | None) -> Markup:
    """``text`` escaped, with each range of years written with an en dash and kept on one line,
    so "1736—1795" reads as "1736–1795" and never breaks after the dash on a phone."""
    if not text:
        return Markup("")
    escaped = str(escape(text))
    # The escaped text holds no tags; the only ones added are these spans around digits.
    return Markup(  # noqa: S704
        _WRITTEN_RANGE.sub('<span class="nowrap">\\1\u2013\\2</span>', escaped)
    )


def date_shown(text: str | None, earliest: int | None, latest: int | None) -> Markup:
    """A record's date as written, with its range of years after it only when the written date
    does not already say those years (so "Qing (1736—1795)" is not followed by "(1736–1795)")."""
    years = year_range(earliest, latest)
    if not text:
        return nowrap_ranges(years)
    written = {int(number.replace(",", "")) for number in _NUMBER.findall(text)}
    bounds = {abs(value) for value in (earliest, latest) if value is not None}
    shown = nowrap_ranges(text)
    if years and not bounds <= written:
        shown += Markup(' <span class="muted">(') + nowrap_ranges(years) + Markup(")</span>")
    return shown


def licence_label(uri: str | None) -> str:
    """A short human name for a Creative Commons or rightsstatements.org URI."""
    if not uri:
        return ""
    match = _CC_LICENCE.search(uri)
    if match and match.group("kind"):
        return f"CC {match.group('kind').upper()} {match.group('version')}"
    if match and match.group("pd") == "zero":
        return f"CC0 {match.group('pd_version')}"
    if match:
        return "Public Domain Mark"
    statement = re.search(r"rightsstatements\.org/vocab/([\w-]+)/", uri)
    if statement:
        return _RIGHTS_STATEMENTS.get(statement.group(1), statement.group(1))
    return uri


def licence_name(uri: str | None) -> str:
    """``licence_label`` in the visitor's language, for pages (the API keeps the English)."""
    return translate(licence_label(uri)) if uri else ""


def bilingual(english: str | None, chinese: str | None) -> list[tuple[str, str]]:
    """A record's English and Chinese values that exist, as ``(text, lang)``, the visitor's
    language first: a title heads the page in the reader's language, with the other below."""
    pairs = [(text, lang) for text, lang in ((english, "en"), (chinese, "zh")) if text]
    if current_language() == "zh":
        pairs.reverse()
    return pairs


def is_link(value: str | None) -> bool:
    """Whether a rights value is a web address we may link to."""
    return bool(value) and str(value).startswith(("https://", "http://"))


def safe_snippet(snippet: str | None) -> Markup:
    """A search snippet as markup holding only ``<mark>`` highlights; every other byte escaped.

    The index may send highlights as ``<mark>`` or ``<b class="match">`` and text escaped or not;
    text is unescaped then escaped once, so nothing from a record can become a tag.
    """
    if not snippet:
        return Markup("")
    parts: list[str] = []
    open_mark = False
    for piece in _HIGHLIGHT_TAG.split(snippet):
        if _HIGHLIGHT_TAG.fullmatch(piece):
            # Kept balanced whatever the input, so a stray tag cannot swallow the rest of a page.
            closing = piece.startswith("</")
            if closing == open_mark:
                parts.append("</mark>" if closing else "<mark>")
                open_mark = not closing
        else:
            parts.append(str(escape(html.unescape(piece))))
    if open_mark:
        parts.append("</mark>")
    # Every text piece was escaped above; the only tags left are the <mark> pairs we wrote.
    return Markup("".join(parts))  # noqa: S704


def url_with(**changes: object) -> str:
    """The current query string with ``changes`` applied (None removes a key); page resets to 1
    unless it is one of the changes, since a new filter makes the old page meaningless."""
    params: dict[str, list[str]] = {key: request.args.getlist(key) for key in request.args}
    if "page" not in changes:
        params.pop("page", None)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = [str(value)]
    return "?" + urlencode([(k, v) for k, values in params.items() for v in values])


def url_toggle(name: str, value: str) -> str:
    """The current query string with facet value ``name=value`` added, or removed if present."""
    pairs = [(k, v) for k in request.args for v in request.args.getlist(k) if k != "page"]
    if (name, value) in pairs:
        pairs.remove((name, value))
    else:
        pairs.append((name, value))
    return "?" + urlencode(pairs)


def join_list(items: object) -> str:
    """Items as a list in the visitor's language: 、 between them in Chinese, a comma in English."""
    separator = "、" if current_language() == "zh" else ", "
    return separator.join(str(item) for item in items)  # type: ignore[attr-defined]


def colon(label: str) -> str:
    """A label followed by a colon: full-width (：) in Chinese."""
    return translate("{label}:", label=label)


def translate_html(text: str, **values: object) -> Markup:
    """Like ``translate``, for values that are markup themselves (other values are escaped)."""
    # The template is escaped first, so only the values that are Markup carry tags.
    return Markup(escape(gettext(text))).format(**values)  # noqa: S704


def join_terms(terms: object) -> Markup:
    """Search terms as a list in the visitor's language; each one not in Chinese is marked as
    English (``lang="en"``), since it is a word of the other language, not interface text."""
    separator = "、" if current_language() == "zh" else ", "
    items = [
        escape(term)
        if _HAN_CHAR.search(str(term))
        else Markup('<span lang="en">{}</span>').format(term)
        for term in terms  # type: ignore[attr-defined]
    ]
    return Markup(separator).join(items)  # noqa: S704 (a constant: "、" or ", ")


def paren(text: object) -> str:
    """Text in brackets: full-width （） in Chinese."""
    return translate("({inner})", inner=text)


def list_separator() -> str:
    """Between the items of a list: 、 in Chinese, a semicolon in English."""
    return "、" if current_language() == "zh" else "; "


VIEWS = ("grid", "list")


def chosen_view(mostly_unphotographed: bool) -> str:
    """``grid`` or ``list``: the reader's choice (``?view=``), else a compact list when most
    wares have no photograph, since a wall of placeholder boxes tells the reader nothing."""
    asked = request.args.get("view", "")
    if asked in VIEWS:
        return asked
    return "list" if mostly_unphotographed else "grid"


def register(app: Flask) -> None:
    """Make the formatting helpers available to templates."""
    app.jinja_env.globals.update(
        _=translate,
        count=count,
        url_with=url_with,
        url_toggle=url_toggle,
        bilingual=bilingual,
        join_list=join_list,
        colon=colon,
        paren=paren,
        join_terms=join_terms,
        _html=translate_html,
        list_separator=list_separator,
        date_shown=date_shown,
        chosen_view=chosen_view,
    )
    app.jinja_env.filters.update(
        year=year,
        year_range=year_range,
        nowrap_ranges=nowrap_ranges,
        licence_label=licence_name,
        is_link=is_link,
        snippet=safe_snippet,
    )
