"""Dates as museums write them turned into a range of years: "c. 1775", "late 18th–early 19th
century", "清 康熙", "4,500—4,000 BCE".

Conventions (those of museum catalogues such as the Carnegie Museum of Art's):
- years are ints, BCE negative (no year zero: 202 BCE is -202);
- "19th century" is 1800–1899; "early", "mid" and "late" are its thirds (1800–1833, 1833–1866,
  1866–1899), halves and quarters are what they say;
- "1850s" is 1850–1859 but "1700s" is the century 1700–1799;
- "c." widens a year or decade by five years each way; it leaves centuries and BCE dates alone,
  whose stated span already carries the uncertainty;
- a named reign or dynasty gives its years when the text states none.
Nothing is guessed: a text without a recognisable date, or whose years contradict themselves or the
reign it names, keeps its text and gets no years, so that the caller can report it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ingest.normalise.chronology import Era, find_eras


@dataclass(frozen=True)
class DateRange:
    """A date as written, its first and last year (None when not known), and its named period."""

    text: str
    earliest: int | None
    latest: int | None
    period: str | None = None


@dataclass
class _Point:
    """One end of a date: a year, a decade or a century, with what qualifies it."""

    # "year", "decade", "century"; None for a bare qualifier ("mid" in "mid to late").
    kind: str | None
    value: int = 0
    bce: bool | None = None
    circa: bool = False
    qualifier: str | None = None
    bound: str | None = None  # "after" or "before" for open ranges
    joined_to_next: bool = False
    from_ordinal: bool = False  # "18th", "eighteenth": a century unless a dynasty follows


# Offsets of qualified parts of a century, in years from its first year.
CENTURY_PARTS = {
    "early": (0, 33),
    "mid": (33, 66),
    "late": (66, 99),
    "first half": (0, 49),
    "second half": (50, 99),
    "first quarter": (0, 24),
    "second quarter": (25, 49),
    "third quarter": (50, 74),
    "fourth quarter": (75, 99),
}
DECADE_PARTS = {"early": (0, 3), "mid": (3, 6), "late": (6, 9)}
# Each may be followed by "of the" ("second half of the 19th century").
QUALIFIER_WORDS = {
    "early": "early",
    "beginning": "early",
    "mid": "mid",
    "middle": "mid",
    "late": "late",
    "end": "late",
    "first half": "first half",
    "second half": "second half",
    "last half": "second half",
    "latter half": "second half",
    "first quarter": "first quarter",
    "second quarter": "second quarter",
    "third quarter": "third quarter",
    "fourth quarter": "fourth quarter",
    "last quarter": "fourth quarter",
}
CHINESE_QUALIFIERS = {
    "初期": "early",
    "初": "early",
    "早期": "early",
    "前期": "early",
    "中期": "mid",
    "中叶": "mid",
    "晚期": "late",
    "末期": "late",
    "末": "late",
    "后期": "late",
    "上半叶": "first half",
    "下半叶": "second half",
    "后半叶": "second half",
}
ORDINAL_WORDS = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
    "eighteenth", "nineteenth", "twentieth", "twenty-first",
]  # fmt: skip
CHINESE_DIGITS = {c: n for n, c in enumerate("〇一二三四五六七八九")}

CIRCA_YEARS = 5
LATEST_PLAUSIBLE_YEAR = 2100

DASHES = str.maketrans({c: "-" for c in "—–―‒−〜~～－"})
MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)


def _alternatives(words: list[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


TOKEN = re.compile(
    rf"""
    (?P<bound_after>\b(?:after|no\ earlier\ than|not\ before|or\ later)\b)
    |(?P<bound_before>\b(?:before|no\ later\ than|not\ after|or\ earlier)\b)
    |(?P<era>\b(?:b\.?\ ?c\.?\ ?e\.?|b\.?\ ?c\.?|c\.?\ ?e\.?|a\.?\ ?d\.?)(?![a-z]))
    |(?P<circa>\b(?:circa|ca\.?|c\.|c(?=\d)|about|approx\.|approximately)(?![a-z])|约)
    |(?P<qualifier>\b(?:{_alternatives(list(QUALIFIER_WORDS))})\b(?:\s+of(?:\s+the)?\b)?)
    |(?P<number>(?P<digits>\d+)(?P<suffix>st|nd|rd|th|'?s)?(?![\d]))
    |(?P<ordinal>\b(?:{_alternatives(ORDINAL_WORDS)})\b)
    |(?P<century>\bcentur(?:y|ies)\b|世纪)
    |(?P<dynasty>\bdynast(?:y|ies)\b)
    |(?P<dash>-|\bto\b|\buntil\b)
    |(?P<zh_bce>公元前|前(?=\d|[一二三四五六七八九十]))
    |(?P<zh_ce>公元)
    |(?P<zh_number>[一二三四五六七八九十〇]+)(?=世纪)
    |(?P<zh_decade>年代)
    |(?P<zh_qualifier>{_alternatives(list(CHINESE_QUALIFIERS))})
    |(?P<separator>[,;.()/\[\]]|\bor\b|\band\b|\bwith\b)
    """,
    re.VERBOSE,
)


def _chinese_number(text: str) -> int:
    """十五 → 15, 二十一 → 21, 一九 → 19: the small numbers that count centuries."""
    if "十" not in text:
        return int("".join(str(CHINESE_DIGITS[c]) for c in text))
    tens, _, units = text.partition("十")
    return (CHINESE_DIGITS[tens] if tens else 1) * 10 + (CHINESE_DIGITS[units] if units else 0)


def _normalise(text: str) -> str:
    """Fold width, dashes, thousands separators, days and case so that one grammar reads all."""
    folded = unicodedata.normalize("NFKC", text).translate(DASHES).lower()
    # "c. 1747 with later 18th century mounts": later additions do not date the object.
    folded = re.split(r"\bwith later\b", folded)[0]
    folded = re.sub(r"(?<=\d),(?=\d{3}\b)", "", folded)
    # A qualifier's hyphen ("mid-19th", "mid- to late-") is not a range dash.
    folded = re.sub(r"\b(early|mid|late)\s*-", r"\1 ", folded)
    # Days of the month are not years: "June 19-20, 1964", "1 May 1851".
    folded = re.sub(rf"\b({MONTHS})\.?\s+\d{{1,2}}(?:\s*-\s*\d{{1,2}})?\b(?!\d)", r"\1", folded)
    return re.sub(rf"\b\d{{1,2}}\s+({MONTHS})\b", r"\1", folded)


def _points(text: str) -> list[_Point]:
    """Read the date points of a normalised text, in order."""
    points: list[_Point] = []
    pending = _Point(kind=None)
    last_was_point = False
    for match in TOKEN.finditer(text):
        kind = match.lastgroup
        token = match.group(kind or 0)
        point: _Point | None = None
        if kind in ("number", "ordinal", "zh_number"):
            point = _number_point(match, pending)
        elif kind == "bound_after" or kind == "bound_before":
            bound = kind.removeprefix("bound_")
            if token.startswith("or ") and points:
                points[-1].bound = bound
            else:
                pending.bound = bound
        elif kind == "era":
            bce = token.startswith("b")
            if last_was_point and points and points[-1].bce is None:
                points[-1].bce = bce
            else:
                pending.bce = bce
            continue
        elif kind == "circa":
            pending.circa = True
        elif kind == "qualifier":
            pending.qualifier = QUALIFIER_WORDS[re.sub(r"\s+of(\s+the)?$", "", token)]
        elif kind == "zh_qualifier" and points and last_was_point:
            points[-1].qualifier = CHINESE_QUALIFIERS[token]
            continue
        elif kind == "century" and points and last_was_point:
            if points[-1].kind == "year":
                points[-1].kind = "century"
            continue
        elif kind == "zh_decade" and points and last_was_point:
            points[-1].kind = "decade"
            continue
        elif kind == "dynasty" and points and last_was_point and points[-1].from_ordinal:
            # "18th Dynasty" numbers an Egyptian dynasty, not a century.
            points.pop()
        elif kind == "zh_bce":
            pending.bce = True
        elif kind == "zh_ce":
            pending.bce = False
        elif kind == "dash":
            if points and last_was_point:
                points[-1].joined_to_next = True
            elif pending.qualifier:
                # "mid to late 18th century": a bare qualifier borrows the next point's century.
                pending.joined_to_next = True
                points.append(pending)
                pending = _Point(kind=None)
        elif kind == "separator":
            pending = _Point(kind=None)
        if point is not None:
            points.append(point)
            pending = _Point(kind=None)
        last_was_point = point is not None
    return points


def _number_point(match: re.Match[str], pending: _Point) -> _Point:
    """A point for a number token, carrying what came before it (circa, era, qualifier, bound)."""
    kind = match.lastgroup
    point = _Point(
        kind="century",
        bce=pending.bce,
        circa=pending.circa,
        qualifier=pending.qualifier,
        bound=pending.bound,
        from_ordinal=True,
    )
    if kind == "ordinal":
        point.value = ORDINAL_WORDS.index(match.group("ordinal")) + 1
    elif kind == "zh_number":
        point.value = _chinese_number(match.group("zh_number"))
    else:
        point.value = int(match.group("digits"))
        suffix = (match.group("suffix") or "").lstrip("'")
        if suffix == "s":
            # "1700s" is a century, "1850s" a decade.
            point.kind = "century" if point.value % 100 == 0 else "decade"
            point.value = point.value // 100 + 1 if point.kind == "century" else point.value
            point.from_ordinal = False
        elif not suffix:
            point.kind = "year"
            point.from_ordinal = False
    return point


def _span(point: _Point) -> tuple[int | None, int | None] | None:
    """First and last year of one point, or None when it is not a usable date."""
    bce = bool(point.bce)
    if point.kind == "year":
        if point.value <= 0 or (not bce and point.value > LATEST_PLAUSIBLE_YEAR):
            return None
        year = -point.value if bce else point.value
        start, end = year, year
        if point.circa and not bce:
            start, end = year - CIRCA_YEARS, year + CIRCA_YEARS
    elif point.kind == "decade":
        if bce or point.value % 10:
            return None
        low, high = DECADE_PARTS.get(point.qualifier or "", (0, 9))
        start, end = point.value + low, point.value + high
        if point.circa:
            start, end = start - CIRCA_YEARS, end + CIRCA_YEARS
    elif point.kind == "century":
        if not 0 < point.value <= 100:
            return None
        first = -point.value * 100 if bce else (point.value - 1) * 100
        low, high = CENTURY_PARTS.get(point.qualifier or "", (0, 99))
        # There is no year 0: the first century CE starts in year 1.
        start, end = (first + low) or 1, first + high
    else:
        return None
    if point.bound == "after":
        return start, None
    if point.bound == "before":
        return None, end
    return start, end


def _resolve_range(first: _Point, second: _Point) -> None:
    """Give the two ends of "A–B" what one states for both: era, century, abbreviated years."""
    if first.kind is None:
        first.kind, first.value = second.kind, second.value
    elif first.kind == "year" and second.kind == "century" and not second.from_ordinal:
        # 公元前16〜前11世纪: the closing 世纪 counts both numbers.
        first.kind = "century"
    if first.bce is None:
        first.bce = second.bce
    if second.bce is None:
        second.bce = first.bce
    # "1770-75" abbreviates 1775.
    digits = len(str(second.value))
    if (
        first.kind == second.kind == "year"
        and not first.bce
        and second.value < first.value
        and digits < len(str(first.value))
    ):
        second.value = int(str(first.value)[:-digits] + str(second.value))


def _expressions(points: list[_Point]) -> list[tuple[int | None, int | None]]:
    """The year ranges of the text's date expressions; an inverted or unreadable one is dropped."""
    ranges = []
    index = 0
    while index < len(points):
        first = points[index]
        if first.joined_to_next and index + 1 < len(points):
            second = points[index + 1]
            _resolve_range(first, second)
            start_span, end_span = _span(first), _span(second)
            index += 2
            if start_span is None or end_span is None:
                continue
            start, end = start_span[0], end_span[1]
        else:
            index += 1
            span = _span(first)
            if span is None:
                continue
            start, end = span
        if start is not None and end is not None and start > end:
            continue
        ranges.append((start, end))
    return ranges


def _combine(ranges: list[tuple[int | None, int | None]]) -> tuple[int | None, int | None]:
    """One range for several date statements. Overlapping statements refine each other ("Ming
    dynasty, 1368–1644, 16th century", "Edo period (1603–1867), 19th century"): their common
    part. Disjoint ones are stages or alternatives ("designed 1960, made 1999"): their span."""
    unbounded = float("inf")
    first_start, first_end = ranges[0]
    start: float = -unbounded if first_start is None else first_start
    end: float = unbounded if first_end is None else first_end
    for other_start, other_end in ranges[1:]:
        low = -unbounded if other_start is None else other_start
        high = unbounded if other_end is None else other_end
        if low <= end and start <= high:
            start, end = max(start, low), min(end, high)
        else:
            start, end = min(start, low), max(end, high)
    return (
        None if start == -unbounded else int(start),
        None if end == unbounded else int(end),
    )


def _period(text: str, eras: list[Era]) -> str | None:
    """The period a date names: known reigns and dynasties in standard English form, else the
    phrase naming a culture, period or dynasty as written ("Songze Culture", "Edo period")."""
    if eras:
        return " to ".join(era.name for era in eras)
    for phrase in re.split(r"[(),.;]", text):
        names_period = re.search(r"\b(?:culture|period|dynasty|kingdom)\b", phrase, re.IGNORECASE)
        if names_period and not re.search(r"\d", phrase):
            return phrase.strip()
    return None


def _era_years(eras: list[Era]) -> tuple[int | None, int | None]:
    dated = [era for era in eras if era.earliest is not None and era.latest is not None]
    if not dated:
        return None, None
    return min(era.earliest for era in dated), max(era.latest for era in dated)  # type: ignore[type-var]


def parse_date(text: str | None) -> DateRange:
    """Parse a date as written into its earliest and latest year and its named period.

    Explicit years win over the years of a reign or dynasty the text names; when they do not even
    overlap those years (a label giving Hongwu the years of Yongle), or the text has no date at
    all, the years are None and the text is kept for the caller to report.
    """
    original = (text or "").strip()
    if not original:
        return DateRange(original, None, None, None)
    eras = find_eras(original)
    period = _period(original, eras)
    ranges = _expressions(_points(_normalise(original)))
    era_start, era_end = _era_years(eras)
    if not ranges:
        return DateRange(original, era_start, era_end, period)
    earliest, latest = _combine(ranges)
    if era_start is not None and era_end is not None:
        overlaps = (earliest is None or earliest <= era_end) and (
            latest is None or latest >= era_start
        )
        if not overlaps:
            return DateRange(original, None, None, period)
    return DateRange(original, earliest, latest, period)
