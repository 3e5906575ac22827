"""The timeline: Chinese dynasties and reigns (from the glossary) beside European periods and
ceramic milestones (shipped in ``web/data/european_chronology.json``) and centuries, each band
to scale, with the number of public wares whose dates overlap it and a link to them.

Counts use the same overlap rule as the search's date filter (a ware dated 1700–1750 counts in
every band it touches, undated wares in none), so a band's count is what its link finds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from flask import url_for
from sqlalchemy import select

from archive.models import Ware, WareStatus
from index.glossary import default_glossary
from web.views.context import db_session
from web.views.formatting import translate, year_range
from web.views.language import N_, current_language
from web.views.recent import recent
from web.views.searching import facet_value_label

EUROPE = Path(__file__).resolve().parents[1] / "data" / "european_chronology.json"
# Drawing units: the SVG's viewBox is this wide; bands are this tall with this gap.
WIDTH = 1000
ROW = 30
GAP = 4
LANE_TITLE = 22
# Roughly how wide a character is drawn, to decide whether a band's label fits inside it.
LATIN_CHAR, CJK_CHAR = 6.6, 12.5


@dataclass(frozen=True)
class Band:
    """One period, reign or century on a lane, placed in drawing units."""

    label: str
    lang: str
    start: int
    end: int
    count: int
    href: str
    x: float
    width: float
    row: int
    dates: str

    @property
    def fits(self) -> bool:
        """Whether the label (with its count) can be written inside the band."""
        text = f"{self.label} {self.count}"
        char = CJK_CHAR if self.lang == "zh" else LATIN_CHAR
        return self.width >= len(text) * char + 8


@dataclass(frozen=True)
class Lane:
    """A row of bands of one kind (dynasties, reigns, centuries), with its title."""

    title: str
    bands: list[Band]
    rows: int
    y: float

    @property
    def height(self) -> float:
        return LANE_TITLE + self.rows * (ROW + GAP)


@dataclass(frozen=True)
class Panel:
    """One proportional view of the timeline, from ``start`` to ``end``."""

    title: str
    start: int
    end: int
    lanes: list[Lane]
    ticks: list[tuple[float, str]] = field(default_factory=list)

    @property
    def height(self) -> float:
        return (self.lanes[-1].y + self.lanes[-1].height if self.lanes else 0) + 24


@dataclass(frozen=True)
class Span:
    """A named span of years before it is placed: ``names`` by language."""

    names: dict[str, str]
    start: int
    end: int


@cache
def _european() -> dict[str, list[Span]]:
    data = json.loads(EUROPE.read_text(encoding="utf-8"))
    return {
        kind: [Span({"en": s["en"], "zh": s["zh"]}, s["from"], s["to"]) for s in data[kind]]
        for kind in ("periods", "ceramics")
    }


def _glossary_spans(category: str, first: int, last: int) -> list[Span]:
    spans = []
    for entry in default_glossary().entries:
        if entry.category != category or entry.years is None:
            continue
        start, end = entry.years[0], entry.years[1] if entry.years[1] is not None else 2030
        if end < first or start > last or not entry.en or not entry.zh:
            continue
        spans.append(Span({"en": entry.en[0], "zh": entry.zh[0]}, start, end))
    return spans


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


def _centuries(first: int, last: int) -> list[Span]:
    spans = []
    for start in range(first - first % 100, last, 100):
        if start < 0:
            number = -start // 100
            value = f"{number}{_ordinal(number)} century BCE"
            begin, end = start, start + 99
        else:
            number = start // 100 + 1
            value = f"{number}{_ordinal(number)} century"
            begin, end = start, start + 99
        spans.append(Span({"value": value}, begin, end))
    return spans


def dated_wares() -> tuple[np.ndarray, np.ndarray]:
    """The first and last years of every dated public ware (one missing end: the other)."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        rows = db_session().execute(
            select(Ware.year_earliest, Ware.year_latest).where(
                Ware.status == WareStatus.PUBLISHED,
                Ware.deleted_at.is_(None),
                (Ware.year_earliest.is_not(None)) | (Ware.year_latest.is_not(None)),
            )
        )
        pairs = [(a if a is not None else b, b if b is not None else a) for a, b in rows]
        years = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        return years[:, 0], years[:, 1]

    return recent("timeline.dated_wares", compute)


def _place(spans: list[Span], first: int, last: int) -> tuple[list[Band], int]:
    earliest, latest = dated_wares()
    language = current_language()
    scale = WIDTH / (last - first)
    row_ends: list[float] = []
    bands = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        start, end = max(span.start, first), min(span.end, last)
        x = (start - first) * scale
        width = max(2.0, (end - start + 1) * scale)
        row = next((i for i, right in enumerate(row_ends) if right + 1 <= x), len(row_ends))
        if row == len(row_ends):
            row_ends.append(x + width)
        else:
            row_ends[row] = x + width
        if "value" in span.names:
            label, lang = facet_value_label("century", span.names["value"]), language
        else:
            lang = language if language in span.names else "en"
            label = span.names[lang]
        count = int(np.count_nonzero((latest >= span.start) & (earliest <= span.end)))
        bands.append(
            Band(
                label=label,
                lang=lang,
                start=span.start,
                end=span.end,
                count=count,
                href=url_for("search.index", q="", year_from=span.start, year_to=span.end),
                x=round(x, 1),
                width=round(width, 1),
                row=row,
                dates=year_range(span.start, span.end),
            )
        )
    return bands, max(1, len(row_ends))


def _panel(title: str, first: int, last: int, lanes: list[tuple[str, list[Span]]]) -> Panel:
    placed = []
    y = 0.0
    for lane_title, spans in lanes:
        bands, rows = _place(spans, first, last)
        lane = Lane(lane_title, bands, rows, y)
        placed.append(lane)
        y += lane.height
    step = 500 if last - first > 2000 else 50
    ticks = [
        ((year - first) * WIDTH / (last - first), year_range(year, year))
        for year in range(first - first % step + step, last, step)
    ]
    return Panel(title, first, last, placed, ticks)


def timeline() -> list[Panel]:
    """The two views: three thousand years of dynasties and periods, then Ming and Qing reign
    by reign beside Europe's ceramic milestones (laid out at most once a minute per language)."""
    return recent(f"timeline.panels.{current_language()}", _timeline)


def _timeline() -> list[Panel]:
    europe = _european()
    overview_start, overview_end = -2100, 2030
    detail_start, detail_end = 1350, 1930
    return [
        _panel(
            translate(N_("From the Xia dynasty to today")),
            overview_start,
            overview_end,
            [
                (
                    translate(N_("China: dynasties and periods")),
                    _glossary_spans("period", overview_start, overview_end),
                ),
                (translate(N_("Europe: periods")), europe["periods"]),
                (translate(N_("Centuries")), _centuries(-2000, overview_end)),
            ],
        ),
        _panel(
            translate(N_("Ming and Qing, reign by reign, beside Europe")),
            detail_start,
            detail_end,
            [
                (
                    translate(N_("China: dynasties")),
                    [
                        s
                        for s in _glossary_spans("period", detail_start, detail_end)
                        if s.end - s.start < 400
                    ],
                ),
                (
                    translate(N_("China: Ming and Qing reigns")),
                    _glossary_spans("reign", detail_start, detail_end),
                ),
                (
                    translate(N_("Europe: ceramics")),
                    europe["ceramics"],
                ),
                (
                    translate(N_("Europe: periods")),
                    [s for s in europe["periods"] if s.end >= detail_start],
                ),
                (translate(N_("Centuries")), _centuries(detail_start, detail_end)),
            ],
        ),
    ]
