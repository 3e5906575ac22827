"""The bilingual ceramics glossary (glossary.tsv beside this module).

Each entry groups equivalent terms in Chinese and English (青花 ↔ blue and white) with a category
and, for periods and reigns, a year range (negative years are BCE). Search uses it to expand a
query in one language with its equivalents in the other, and to read a reign name as a date range.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

GLOSSARY_PATH = Path(__file__).with_name("glossary.tsv")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SEPARATORS = re.compile(r"[\s\-‐–—_/]+")


def normalise_term(text: str) -> str:
    """Return the matching key of a term: NFKC, lower case, accents folded, hyphens as spaces.

    "Blue-and-White", "blue and white" and "Sèvres"/"sevres" compare equal under this key.
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").lower()
    return _SEPARATORS.sub(" ", text).strip()


def is_chinese(text: str) -> bool:
    """True when the text contains at least one Han character."""
    return bool(_HAN.search(text))


@dataclass(frozen=True)
class GlossaryEntry:
    """One concept with its Chinese and English names."""

    zh: tuple[str, ...]
    en: tuple[str, ...]
    category: str
    years: tuple[int, int | None] | None
    source: str

    @property
    def terms(self) -> tuple[str, ...]:
        """Every name of the concept, Chinese first."""
        return self.zh + self.en


class Glossary:
    """Lookup over glossary entries by any of their names (case- and accent-insensitive)."""

    def __init__(self, entries: Iterable[GlossaryEntry]) -> None:
        self.entries: list[GlossaryEntry] = list(entries)
        self._by_key: dict[str, list[GlossaryEntry]] = {}
        for entry in self.entries:
            for term in entry.terms:
                bucket = self._by_key.setdefault(normalise_term(term), [])
                if entry not in bucket:
                    bucket.append(entry)
        self.max_words = max(
            (len(key.split()) for key in self._by_key if not is_chinese(key)), default=1
        )

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, term: str) -> list[GlossaryEntry]:
        """Entries having `term` as one of their names (empty when unknown)."""
        return list(self._by_key.get(normalise_term(term), ()))

    def equivalents(self, term: str) -> list[str]:
        """All other names of every entry that `term` names, in glossary order, without repeats."""
        key = normalise_term(term)
        seen = {key}
        result: list[str] = []
        for entry in self._by_key.get(key, ()):
            for other in entry.terms:
                other_key = normalise_term(other)
                if other_key not in seen:
                    seen.add(other_key)
                    result.append(other)
        return result

    def year_ranges(self, term: str) -> list[tuple[int, int | None]]:
        """Year ranges (earliest, latest or None if open) of the periods/reigns `term` names.

        A name may be ambiguous ("Jin" is both 晋 266–420 and 金 1115–1234), hence a list.
        """
        ranges: list[tuple[int, int | None]] = []
        for entry in self._by_key.get(normalise_term(term), ()):
            if entry.years is not None and entry.years not in ranges:
                ranges.append(entry.years)
        return ranges

    def chinese_terms(self) -> set[str]:
        """Every Chinese name in the glossary (added to jieba's dictionary before segmenting)."""
        return {term for entry in self.entries for term in entry.zh}

    def longest_match(self, words: Sequence[str], start: int) -> int:
        """Number of words from `start` that form the longest glossary term (0 if none)."""
        for length in range(min(self.max_words, len(words) - start), 0, -1):
            if normalise_term(" ".join(words[start : start + length])) in self._by_key:
                return length
        return 0


def _years(first: str, last: str) -> tuple[int, int | None] | None:
    if not first.strip():
        return None
    return int(first), int(last) if last.strip() else None


def load_glossary(path: Path = GLOSSARY_PATH) -> Glossary:
    """Read a glossary TSV file (lines starting with '#' are comments)."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        entries = [
            GlossaryEntry(
                zh=tuple(t.strip() for t in row["zh"].split("|") if t.strip()),
                en=tuple(t.strip() for t in row["en"].split("|") if t.strip()),
                category=row["category"].strip(),
                years=_years(row["year_from"], row["year_to"]),
                source=row["source"].strip(),
            )
            for row in reader
        ]
    return Glossary(entries)


@functools.cache
def default_glossary() -> Glossary:
    """The glossary shipped with Potbank, loaded once per process."""
    return load_glossary()
