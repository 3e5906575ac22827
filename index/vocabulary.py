"""The bilingual vocabulary of the data: how a value of the catalogue is named in each language.

A value (an object type "jar", a material "porcelain", a place "Jingdezhen", an institution's
name, a century "18th century") is looked up by any of its names, case-, accent- and script-
insensitively (traditional = simplified), and answered with the preferred English and Chinese
names of its concept. The concepts come from the shipped glossary (index/glossary.tsv: its first
Chinese and first English name are the preferred ones), from institutions' Chinese names, and
from the terms curators add in the browser (archive.vocabulary), which take precedence.

A value the vocabulary lacks is shown as written, in both languages; `potbank vocabulary
report` lists such values by frequency so that curators can add them.

Other modules use `label(value, lang)` and `pair(value)`, which read the process's current
vocabulary (`current()`; the web app refreshes it when curators change terms).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from index.glossary import Glossary, default_glossary, is_chinese, normalise_term

LANGUAGES = ("en", "zh")
_CENTURY = re.compile(r"^(\d+)(?:st|nd|rd|th) century( BCE)?$")
_PARTS = re.compile(r"\s*[/;]\s*")


@dataclass(frozen=True)
class Term:
    """One concept of the vocabulary."""

    en: str
    zh: str
    category: str
    names: tuple[str, ...]
    aat_id: str | None = None
    source: str = ""

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def _glossary_terms(glossary: Glossary) -> list[Term]:
    return [
        Term(
            en=entry.en[0],
            zh=entry.zh[0],
            category=entry.category,
            names=entry.terms,
            aat_id=entry.aat,
            source=entry.source,
        )
        for entry in glossary.entries
        if entry.en and entry.zh
    ]


class Vocabulary:
    """Terms by every one of their names."""

    def __init__(self, terms: Iterable[Term], overrides: Iterable[Term] = ()) -> None:
        terms, overrides = list(terms), list(overrides)
        self.terms: list[Term] = terms + overrides
        self._by_name: dict[str, Term] = {}
        # Among `terms` the first to use a name keeps it (瓶 "vase, bottle" before 花瓶
        # "vase, flower vase"); each of `overrides` (curators' terms) takes its names.
        for term in terms:
            for name in (term.en, term.zh, *term.names):
                if name:
                    self._by_name.setdefault(normalise_term(name), term)
        for term in overrides:
            for name in (term.en, term.zh, *term.names):
                if name:
                    self._by_name[normalise_term(name)] = term

    def term(self, value: str) -> Term | None:
        """The concept `value` names (None when the vocabulary lacks it)."""
        return self._by_name.get(normalise_term(value)) if value else None

    def knows(self, value: str) -> bool:
        """Whether the value has a name in both languages (compound values: every part)."""
        if self.term(value) is not None or _century(value, "zh") is not None:
            return True
        parts = [p for p in _PARTS.split(value) if p]
        return len(parts) > 1 and all(self.term(p) is not None for p in parts)

    def label(self, value: str, lang: str) -> str:
        """`value` in language `lang` ("en" or "zh"): as written when it is in that language
        already or the vocabulary lacks it, else the concept's preferred name in `lang`.

        A compound value ("pottery/earthenware") is named part by part when every part is known.
        """
        if not value or is_chinese(value) == (lang == "zh"):
            return value  # already in the reader's language: as the record writes it
        term = self.term(value)
        if term is not None:
            return term.name(lang)
        century = _century(value, lang)
        if century is not None:
            return century
        parts = [p for p in _PARTS.split(value) if p]
        if len(parts) > 1 and all(self.term(p) is not None for p in parts):
            separator = "、" if lang == "zh" else "/"
            return separator.join(self.label(p, lang) for p in parts)
        return value

    def pair(self, value: str) -> dict[str, str]:
        """`{"en": ..., "zh": ...}` for the API."""
        return {lang: self.label(value, lang) for lang in LANGUAGES}

    def names(self, value: str) -> list[str]:
        """Every name of `value`'s concept (the value itself first): a filter in either language
        matches the data as written in the other."""
        term = self.term(value)
        if term is None:
            return [value]
        return list(dict.fromkeys([value, term.en, term.zh, *term.names]))


def _century(value: str, lang: str) -> str | None:
    """Centuries as the index writes them ("18th century", "3rd century BCE"), in `lang`."""
    match = _CENTURY.match(value.strip())
    if match is None:
        return None
    if lang == "zh":
        return f"公元前 {match[1]} 世纪" if match[2] else f"{match[1]} 世纪"
    return value.strip()


def build(
    curated: Iterable[Term] = (),
    institutions: Iterable[tuple[str, str | None]] = (),
    glossary: Glossary | None = None,
) -> Vocabulary:
    """The glossary's terms, then institutions' (name, Chinese name), then curators' terms."""
    named = [
        Term(en=name, zh=name_zh, category="institution", names=(name, name_zh))
        for name, name_zh in institutions
        if name and name_zh
    ]
    return Vocabulary(_glossary_terms(glossary or default_glossary()), [*named, *curated])


def curated_term(
    category: str,
    en: str,
    zh: str,
    alternates: str | None,
    aat_id: str | None = None,
    source: str | None = None,
) -> Term:
    """A curator's term (alternates "|"-separated, in either language) as a vocabulary Term."""
    others = tuple(a.strip() for a in (alternates or "").split("|") if a.strip())
    return Term(
        en=en,
        zh=zh,
        category=category,
        names=(en, zh, *others),
        aat_id=aat_id or None,
        source=source or "",
    )


_lock = threading.Lock()
_current: Vocabulary | None = None


def current() -> Vocabulary:
    """The process's vocabulary (the glossary alone until `set_current` is called)."""
    global _current
    with _lock:
        if _current is None:
            _current = build()
        return _current


def set_current(vocabulary: Vocabulary) -> None:
    """Make `vocabulary` the one `label`, `pair` and the search filters use."""
    global _current
    with _lock:
        _current = vocabulary


def label(value: str, lang: str) -> str:
    """`value` in language `lang` ("en"/"zh") from the current vocabulary; as written if unknown."""
    return current().label(value, lang)


def pair(value: str) -> dict[str, str]:
    """`{"en": ..., "zh": ...}` of `value` from the current vocabulary."""
    return current().pair(value)


def is_known(value: str) -> bool:
    """Whether the current vocabulary names `value` in both languages."""
    return current().knows(value)


__all__ = [
    "Term",
    "Vocabulary",
    "build",
    "curated_term",
    "current",
    "is_known",
    "label",
    "pair",
    "set_current",
]
