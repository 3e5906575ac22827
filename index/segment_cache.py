"""What the keyword search reads from an index segment, kept across searchers.

A Whoosh segment never changes once written (only its deletions do, and they are read per
searcher). Each commit makes a new searcher, and the search used to read every segment afresh
for it: the per-document rows for facets and sorting (about 0.3 s at 30,000 wares), the field
lengths and the decoded posting lists (over a second for the first searches). While an ingest or
a batch commits every second, each serving process paid that again and again. Kept per segment,
as Lucene keeps its per-segment caches, a new searcher reads only the segments it has not seen.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

Value = TypeVar("Value")

# Decoded posting lists kept per segment (the most recently used).
POSTINGS_PER_SEGMENT = 4096


def segment_id(leaf: Any) -> str | None:
    """The id of a leaf reader's segment (unique for the segment's lifetime); None for a
    reader of no segment (an empty index), whose values are not kept."""
    segment = getattr(leaf, "segment", None)
    found = segment() if callable(segment) else None
    return None if found is None else str(found.segment_id())


class SegmentCache:
    """Per-segment values, dropped when their segment leaves the index (``retain``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, dict[Any, Any]] = {}
        self._postings: dict[str, OrderedDict[tuple[str, str], Any]] = {}

    def value(self, leaf: Any, key: Any, make: Callable[[], Value]) -> Value:
        """The value ``make()`` computes for this segment and key, computed once."""
        segment = segment_id(leaf)
        if segment is None:
            return make()
        with self._lock:
            found = self._values.get(segment, {}).get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        made = make()
        with self._lock:
            self._values.setdefault(segment, {})[key] = made
        return made

    def postings(self, leaf: Any, field: str, text: str, make: Callable[[], Value]) -> Value:
        """A term's decoded posting list in this segment (the most recent POSTINGS_PER_SEGMENT
        kept)."""
        segment = segment_id(leaf)
        if segment is None:
            return make()
        key = (field, text)
        with self._lock:
            lists = self._postings.get(segment)
            if lists is not None and key in lists:
                lists.move_to_end(key)
                return lists[key]  # type: ignore[no-any-return]
        made = make()
        with self._lock:
            lists = self._postings.setdefault(segment, OrderedDict())
            lists[key] = made
            if len(lists) > POSTINGS_PER_SEGMENT:
                lists.popitem(last=False)
        return made

    def retain(self, leaves: Iterable[Any]) -> None:
        """Forget every segment but these (the ones the newest searcher reads)."""
        keep = {segment_id(leaf) for leaf in leaves}
        with self._lock:
            for table in (self._values, self._postings):
                for segment in [s for s in table if s not in keep]:
                    del table[segment]


_MISSING = object()
