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

from index.script import pinyin_key, romanisation_key, to_simplified

GLOSSARY_PATH = Path(__file__).with_name("glossary.tsv")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SEPARATORS = re.compile(r"[\s\-‐–—_/]+")


def normalise_term(text: str) -> str:
    """Return the matching key of a term: NFKC, lower case, accents folded, hyphens as spaces.

    "Blue-and-White", "blue and white" and "Sèvres"/"sevres" compare equal under this key, and
    so do traditional and simplified characters (龍紋 and 龙纹).
    """
    text = to_simplified(text)
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
    # A Getty AAT id ("300203596") where one was checked against a published label, else None.
    aat: str | None = None

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
        # Toneless pinyin of every Chinese name of two or more characters (one character's
        # pinyin, such as pan for 盘, would too often be an English word or another name).
        self._by_pinyin: dict[str, list[GlossaryEntry]] = {}
        for entry in self.entries:
            for term in entry.zh:
                if len(term) >= 2:
                    bucket = self._by_pinyin.setdefault(pinyin_key(term), [])
                    if entry not in bucket:
                        bucket.append(entry)
        syllables = max((len(normalise_term(t)) for e in self.entries for t in e.zh), default=1)
        self.max_words = max(
            (len(key.split()) for key in self._by_key if not is_chinese(key)), default=1
        )
        self.max_words = max(self.max_words, min(syllables, 8))

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, term: str) -> list[GlossaryEntry]:
        """Entries having `term` as one of their names (empty when unknown)."""
        return list(self._by_key.get(normalise_term(term), ()))

    def pinyin_lookup(self, text: str) -> list[GlossaryEntry]:
        """Entries one of whose Chinese names is romanised as `text` (with or without tones and
        spaces: qinghua, qing hua, qīnghuā, qing1hua1). Empty for non-Latin text."""
        if is_chinese(text) or not text.strip():
            return []
        return list(self._by_pinyin.get(romanisation_key(text), ()))

    def entries_for(self, term: str) -> list[GlossaryEntry]:
        """Entries `term` names, read as a name first and as pinyin otherwise."""
        return self.lookup(term) or self.pinyin_lookup(term)

    def is_ambiguous(self, term: str) -> bool:
        """True when `term` names more than one concept (Jin; blue and white)."""
        return len(self._by_key.get(normalise_term(term), ())) > 1

    def part_entries(self, word: str) -> tuple[list[GlossaryEntry], list[str]]:
        """For a Chinese word no entry names: the entries it is part of, or the entries named
        by its parts.

        Returns (entries the word is part of, []) when one to three entries have one of the
        shortest Chinese names containing the word (碧玉 in 碧玉细炻器), else ([], parts): the
        longest glossary names inside the word, left to right, when they cover at least half
        of it (盘 in 盘子, 象棋 in 国际象棋). Both are empty when neither applies.
        """
        word = normalise_term(word)
        if not is_chinese(word) or word in self._by_key:
            return [], []
        if len(word) >= 2:
            # The shortest names holding the word (博物 -> 博物馆, not every museum's name).
            holders = [
                (len(key), entry)
                for key, entries in self._by_key.items()
                if word in key and is_chinese(key)
                for entry in entries
            ]
            shortest = min((size for size, _ in holders), default=0)
            containing = list(dict.fromkeys(e for size, e in holders if size == shortest))
            if 1 <= len(containing) <= 3:
                return containing, []
        parts: list[str] = []
        i = 0
        while i < len(word):
            for size in range(len(word) - i, 0, -1):
                if word[i : i + size] in self._by_key:
                    parts.append(word[i : i + size])
                    i += size
                    break
            else:
                i += 1
        return ([], parts) if sum(map(len, parts)) * 2 >= len(word) else ([], [])

    def equivalents(self, term: str) -> list[str]:
        """All other names of every entry that `term` names, in glossary order, without repeats."""
        return self.names_of(self.entries_for(term), exclude=term)

    @staticmethod
    def names_of(entries: Iterable[GlossaryEntry], exclude: str = "") -> list[str]:
        """Every name of the entries (other than `exclude`), in glossary order, without repeats."""
        key = normalise_term(exclude)
        seen = {key}
        result: list[str] = []
        for entry in entries:
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
        """Number of words from `start` that form the longest glossary term, or the pinyin of
        one (qing hua), 0 if none."""
        for length in range(min(self.max_words, len(words) - start), 0, -1):
            phrase = " ".join(words[start : start + length])
            if normalise_term(phrase) in self._by_key or self.pinyin_lookup(phrase):
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
                aat=(row.get("aat") or "").strip().removeprefix("aat:") or None,
            )
            for row in reader
        ]
    return Glossary(entries)


@functools.cache
def default_glossary() -> Glossary:
    """The glossary shipped with Potbank, loaded once per process."""
    return load_glossary()
