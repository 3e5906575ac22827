"""Per-document arrays read once per index generation: ids, years, title order and facet codes.

Whoosh evaluates queries and filters one document at a time in Python; counting facets, applying
facet/date filters and paging sorted lists over 100,000 wares is far faster with numpy arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

SEPARATOR = "\x1f"
YearRange = tuple[int | None, int | None]


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
        for docnum, raw in enumerate(self._column(reader, "c_meta", size)):
            if raw:
                parts = raw.decode("utf-8").split(SEPARATOR)
                self.ware_id[docnum] = int(parts[0])
                if len(parts) == 3:
                    self.first[docnum], self.last[docnum] = float(parts[1]), float(parts[2])
        titles = [value or "" for value in self._sort_keys(reader, size)]
        self.title_rank = np.empty(size, dtype=np.int64)
        self.title_rank[np.argsort(np.array(titles, dtype=object), kind="stable")] = \
            np.arange(size)
        self._orders: dict[str, np.ndarray] = {}
        self.vocab: dict[str, list[str]] = {}
        self.codes: dict[str, dict[str, int]] = {}
        self.entry_doc: dict[str, np.ndarray] = {}
        self.entry_code: dict[str, np.ndarray] = {}
        for name in self.facets:
            codes: dict[str, int] = {}
            docs: list[int] = []
            entries: list[int] = []
            for docnum, raw in enumerate(self._column(reader, f"c_{name}", size)):
                if raw:
                    for value in raw.decode("utf-8").split(SEPARATOR):
                        docs.append(docnum)
                        entries.append(codes.setdefault(value, len(codes)))
            self.codes[name] = codes
            self.vocab[name] = list(codes)
            self.entry_doc[name] = np.asarray(docs, dtype=np.int64)
            self.entry_code[name] = np.asarray(entries, dtype=np.int64)

    @staticmethod
    def _column(reader: Any, name: str, size: int) -> Iterable[bytes]:
        if not reader.has_column(name):
            return [b""] * size
        return reader.column_reader(name)

    @staticmethod
    def _sort_keys(reader: Any, size: int) -> Iterable[str]:
        if not reader.has_column("title_sort"):
            return [""] * size
        return reader.column_reader("title_sort")

    def filter_mask(self, facet_filters: Mapping[str, Sequence[str]],
                    date_clauses: Sequence[Sequence[YearRange]]) -> np.ndarray | None:
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
