"""Query evaluation with numpy over Whoosh's posting lists.

Whoosh parses, analyses and stores; but its matchers walk every matching document in Python, so a
broad query over 100,000 wares takes hundreds of milliseconds. Here each term's posting list is
read block by block into arrays (cached per index generation) and the boolean tree is evaluated
as dense masks and BM25 score vectors, one numpy operation per node. Query shapes numpy does not
handle (phrases, ranges, ...) are matched by Whoosh and scored by the BM25 of their words.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.util.numeric import byte_to_length

from index.segment_cache import SegmentCache

K1 = 1.2
B = 0.75
_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


class Evaluation:
    """Matching documents (mask) and their scores, both dense over document numbers."""

    __slots__ = ("mask", "score")

    def __init__(self, mask: np.ndarray, score: np.ndarray) -> None:
        self.mask = mask
        self.score = score


def _leaf_postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers and weights of one segment's posting list."""
    if (
        not all(hasattr(matcher, name) for name in ("_read_data", "_next_block", "_byteids"))
        or matcher._byteids
    ):
        items = list(matcher.items_as("weight"))
        return (
            np.asarray([i for i, _ in items], dtype=np.int64),
            np.asarray([w for _, w in items], dtype=np.float32),
        )
    # whoosh3 codec: each block (about 128 postings) is a pickled tuple of id gaps and weights.
    # Gather the raw blocks, then decode all gaps with one cumulative sum.
    gaps: list[int] = []
    weights: list[float] = []
    lengths: list[int] = []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        block_gaps, block_weights = matcher._data[0], matcher._data[1]
        gaps.extend(block_gaps)
        lengths.append(len(block_gaps))
        if block_weights is None or isinstance(block_weights, float):
            weights.extend([1.0 if block_weights is None else block_weights] * len(block_gaps))
        else:
            weights.extend(block_weights)
        matcher._next_block()
    if not gaps:
        return _EMPTY
    totals = np.cumsum(np.asarray(gaps, dtype=np.int64))
    ends = np.cumsum(lengths)
    # Each block's gaps restart from zero: remove the running total of the blocks before it.
    bases = np.concatenate([[0], totals[ends[:-1] - 1]])
    return totals - np.repeat(bases, lengths), np.asarray(weights, dtype=np.float32)


def _decoded(leaf: Any, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """A term's document numbers and weights in one segment (empty when it is absent)."""
    if (field, text) not in leaf:
        return _EMPTY
    return _leaf_postings(leaf.postings(field, text))


_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def _segment_lengths(leaf: Any, field: str, count: int) -> np.ndarray:
    """Token counts of `field` for every document of a segment."""
    column = getattr(getattr(leaf, "_perdoc", None), "_cached_reader", None)
    reader = column(f"_{field}_len", LENGTHS_COLUMN) if column else None
    if reader is None:
        return np.asarray(
            [leaf.doc_field_length(d, field, 1) for d in range(count)], dtype=np.float32
        )
    # whoosh3 keeps one length byte per document in a column: decode them all at once.
    codes = np.zeros(count, dtype=np.int64)
    try:
        raw = reader._dbfile.get(reader._basepos, reader._count)
        codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    except AttributeError:
        codes[:] = np.fromiter(reader, dtype=np.int64, count=count)
    return _BYTE_TO_LENGTH[codes]


class Engine:
    """Evaluates parsed Whoosh queries for one searcher (one index generation)."""

    def __init__(self, searcher: Any, live: np.ndarray, cache: SegmentCache | None = None) -> None:
        self.searcher = searcher
        # Decoded posting lists and field lengths per segment, shared with later searchers.
        self.cache = cache or SegmentCache()
        self.reader = searcher.reader()
        self.live = live
        self.size = len(live)
        self.doc_count = max(1, int(live.sum()))
        self._leaves = self.reader.leaf_readers()
        self._lengths: dict[str, tuple[np.ndarray, float]] = {}
        self.postings = functools.lru_cache(maxsize=4096)(self._postings)
        self.phrase_docs = functools.lru_cache(maxsize=512)(self._phrase_docs)

    def field_lengths(self, field: str) -> tuple[np.ndarray, float]:
        """Token counts of `field` per document and their mean (read once)."""
        if field not in self._lengths:
            lengths = np.ones(self.size, dtype=np.float32)
            for leaf, offset in self._leaves:
                count = leaf.doc_count_all()
                lengths[offset : offset + count] = self.cache.value(
                    leaf,
                    ("lengths", field),
                    functools.partial(_segment_lengths, leaf, field, count),
                )
            average = float(lengths[self.live].mean()) if self.live.any() else 1.0
            self._lengths[field] = (np.maximum(lengths, 1.0), max(average, 1.0))
        return self._lengths[field]

    def _postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, BM25 scores) of one term over the whole index."""
        docs: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        for leaf, offset in self._leaves:
            ids, w = self.cache.postings(
                leaf, field, text, functools.partial(_decoded, leaf, field, text)
            )
            if len(ids):
                docs.append(ids + offset)
                weights.append(w)
        if not docs:
            return _EMPTY
        ids, w = np.concatenate(docs), np.concatenate(weights)
        field_obj = self.reader.schema[field]
        if not field_obj.scorable:
            return ids, np.ones(len(ids), dtype=np.float32)
        frequency = int(self.live[ids].sum())
        idf = math.log(1 + (self.doc_count - frequency + 0.5) / (frequency + 0.5))
        lengths, average = self.field_lengths(field)
        norm = K1 * (1 - B + B * lengths[ids] / average)
        return ids, (idf * w * (K1 + 1) / (w + norm)).astype(np.float32)

    def _empty(self) -> Evaluation:
        return Evaluation(np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.float32))

    def _term(self, field: str, text: str, boost: float) -> Evaluation:
        result = self._empty()
        ids, scores = self.postings(field, text)
        result.mask[ids] = True
        result.score[ids] = scores * boost
        return result

    def evaluate(self, node: Any) -> Evaluation:
        """Mask and scores of the documents matching `node` (deleted documents included)."""
        boost = float(getattr(node, "boost", 1.0) or 1.0)
        if isinstance(node, wq.Term):
            text = node.text if isinstance(node.text, str) else node.text.decode("utf-8")
            return self._term(node.fieldname, text, boost)
        if isinstance(node, wq.Every):
            return Evaluation(self.live.copy(), np.zeros(self.size, dtype=np.float32))
        if isinstance(node, type(wq.NullQuery)):
            return self._empty()
        if isinstance(node, wq.Not):
            inner = self.evaluate(node.query)
            return Evaluation(~inner.mask, np.zeros(self.size, dtype=np.float32))
        if isinstance(node, wq.And | wq.Or) and not isinstance(node, wq.DisjunctionMax):
            parts = [self.evaluate(child) for child in node.subqueries]
            if not parts:
                return self._empty()
            mask = parts[0].mask.copy()
            score = parts[0].score.copy()
            for part in parts[1:]:
                mask = mask & part.mask if isinstance(node, wq.And) else mask | part.mask
                score += part.score
            return Evaluation(mask, score * boost)
        if isinstance(node, wq.AndNot):
            positive, negative = self.evaluate(node.a), self.evaluate(node.b)
            return Evaluation(positive.mask & ~negative.mask, positive.score * boost)
        if isinstance(node, wq.AndMaybe):
            required, optional = self.evaluate(node.a), self.evaluate(node.b)
            return Evaluation(required.mask, (required.score + optional.score) * boost)
        if isinstance(node, wq.Phrase) and self.reader.schema[node.fieldname].format.supports(
            "positions"
        ):
            return self._phrase(node.fieldname, tuple(node.words), node.slop, boost)
        if isinstance(node, wq.MultiTerm) and not isinstance(node, wq.FuzzyTerm):
            # Prefix/wildcard: the union of the terms they expand to (capped like Whoosh).
            terms = list(node._btexts(self.reader))[:1024]
            result = self._empty()
            for text in terms:
                part = self._term(
                    node.fieldname, text if isinstance(text, str) else text.decode("utf-8"), boost
                )
                result.mask |= part.mask
                result.score = np.maximum(result.score, part.score)
            return result
        return self._by_whoosh(node, boost)

    def _phrase(self, field: str, words: tuple[str, ...], slop: int, boost: float) -> Evaluation:
        """Documents with the words in order, each within `slop` positions of the previous."""
        parts = [self._term(field, word, boost) for word in words]
        result = self._empty()
        if not parts:
            return result
        result.mask[self.phrase_docs(field, words, slop)] = True
        for part in parts:
            result.score += part.score
        result.score *= result.mask
        return result

    def _phrase_docs(self, field: str, words: tuple[str, ...], slop: int) -> np.ndarray:
        """Document numbers of a phrase (cached per index generation).

        numpy narrows the candidates to documents holding every word; positions are then read
        only for those, by skipping through each word's posting list.
        """
        candidates = np.ones(self.size, dtype=bool)
        for word in words:
            present = np.zeros(self.size, dtype=bool)
            present[self.postings(field, word)[0]] = True
            candidates &= present
        found: list[int] = []
        for leaf, offset in self._leaves:
            local = np.flatnonzero(candidates[offset : offset + leaf.doc_count_all()])
            if not len(local):
                continue
            matchers = [leaf.postings(field, word) for word in words]
            for docnum in local.tolist():
                positions = []
                for matcher in matchers:
                    matcher.skip_to(docnum)
                    positions.append(matcher.value_as("positions"))
                if _in_sequence(positions, slop):
                    found.append(offset + docnum)
        return np.asarray(found, dtype=np.int64)

    def _by_whoosh(self, node: Any, boost: float) -> Evaluation:
        """Phrases, ranges and other shapes: Whoosh finds the documents, their words score them."""
        result = self._empty()
        docs = np.fromiter(self.searcher.docs_for_query(node), dtype=np.int64)
        result.mask[docs] = True
        words = (
            [(f, t) for f, t in node.iter_all_terms()] if hasattr(node, "iter_all_terms") else []
        )
        for field, text in words:
            if field in self.reader.schema and self.reader.schema[field].scorable:
                ids, scores = self.postings(
                    field, text if isinstance(text, str) else text.decode("utf-8")
                )
                result.score[ids] += scores
        if not words:
            result.score[docs] = 1.0
        result.score *= result.mask
        result.score *= boost
        return result


def _in_sequence(positions: list[list[int]], slop: int) -> bool:
    """True when one position from each list follows the previous by 1..slop."""
    later = [set(p) for p in positions[1:]]
    for start in positions[0]:
        current = start
        for allowed in later:
            following = next(
                (current + step for step in range(1, slop + 1) if current + step in allowed), None
            )
            if following is None:
                break
            current = following
        else:
            return True
    return False
