"""Every piece of interface text has a Chinese translation, with the same placeholders.

The strings are found by reading the sources: ``_()``/``count()`` calls in every template,
``_()``/``translate()``/``N_()`` calls in the web package's Python, and the vocabularies that
reach ``_()`` as values (the catalogue's enums, the curating form's labels and history actions).
"""

from __future__ import annotations

import ast
import enum
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from jinja2 import Environment
from jinja2.ext import extract_from_ast

from archive import curation, models
from tests.conftest import REPO_ROOT
from web.views.language import LANGUAGES, catalogue

WEB = REPO_ROOT / "web"
PYTHON_MARKERS = {"_", "N_", "translate"}
TEMPLATE_MARKERS = ("_", "count")


def _template_strings(path: Path) -> Iterator[str]:
    tree = Environment(autoescape=True).parse(path.read_text(encoding="utf-8"))
    for _line, _name, message in extract_from_ast(tree, TEMPLATE_MARKERS, babel_style=False):
        for text in message if isinstance(message, tuple) else (message,):
            if isinstance(text, str) and text:
                yield text


def _python_strings(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id in PYTHON_MARKERS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
                yield first.value


def _vocabulary() -> Iterator[str]:
    # Values templates pass to _() as data: enum members and the curating pages' labels.
    from web.curate.forms import FIELDS
    from web.curate.history import ACTIONS, LABELS, PHOTO_DETAIL_LABELS

    for module in (models, curation):
        for item in vars(module).values():
            if (
                isinstance(item, type)
                and issubclass(item, enum.StrEnum)
                and item.__module__
                in (
                    models.__name__,
                    curation.__name__,
                )
            ):
                yield from (member.value for member in item)
    yield from ACTIONS.values()
    yield from LABELS.values()
    yield from PHOTO_DETAIL_LABELS.values()
    yield from (spec.label for spec in FIELDS)


def interface_strings() -> dict[str, str]:
    """Every translatable string, with where it was first found."""
    found: dict[str, str] = {}
    for path in sorted(WEB.rglob("*.html")):
        for text in _template_strings(path):
            found.setdefault(text, str(path.relative_to(REPO_ROOT)))
    for path in sorted(WEB.rglob("*.py")):
        for text in _python_strings(path):
            found.setdefault(text, str(path.relative_to(REPO_ROOT)))
    for text in _vocabulary():
        found.setdefault(text, "vocabulary")
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_sources_hold_the_interface_text() -> None:
    strings = interface_strings()
    # The scan sees templates, Python and vocabularies alike.
    assert "Search the collection" in strings and "Not found" in strings
    assert "{n} wares" in strings and "manufacturer" in strings


@pytest.mark.parametrize("code", [code for code in LANGUAGES if code != "en"])
def test_every_string_has_a_translation(code: str) -> None:
    translations = catalogue(code)
    missing = sorted(
        f"{where}: {text!r}"
        for text, where in interface_strings().items()
        if not translations.get(text, "").strip()
    )
    assert missing == [], f"{len(missing)} strings lack a {code} translation:\n" + "\n".join(
        missing
    )


@pytest.mark.parametrize("code", [code for code in LANGUAGES if code != "en"])
def test_translations_keep_their_placeholders(code: str) -> None:
    # Only an English ordinal's suffix ("18th") may be left out: Chinese has no use for it.
    wrong = [
        text
        for text, translated in catalogue(code).items()
        if _placeholders(translated) - _placeholders(text)
        or _placeholders(text) - _placeholders(translated) - {"suffix"}
    ]
    assert wrong == []


def test_the_chinese_catalogue_is_chinese() -> None:
    # A copied English string is not a translation; only names stay as they are.
    names = {"Potbank", "JSON API", "JSON", "CLIP"}
    han = re.compile(r"[\u4e00-\u9fff]")
    untranslated = [
        text
        for text, translated in catalogue("zh").items()
        if text not in names
        and re.search("[A-Za-z]", re.sub(r"\{\w+\}", "", text))
        and not han.search(translated)
    ]
    assert untranslated == []
