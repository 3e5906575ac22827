"""User query clean-up and rewriting before Whoosh parses it.

What this adds to Whoosh's own syntax (phrases, AND/OR/NOT, prefixes, `field:value`):
- control characters, over-long input, unbalanced quotes and brackets are repaired, with a message;
- `date:1700-1800`, `date:1750`, `date:"18th century"` and `date:康熙`/`date:Kangxi` become year
  ranges that the caller applies as filters;
- every glossary term (青花, "blue and white", Jingdezhen, ...) is expanded into an OR-group of its
  equivalents, so a query in one language finds records written in the other;
- Chinese runs are segmented by jieba so that 青花梅瓶 means 青花 AND 梅瓶.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from index.chinese import ENGLISH_STOPS, fold, segment
from index.glossary import Glossary, is_chinese

MAX_QUERY_CHARS = 500
MAX_TOKENS = 64
MAX_ALTERNATIVES = 10
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})

YearRange = tuple[int | None, int | None]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DATE = re.compile(r"(?i)(?<![\w:])date:(\"[^\"]*\"|\S+)")
_SINGLE_YEAR = re.compile(r"^(-?\d{1,4})$")
_YEAR_SPAN = re.compile(r"^(-?\d{1,4})?\s*(?:\.\.|–|—|to|-)\s*(-?\d{1,4})?$", re.IGNORECASE)
_CENTURY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s*c(?:entury|\.)?\s*(bce|bc)?$", re.IGNORECASE)
_TOKEN = re.compile(
    r'(?P<quoted>"[^"]*")'
    r'|(?P<fielded>[A-Za-z_]+:(?:"[^"]*"|\([^()]*\)|[^\s()"]+)?)'
    r"|(?P<paren>[()])"
    r'|(?P<plain>[^\s()"]+)'
)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_OR_OTHER = re.compile(f"[{_HAN}]+|[^{_HAN}]+")
_WORD = re.compile(r"^[^\W\d_]+$")
# Accession numbers and similar identifiers ("2001.12.2", "JDZ-7") are kept whole.
_IDENTIFIER = re.compile(r"^(?=[^\s]*\d)[\w]+(?:[./-][\w]+)+$")


@dataclass
class PreparedQuery:
    """A user query made ready for Whoosh's parser."""

    text: str
    date_clauses: list[list[YearRange]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


def parse_date_value(value: str, glossary: Glossary) -> list[YearRange]:
    """Year ranges meant by the value of a `date:` clause (empty list if not understood)."""
    value = value.strip().strip('"').strip()
    if match := _SINGLE_YEAR.match(value):
        year = int(match.group(1))
        return [(year, year)]
    if (match := _YEAR_SPAN.match(value)) and (match.group(1) or match.group(2)):
        first = int(match.group(1)) if match.group(1) else None
        last = int(match.group(2)) if match.group(2) else None
        if first is not None and last is not None and first > last:
            first, last = last, first
        return [(first, last)]
    if match := _CENTURY.match(value):
        century = int(match.group(1))
        if match.group(2):
            return [(-100 * century, -100 * (century - 1) - 1)]
        return [(100 * (century - 1), 100 * century - 1)]
    return [(first, last) for first, last in glossary.year_ranges(value)]


def _clean(raw: str, messages: list[str]) -> str:
    text = _CONTROL.sub(" ", raw)
    if text != raw and text.strip() != raw.strip():
        messages.append("Control characters in the query were ignored.")
    if len(text) > MAX_QUERY_CHARS:
        cut = text.rfind(" ", 0, MAX_QUERY_CHARS)
        text = text[: cut if cut > MAX_QUERY_CHARS // 2 else MAX_QUERY_CHARS]
        messages.append(f"The query was cut to its first {len(text)} characters.")
    if text.count('"') % 2:
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1 :]
        messages.append("An unmatched quotation mark was ignored.")
    return _balance_brackets(text, messages)


def _balance_brackets(text: str, messages: list[str]) -> str:
    """Drop brackets that have no partner (outside quoted phrases)."""
    chars = list(text)
    open_at: list[int] = []
    in_quote = False
    dropped = False
    for i, ch in enumerate(chars):
        if ch == '"':
            in_quote = not in_quote
        elif in_quote:
            continue
        elif ch == "(":
            open_at.append(i)
        elif ch == ")":
            if open_at:
                open_at.pop()
            else:
                chars[i] = " "
                dropped = True
    for i in open_at:
        chars[i] = " "
        dropped = True
    if dropped:
        messages.append("Unmatched brackets were ignored.")
    return "".join(chars)


def _quote(term: str) -> str:
    return '"' + term.replace('"', " ") + '"'


def _group(term: str, glossary: Glossary) -> str:
    """The term itself OR-ed with its glossary equivalents (just the term if it has none)."""
    alternatives = glossary.equivalents(term)[:MAX_ALTERNATIVES]
    if not alternatives:
        return _quote(term) if not _WORD.match(term) else term
    return "(" + " OR ".join(_quote(t) for t in [term, *alternatives]) + ")"


class _Rewriter:
    def __init__(self, glossary: Glossary, fields: Collection[str], prepared: PreparedQuery):
        self.glossary = glossary
        self.fields = fields
        self.prepared = prepared
        self.out: list[str] = []
        self.pending: list[str] = []

    def flush(self) -> None:
        """Expand the pending run of plain words, longest glossary match first."""
        words, i = self.pending, 0
        while i < len(words):
            length = self.glossary.longest_match(words, i)
            if length:
                self.out.append(_group(" ".join(words[i : i + length]), self.glossary))
                i += length
                continue
            # Stop words are dropped here: the analyzer removes them, and Whoosh would otherwise
            # keep them as terms that no document contains.
            if fold(words[i]) not in ENGLISH_STOPS:
                self.out.append(words[i])
                if _WORD.match(words[i]):
                    self.prepared.words.append(words[i])
            i += 1
        self.pending = []

    def plain(self, token: str) -> None:
        if token in OPERATORS or any(ch in token for ch in "*?~^") or _IDENTIFIER.match(token):
            self.flush()
            self.out.append(token)
            return
        for run in _HAN_OR_OTHER.findall(token):
            if is_chinese(run):
                self.flush()
                self.out.extend(_group(word, self.glossary) for word in segment(run))
            else:
                self.pending.extend(w for w in re.split(r"[^\w'’&-]+", run) if w.strip("-'’&"))

    def fielded(self, token: str) -> None:
        name, _, value = token.partition(":")
        if name.lower() not in self.fields:
            self.prepared.messages.append(f"Unknown field '{name}'; all fields were searched.")
            self.plain(value.strip('"()'))
            return
        self.flush()
        if not value.strip('"() '):
            self.prepared.messages.append(f"'{name}:' needs a value after the colon.")
            return
        self.out.append(f"{name.lower()}:{value}")

    def quoted(self, token: str) -> None:
        self.flush()
        inner = token.strip('"').strip()
        if inner:
            self.out.append(
                _group(inner, self.glossary) if self.glossary.lookup(inner) else _quote(inner)
            )


def prepare_query(raw: str, glossary: Glossary, fields: Collection[str]) -> PreparedQuery:
    """Clean `raw`, pull out its date clauses and expand its glossary terms.

    `fields` are the names a user may write before a colon (`maker:wedgwood`).
    """
    prepared = PreparedQuery(text="")
    text = _clean(raw, prepared.messages)

    def take_date(match: re.Match[str]) -> str:
        ranges = parse_date_value(match.group(1), glossary)
        if ranges:
            prepared.date_clauses.append(ranges)
        else:
            prepared.messages.append(
                f"Could not read the date '{match.group(1)}'; try date:1700-1800 or date:Kangxi."
            )
        return " "

    text = _DATE.sub(take_date, text)
    tokens = [m for m in _TOKEN.finditer(text)]
    if len(tokens) > MAX_TOKENS:
        tokens = tokens[:MAX_TOKENS]
        prepared.messages.append(f"Only the first {MAX_TOKENS} words of the query were used.")
    rewriter = _Rewriter(glossary, fields, prepared)
    for match in tokens:
        kind, token = match.lastgroup, match.group()
        if kind == "plain":
            rewriter.plain(token)
        elif kind == "fielded":
            rewriter.fielded(token)
        elif kind == "quoted":
            rewriter.quoted(token)
        else:
            rewriter.flush()
            rewriter.out.append(token)
    rewriter.flush()
    prepared.text = " ".join(rewriter.out).replace("( )", " ").strip()
    return prepared
