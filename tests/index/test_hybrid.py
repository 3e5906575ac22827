"""Reciprocal rank fusion."""

from __future__ import annotations

import pytest

from index.hybrid import rrf


def test_items_found_by_both_lists_rise_and_sources_are_recorded() -> None:
    fused = rrf({"keyword": [1, 2, 3], "visual": [3, 4, 1]})
    assert [r.id for r in fused] == [1, 3, 2, 4]
    assert fused[0].sources == ("keyword", "visual")
    assert fused[2].sources == ("keyword",)
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 63)
    identifier, score, sources = fused[3]
    assert (identifier, sources) == (4, ("visual",)) and score == pytest.approx(1 / 62)


def test_empty_lists_and_duplicates() -> None:
    assert rrf({}) == []
    assert [r.id for r in rrf({"a": [5, 5, 6]})] == [5, 6]
