"""Hybrid ranking: reciprocal rank fusion of keyword and vector result lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FusedResult:
    """A fused result: its id, RRF score and the names of the lists that found it."""

    id: int
    score: float
    sources: tuple[str, ...]

    def __iter__(self):
        return iter((self.id, self.score, self.sources))


def rrf(ranked_lists: Mapping[str, Sequence[int]], k: int = 60) -> list[FusedResult]:
    """Fuse ranked id lists: score = Σ 1/(k + rank), rank from 1 (Cormack et al., 2009).

    Ties are broken by the best rank reached in any list, then by id, so the order is stable.
    """
    scores: dict[int, float] = {}
    best: dict[int, int] = {}
    sources: dict[int, list[str]] = {}
    for name, ids in ranked_lists.items():
        seen: set[int] = set()
        for rank, item in enumerate(ids, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
            best[item] = min(best.get(item, rank), rank)
            sources.setdefault(item, []).append(name)
    order = sorted(scores, key=lambda i: (-scores[i], best[i], i))
    return [FusedResult(i, scores[i], tuple(sources[i])) for i in order]
