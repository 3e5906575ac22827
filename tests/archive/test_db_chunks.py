"""in_chunks: IN (...) lists short enough for any database, nothing lost or repeated."""

from __future__ import annotations

from archive.db import IN_LIST_SIZE, in_chunks


def test_in_chunks_keeps_first_order_drops_repeats_and_caps_each_list() -> None:
    values = [*range(1200, 0, -1), 5, 7, 1200]
    chunks = list(in_chunks(values))
    assert [len(chunk) for chunk in chunks] == [IN_LIST_SIZE, IN_LIST_SIZE, 200]
    assert [v for chunk in chunks for v in chunk] == list(range(1200, 0, -1))
    assert list(in_chunks([])) == []
