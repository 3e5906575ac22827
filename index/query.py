"""User query clean-up and rewriting before Whoosh parses it.

What this adds to Whoosh's own syntax (phrases, AND/OR/NOT, prefixes, `field:value`):
- control characters, over-long input, unbalanced quotes and brackets are repaired, with a message;
- `date:1700-1800`, `date:1750`, `date:"18th century"` and `date:康熙`/`date:Kangxi` become year
  ranges that the caller applies as filters;
- every glossary term (青花, "blue and white", Jingdezhen, ...) is expanded into an OR-group of its
  equivalents, so a query in one language finds records written in the other;
- Chinese runs are segmented by jieba so that 青花梅瓶 means 青花 AND 梅瓶;
- traditional characters are read as simplified (OpenCC), and pinyin (qinghua, qing hua,
  qīnghuā) of a glossary term is read as the term;
- a Chinese word is also searched as a phrase of its character bigrams (the gram field), so
  it is found inside longer words; a Chinese word the glossary lacks expands like the entries
  it is part of (碧玉 as 碧玉细炻器: jasper) or like its parts (盘子 as 盘: plate, dish).

Ranking: the query's own words weigh most; another name in the same language weighs less, a
name in the other language less again, and a name that also names other concepts least, so
that a ware found only through an expansion never outranks one holding the words themselves.

``prepare_query(..., ranked=False)`` gives the same query for a matcher that does not rank and
searches substrings (the curators' SQL search): no boosts (the user's ``^2`` included) and no
gram field; a run of Chinese words in a phrase is also searched as its characters in a row.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from pypinyin import lazy_pinyin

from index.chinese import ENGLISH_STOPS, fold, segment
from index.glossary import Glossary, GlossaryEntry, is_chinese
from index.script import pinyin_key, romanisation_key, to_simplified

MAX_QUERY_CHARS = 500
MAX_TOKENS = 64
MAX_ALTERNATIVES = 10
# The field of character bigrams (index.text.GRAM_FIELD) and the weights of each kind of match.
GRAM_FIELD = "zh_grams"
ROMANISED_CATEGORIES = frozenset({"place", "kiln", "reign", "period"})
GRAM_BOOST = 0.6
SAME_LANGUAGE_BOOST = 0.7
OTHER_LANGUAGE_BOOST = 0.35
AMBIGUOUS_BOOST = 0.2
PART_FACTOR = 0.5
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
_HAN_PHRASE = re.compile(f"^[{_HAN}\\s]+$")
_WORD = re.compile(r"^[^\W\d_]+$")
# Accession numbers and similar identifiers ("2001.12.2", "JDZ-7") are kept whole.
_IDENTIFIER = re.compile(r"^(?=[^\s]*\d)[\w]+(?:[./-][\w]+)+$")
# Whoosh's boost after a term, a phrase or a bracket ("bowl^2", "^0.5" after a closing quote).
_USER_BOOST = re.compile(r"\^[0-9.]*$")


class QueryNote(str):
    """A note on how a query was read ("An unmatched quotation mark was ignored."): the English
    sentence itself, which also keeps its template and values so that a page can say it in the
    visitor's language (the web layer translates ``template`` and then fills in ``values``)."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, **values: object) -> QueryNote:
        note = super().__new__(cls, template.format(**values) if values else template)
        note.template = template
        note.values = values
        return note


@dataclass
class PreparedQuery:
    """A user query made ready for Whoosh's parser."""

    text: str
    date_clauses: list[list[YearRange]] = field(default_factory=list)
    messages: list[QueryNote] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    # (term as typed, [other names it was also searched as]) for the page to say what it did.
    expansions: list[tuple[str, list[str]]] = field(default_factory=list)
    # Chinese words of the query and of its expansions (simplified), for highlighting.
    han_words: list[str] = field(default_factory=list)


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


def _clean(raw: str, messages: list[QueryNote]) -> str:
    text = _CONTROL.sub(" ", raw)
    if text != raw and text.strip() != raw.strip():
        messages.append(QueryNote("Control characters in the query were ignored."))
    if len(text) > MAX_QUERY_CHARS:
        cut = text.rfind(" ", 0, MAX_QUERY_CHARS)
        text = text[: cut if cut > MAX_QUERY_CHARS // 2 else MAX_QUERY_CHARS]
        messages.append(
            QueryNote("The query was cut to its first {count} characters.", count=len(text))
        )
    if text.count('"') % 2:
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1 :]
        messages.append(QueryNote("An unmatched quotation mark was ignored."))
    return _balance_brackets(text, messages)


def _balance_brackets(text: str, messages: list[QueryNote]) -> str:
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
        messages.append(QueryNote("Unmatched brackets were ignored."))
    return "".join(chars)


def _quote(term: str) -> str:
    return '"' + term.replace('"', " ") + '"'


def _boosted(clause: str, boost: float, ranked: bool = True) -> str:
    return clause if boost >= 1.0 or not ranked else f"{clause}^{boost:.3g}"


def _native(term: str, fieldname: str | None, ranked: bool = True) -> str:
    """The term itself, in `fieldname` or (None) in the default fields, plus (ranked) the gram
    field: an unranked matcher finds a word inside a longer one without it."""
    text = _quote(term) if not _WORD.match(term) or fieldname else term
    if fieldname:
        return f"{fieldname}:{text}"
    if is_chinese(term) and ranked:
        return f"({text} OR {GRAM_FIELD}:{_quote(term)}^{GRAM_BOOST})"
    return text


class _Rewriter:
    def __init__(
        self, glossary: Glossary, fields: Collection[str], prepared: PreparedQuery, ranked: bool
    ):
        self.glossary = glossary
        self.fields = fields
        self.prepared = prepared
        self.ranked = ranked
        self.out: list[str] = []
        self.pending: list[str] = []

    def segment(self, run: str) -> list[str]:
        """A Chinese run as glossary names when it is made of them alone (青花瓶: 青花, 瓶; jieba
        would cut 青, 花瓶), else as jieba cuts it."""
        run = to_simplified(run)
        words, i = [], 0
        while i < len(run):
            size = next(
                (n for n in range(len(run) - i, 0, -1) if self.glossary.lookup(run[i : i + n])),
                0,
            )
            if not size:
                return segment(run)
            words.append(run[i : i + size])
            i += size
        return words

    def group(self, term: str, fieldname: str | None = None) -> str:
        """The term OR-ed with its other names, each weighted by how close it is to the term."""
        glossary = self.glossary
        han = is_chinese(term)
        if han:
            term = to_simplified(term)
            self.prepared.han_words.append(term)
        entries: list[GlossaryEntry] = glossary.lookup(term)
        if not entries and not han:
            entries = glossary.pinyin_lookup(term)
        # Pinyin of a Chinese name (qinghua, qīnghuā) is that name written otherwise: the
        # Chinese names then weigh as much as the term itself.
        romanised = not han and any(
            pinyin_key(name) == romanisation_key(term) for entry in entries for name in entry.zh
        )
        factor, parts = 1.0, []
        if not entries and han:
            entries, parts = glossary.part_entries(term)
            factor = PART_FACTOR
        clauses = [_native(term, fieldname, self.ranked)]
        shown: list[str] = []
        others = glossary.names_of(entries, exclude=term)[:MAX_ALTERNATIVES]
        if han:
            # Names of places, kilns, reigns and periods are often romanised syllable by
            # syllable in English captions (Xuan De, Jia Jing): search that form too.
            others += [
                spaced
                for entry in entries
                if entry.category in ROMANISED_CATEGORIES
                for name in entry.zh[:1]
                if len(name) > 1 and (spaced := " ".join(lazy_pinyin(name))) not in others
            ]
        for other in others:
            same = is_chinese(other) == han
            if romanised and is_chinese(other):
                boost = 1.0
            else:
                boost = SAME_LANGUAGE_BOOST if same else OTHER_LANGUAGE_BOOST
                boost = (AMBIGUOUS_BOOST if glossary.is_ambiguous(other) else boost) * factor
            clauses.append(
                _boosted(_native(other, fieldname, self.ranked), min(boost, 1.0), self.ranked)
            )
            shown.append(other)
            if is_chinese(other):
                self.prepared.han_words.append(to_simplified(other))
        if parts:
            grouped = " AND ".join(self.group(part, fieldname) for part in parts)
            clauses.append(_boosted(f"({grouped})", PART_FACTOR, self.ranked))
        if shown:
            self.prepared.expansions.append((term, shown))
        return clauses[0] if len(clauses) == 1 else "(" + " OR ".join(clauses) + ")"

    def flush(self) -> None:
        """Expand the pending run of plain words, longest glossary match first."""
        words, i = self.pending, 0
        while i < len(words):
            length = self.glossary.longest_match(words, i)
            if length:
                self.out.append(self.group(" ".join(words[i : i + length])))
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
        if not self.ranked:
            token = _USER_BOOST.sub("", token)
            if not token:
                return
        if token in OPERATORS or any(ch in token for ch in "*?~^") or _IDENTIFIER.match(token):
            self.flush()
            self.out.append(token)
            return
        for run in _HAN_OR_OTHER.findall(token):
            if is_chinese(run):
                self.flush()
                self.out.extend(self.group(word) for word in self.segment(run))
            else:
                self.pending.extend(w for w in re.split(r"[^\w'’&-]+", run) if w.strip("-'’&"))

    def fielded(self, token: str) -> None:
        name, _, value = token.partition(":")
        if not self.ranked:
            value = _USER_BOOST.sub("", value)
        if name.lower() not in self.fields:
            self.prepared.messages.append(
                QueryNote("Unknown field '{name}'; all fields were searched.", name=name)
            )
            self.plain(value.strip('"()'))
            return
        self.flush()
        if not value.strip('"() '):
            self.prepared.messages.append(
                QueryNote("'{name}:' needs a value after the colon.", name=name)
            )
            return
        inner = value.strip('"').strip()
        if not value.startswith("(") and (
            self.glossary.entries_for(inner)
            or (is_chinese(inner) and any(self.glossary.part_entries(inner)))
        ):
            # A glossary term in a field (maker:韦奇伍德, type:盘) means all of its names there.
            self.out.append(self.group(inner, name.lower()))
            return
        self.out.append(f"{name.lower()}:{value}")

    def quoted(self, token: str) -> None:
        self.flush()
        inner = token.strip('"').strip()
        if inner:
            if self.glossary.lookup(inner):
                self.out.append(self.group(inner))
            elif _HAN_PHRASE.match(inner):
                # Chinese words in a row: also the same characters in a row in the gram field,
                # wherever the indexer's segmentation cut them (青花 云龙 in 青花云龙纹).
                joined = to_simplified(re.sub(r"\s+", "", inner))
                self.prepared.han_words.append(joined)
                grams = f"{GRAM_FIELD}:{_quote(joined)}^{GRAM_BOOST}"
                if not self.ranked:
                    grams = _quote(joined)
                self.out.append(f"({_quote(inner)} OR {grams})")
            else:
                self.out.append(_quote(inner))


def prepare_query(
    raw: str, glossary: Glossary, fields: Collection[str], *, ranked: bool = True
) -> PreparedQuery:
    """Clean `raw`, pull out its date clauses and expand its glossary terms.

    `fields` are the names a user may write before a colon (`maker:wedgwood`). With `ranked`
    false the text is for a matcher that neither ranks nor knows the gram field (see above).
    """
    prepared = PreparedQuery(text="")
    text = _clean(raw, prepared.messages)

    def take_date(match: re.Match[str]) -> str:
        ranges = parse_date_value(match.group(1), glossary)
        if ranges:
            prepared.date_clauses.append(ranges)
        else:
            prepared.messages.append(
                QueryNote(
                    "Could not read the date '{value}'; try date:1700-1800 or date:Kangxi.",
                    value=match.group(1),
                )
            )
        return " "

    text = _DATE.sub(take_date, text)
    tokens = [m for m in _TOKEN.finditer(text)]
    if len(tokens) > MAX_TOKENS:
        tokens = tokens[:MAX_TOKENS]
        prepared.messages.append(
            QueryNote("Only the first {count} words of the query were used.", count=MAX_TOKENS)
        )
    rewriter = _Rewriter(glossary, fields, prepared, ranked)
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
