"""VectorIndex: stable ids, replace on re-add, remove, persistence, refusal of foreign vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.vectors import VectorIndex, VectorIndexError, build_index, ivf_lists


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def vectors() -> np.ndarray:
    return unit(np.random.default_rng(0).normal(size=(50, 16)))


def test_add_search_replace_remove(tmp_path: Path, vectors: np.ndarray) -> None:
    index = VectorIndex(tmp_path / "v.faiss", embedder_name="test", dim=16)
    ids = list(range(1000, 1050))
    index.add(ids, vectors)
    assert index.count() == 50 and index.kind == "exact"
    best_id, best_score = index.search(vectors[7], k=3)[0]
    assert best_id == 1007 and best_score == pytest.approx(1.0, abs=1e-5)
    index.add([1007], vectors[8:9])  # re-adding an id replaces its vector
    assert index.count() == 50
    assert {i for i, _ in index.search(vectors[8], k=2)} == {1007, 1008}
    assert index.remove([1007, 1008, 5]) == 2
    assert index.count() == 48
    assert 1007 not in {i for i, _ in index.search(vectors[8], k=48)}
    assert sorted(index.ids().tolist()) == [i for i in ids if i not in (1007, 1008)]


def test_save_and_reload(tmp_path: Path, vectors: np.ndarray) -> None:
    path = tmp_path / "sub" / "v.faiss"
    index = VectorIndex(path, embedder_name="test", dim=16)
    index.add(range(50), vectors)
    index.save()
    meta = json.loads(path.with_name("v.faiss.json").read_text())
    assert meta == {"embedder": "test", "dimension": 16, "count": 50, "kind": "exact"}
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]
    reloaded = VectorIndex(path)
    assert reloaded.count() == 50 and reloaded.embedder_name == "test"
    assert reloaded.search(vectors[3], k=1)[0][0] == 3


def test_refuses_wrong_dimension_and_embedder(tmp_path: Path, vectors: np.ndarray) -> None:
    path = tmp_path / "v.faiss"
    index = VectorIndex(path, embedder_name="test", dim=16)
    with pytest.raises(VectorIndexError, match="dimension"):
        index.add([1], np.ones((1, 8), dtype=np.float32))
    with pytest.raises(VectorIndexError, match="dimension"):
        index.search(np.ones(32, dtype=np.float32))
    with pytest.raises(VectorIndexError, match="twice"):
        index.add([1, 1], vectors[:2])
    index.add([1], vectors[:1])
    index.save()
    with pytest.raises(VectorIndexError, match="built by 'test'"):
        VectorIndex(path, embedder_name="other", dim=16)
    with pytest.raises(VectorIndexError, match="dimension 16"):
        VectorIndex(path, embedder_name="test", dim=512)
    with pytest.raises(VectorIndexError, match="not 'clip'"):
        index.check("clip")
    with pytest.raises(VectorIndexError, match="give embedder_name"):
        VectorIndex(tmp_path / "missing.faiss")


def test_empty_index_searches_to_nothing(tmp_path: Path) -> None:
    index = VectorIndex(tmp_path / "v.faiss", embedder_name="test", dim=4)
    assert index.search(np.ones(4, dtype=np.float32), k=5) == []


def test_large_collections_become_ivf_and_keep_working(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    centres = unit(rng.normal(size=(40, 32)))
    data = unit(centres[rng.integers(0, 40, 4000)] + 0.3 * rng.normal(size=(4000, 32)))
    ids = np.arange(10_000, 14_000)
    raw = build_index(data, ids, 32, approximate_from=1000)
    path = tmp_path / "ivf.faiss"
    index = VectorIndex(path, embedder_name="test", dim=32, nprobe=16)
    index._index = raw  # built with a low threshold to keep the test fast
    index._apply_nprobe()
    assert index.kind == f"ivf{ivf_lists(4000)}"
    assert index.search(data[5], k=1)[0][0] == 10_005
    index.add([10_005], data[6:7])
    assert index.count() == 4000
    assert index.remove([10_006]) == 1
    assert index.search(data[6], k=1)[0][0] == 10_005
    index.save()
    reopened = VectorIndex(path)
    assert reopened.kind.startswith("ivf") and reopened.count() == 3999
    assert len(set(reopened.ids().tolist())) == 3999
    # Ids that are not 0..n-1 (photograph ids): stored vectors can still be read back.
    assert np.allclose(reopened.vector(10_007), data[7], atol=1e-6)
    held, matrix = reopened.all_vectors()
    assert len(held) == 3999 and np.allclose(matrix[held == 10_008][0], data[8], atol=1e-6)


def test_ivf_list_count_grows_with_size() -> None:
    assert ivf_lists(1_000_000) == 1024
    assert ivf_lists(100) == 64


def test_rebuild_round_trips_between_exact_and_ivf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.vectors as module

    rng = np.random.default_rng(2)
    data = unit(rng.normal(size=(1200, 8)))
    index = VectorIndex(tmp_path / "v.faiss", embedder_name="test", dim=8)
    monkeypatch.setattr(module, "APPROXIMATE_FROM", 1000)
    index.add(range(1200), data)  # crossing the threshold rebuilds as IVF
    assert index.kind.startswith("ivf") and index.count() == 1200
    assert np.allclose(index.vector(17), data[17], atol=1e-6)
    assert index.vector(99_999) is None
    monkeypatch.setattr(module, "APPROXIMATE_FROM", 10_000)
    index.rebuild()
    assert index.kind == "exact" and index.count() == 1200
    assert index.search(data[17], k=1)[0][0] == 17


def test_ivf_is_rebuilt_with_more_lists_as_it_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.vectors as module

    monkeypatch.setattr(module, "APPROXIMATE_FROM", 100)
    rng = np.random.default_rng(3)
    index = VectorIndex(tmp_path / "v.faiss", embedder_name="test", dim=4)
    index.add(range(100), unit(rng.normal(size=(100, 4))))
    assert index.kind == "ivf64"
    index.add(range(100, 70_000), unit(rng.normal(size=(69_900, 4))))
    assert index.kind == "ivf256" and index.count() == 70_000
