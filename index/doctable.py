"""Per-document arrays read once per index generation: ids, years, title order and facet codes.

Whoosh evaluates queries and filters one document at a time in Python; counting facets, applying
facet/date filters and paging sorted lists over 100,000 wares is far faster with numpy arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

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


class DocTable:
    """Arrays indexed by Whoosh document number for one reader."""

    def __init__(self, reader: Any, facets: Sequence[str]) -> None:
        self.facets = tuple(facets)
        size = reader.doc_count_all()
        self.live = np.zeros(size, dtype=bool)
        self.live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
        self.ware_id = np.zeros(size, dtype=np.int64)
        self.first = np.full(size, np.nan)
        self.last = np.full(size, np.nan)
        titles = [""] * size
        self.codes: dict[str, dict[str, int]] = {name: {} for name in self.facets}
        docs: dict[str, list[int]] = {name: [] for name in self.facets}
        entries: dict[str, list[int]] = {name: [] for name in self.facets}
        rows = reader.column_reader(ROW_COLUMN) if reader.has_column(ROW_COLUMN) else []
        # One column holds everything per document: a single pass over it (see encode_row).
        for docnum, raw in enumerate(rows):
            if not raw:
                continue
            ware_id, years, title, *values = raw.decode("utf-8").split(FIELD_SEPARATOR)
            self.ware_id[docnum] = int(ware_id)
            if years:
                first, last = years.split(SEPARATOR)
                self.first[docnum], self.last[docnum] = float(first), float(last)
            titles[docnum] = title
            for name, joined in zip(self.facets, values, strict=False):
                if joined:
                    codes = self.codes[name]
                    for value in joined.split(SEPARATOR):
                        docs[name].append(docnum)
                        entries[name].append(codes.setdefault(value, len(codes)))
        self.title_rank = np.empty(size, dtype=np.int64)
        self.title_rank[np.argsort(np.array(titles, dtype=object), kind="stable")] = np.arange(size)
        self._orders: dict[str, np.ndarray] = {}
        self.vocab = {name: list(self.codes[name]) for name in self.facets}
        self.entry_doc = {name: np.asarray(docs[name], dtype=np.int64) for name in self.facets}
        self.entry_code = {name: np.asarray(entries[name], dtype=np.int64) for name in self.facets}

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
