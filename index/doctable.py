"""Per-document arrays read once per index generation: ids, years, title order and facet codes.

Whoosh evaluates queries and filters one document at a time in Python; counting facets, applying
facet/date filters and paging sorted lists over 100,000 wares is far faster with numpy arrays.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.segment_cache import SegmentCache

SEPARATOR = "\x1f"
FIELD_SEPARATOR = "\x1e"
ROW_COLUMN = "c_doc"
YearRange = tuple[int | None, int | None]


def encode_row(
    ware_id: int,
    years: tuple[int, int] | None,
    title_key: str,
    facet_values: Sequence[Sequence[str]],
) -> bytes:
    """The per-document column value DocTable reads: id, years, title key, facet values."""

    def clean(text: str) -> str:
        return text.replace(FIELD_SEPARATOR, " ").replace(SEPARATOR, " ")

    parts = [
        str(ware_id),
        "" if years is None else f"{years[0]}{SEPARATOR}{years[1]}",
        clean(title_key),
    ]
    parts.extend(SEPARATOR.join(clean(v) for v in values) for values in facet_values)
    return FIELD_SEPARATOR.join(parts).encode("utf-8")


@dataclass(frozen=True)
class FacetCount:
    """A facet value and how many matching wares have it."""

    value: str
    count: int


@dataclass
class SegmentRows:
    """One segment's rows (document numbers local to the segment; facet codes local too)."""

    ware_id: np.ndarray
    first: np.ndarray
    last: np.ndarray
    titles: list[str]
    vocab: dict[str, list[str]]
    entry_doc: dict[str, np.ndarray]
    entry_code: dict[str, np.ndarray]


def segment_rows(leaf: Any, facets: Sequence[str]) -> SegmentRows:
    """Read one segment's row column (a single pass: see encode_row)."""
    size = leaf.doc_count_all()
    ware_ids = np.zeros(size, dtype=np.int64)
    first = np.full(size, np.nan)
    last = np.full(size, np.nan)
    titles = [""] * size
    codes: dict[str, dict[str, int]] = {name: {} for name in facets}
    docs: dict[str, list[int]] = {name: [] for name in facets}
    entries: dict[str, list[int]] = {name: [] for name in facets}
    rows = leaf.column_reader(ROW_COLUMN) if leaf.has_column(ROW_COLUMN) else []
    for docnum, raw in enumerate(rows):
        if not raw:
            continue
        ware_id, years, title, *values = raw.decode("utf-8").split(FIELD_SEPARATOR)
        ware_ids[docnum] = int(ware_id)
        if years:
            earliest, latest = years.split(SEPARATOR)
            first[docnum], last[docnum] = float(earliest), float(latest)
        titles[docnum] = title
        for name, joined in zip(facets, values, strict=False):
            if joined:
                facet_codes = codes[name]
                for value in joined.split(SEPARATOR):
                    docs[name].append(docnum)
                    entries[name].append(facet_codes.setdefault(value, len(facet_codes)))
    return SegmentRows(
        ware_ids,
        first,
        last,
        titles,
        {name: list(codes[name]) for name in facets},
        {name: np.asarray(docs[name], dtype=np.int64) for name in facets},
        {name: np.asarray(entries[name], dtype=np.int64) for name in facets},
    )


class DocTable:
    """Arrays indexed by Whoosh document number for one reader, assembled from its segments'
    rows (read once per segment when a ``SegmentCache`` keeps them across readers)."""

    def __init__(
        self, reader: Any, facets: Sequence[str], cache: SegmentCache | None = None
    ) -> None:
        self.facets = tuple(facets)
        size = reader.doc_count_all()
        self.live = _live(reader, size)
        self.ware_id = np.zeros(size, dtype=np.int64)
        self.first = np.full(size, np.nan)
        self.last = np.full(size, np.nan)
        self._titles: list[str] = [""] * size
        self.codes: dict[str, dict[str, int]] = {name: {} for name in self.facets}
        docs: dict[str, list[np.ndarray]] = {name: [] for name in self.facets}
        entries: dict[str, list[np.ndarray]] = {name: [] for name in self.facets}
        cache = cache or SegmentCache()
        for leaf, offset in reader.leaf_readers():
            rows = cache.value(
                leaf, ("rows", self.facets), functools.partial(segment_rows, leaf, self.facets)
            )
            end = offset + len(rows.titles)
            self.ware_id[offset:end] = rows.ware_id
            self.first[offset:end] = rows.first
            self.last[offset:end] = rows.last
            self._titles[offset:end] = rows.titles
            for name in self.facets:
                codes = self.codes[name]
                to_table = np.asarray(
                    [codes.setdefault(value, len(codes)) for value in rows.vocab[name]],
                    dtype=np.int64,
                )
                docs[name].append(rows.entry_doc[name] + offset)
                entries[name].append(to_table[rows.entry_code[name]])
        self._title_rank: np.ndarray | None = None
        self._orders: dict[str, np.ndarray] = {}
        self.vocab = {name: list(self.codes[name]) for name in self.facets}
        self.entry_doc = {name: _joined(docs[name]) for name in self.facets}
        self.entry_code = {name: _joined(entries[name]) for name in self.facets}

    @property
    def title_rank(self) -> np.ndarray:
        """Each document's place in title order (computed when a sort first needs it)."""
        if self._title_rank is None:
            rank = np.empty(len(self._titles), dtype=np.int64)
            order = np.argsort(np.array(self._titles, dtype=object), kind="stable")
            rank[order] = np.arange(len(self._titles))
            self._title_rank = rank
        return self._title_rank

    def filter_mask(
        self,
        facet_filters: Mapping[str, Sequence[str]],
        date_clauses: Sequence[Sequence[YearRange]],
    ) -> np.ndarray | None:
        """Live documents passing every filter (any value within a facet); None if no filter."""
        if not facet_filters and not date_clauses:
            return None
        mask = self.live.copy()
        for name, values in facet_filters.items():
            wanted = [self.codes[name][v] for v in values if v in self.codes[name]]
            entries = np.isin(self.entry_code[name], wanted)
            allowed = np.zeros_like(mask)
            allowed[self.entry_doc[name][entries]] = True
            mask &= allowed
        for ranges in date_clauses:
            allowed = np.zeros_like(mask)
            for first, last in ranges:
                # Overlap of [first, last] with the ware's range; NaN (undated) never passes.
                lower = self.last >= (-np.inf if first is None else first)
                upper = self.first <= (np.inf if last is None else last)
                allowed |= lower & upper
            mask &= allowed
        return mask

    def count(self, docnums: np.ndarray, limit: int) -> dict[str, list[FacetCount]]:
        """Facet value counts over the given documents, most frequent first."""
        mask = np.zeros(len(self.live), dtype=bool)
        mask[docnums] = True
        facets: dict[str, list[FacetCount]] = {}
        for name in self.facets:
            codes = self.entry_code[name][mask[self.entry_doc[name]]]
            counts = np.bincount(codes, minlength=len(self.vocab[name]))
            order = np.lexsort((np.arange(len(counts)), -counts))[:limit]
            vocab = self.vocab[name]
            facets[name] = [FacetCount(vocab[i], int(counts[i])) for i in order if counts[i]]
        return facets

    def ordered(self, mask: np.ndarray, sort: str) -> np.ndarray:
        """The documents in `mask`, by title or by date, from an order computed once."""
        if sort not in self._orders:
            self._orders[sort] = self.order(np.flatnonzero(self.live), sort)
        order = self._orders[sort]
        return order[mask[order]]

    def order(self, docnums: np.ndarray, sort: str) -> np.ndarray:
        """Documents re-ordered by title, or by earliest year then title (undated last)."""
        if sort == "title":
            return docnums[np.argsort(self.title_rank[docnums], kind="stable")]
        years = np.nan_to_num(self.first[docnums], nan=np.inf)
        return docnums[np.lexsort((self.title_rank[docnums], years))]


def _live(reader: Any, size: int) -> np.ndarray:
    """Which documents are not deleted, from each segment's (usually short) deletion list
    rather than by asking about every document."""
    live = np.ones(size, dtype=bool)
    for leaf, offset in reader.leaf_readers() if size else ():
        segment = leaf.segment() if callable(getattr(leaf, "segment", None)) else None
        if segment is None:  # not a segment's reader: ask the reader about every document
            live[:] = False
            live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
            return live
        if segment.has_deletions():
            deleted = np.fromiter(segment.deleted_docs(), dtype=np.int64)
            live[deleted + offset] = False
    return live


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
