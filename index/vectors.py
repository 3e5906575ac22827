"""The vector index: FAISS over photograph embeddings, with stable int64 ids (photograph ids).

Small collections use exact inner-product search (IndexIDMap2 over IndexFlatIP). When a collection
grows past APPROXIMATE_FROM vectors the index is rebuilt as an inverted file (IndexIVFFlat, inner
product) whose list count grows with the collection and whose `nprobe` keeps recall@10 ≥ 0.95 on
structured data (see bench/bench_vectors.py). Both kinds support incremental add and remove by id.

On disk: `<path>` (the FAISS index) and `<path>.json` (embedder name, dimension, count, kind),
each written to a temporary file, fsynced and renamed, so a crash never leaves a torn index.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

APPROXIMATE_FROM = 50_000
TRAINING_SAMPLE = 64 * 1024


class VectorIndexError(ValueError):
    """A vector does not fit this index (wrong dimension or another embedder)."""


def _as_matrix(vectors: np.ndarray | Sequence[Sequence[float]], dim: int) -> np.ndarray:
    matrix = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2 or matrix.shape[1] != dim:
        raise VectorIndexError(
            f"vectors have dimension {matrix.shape[-1] if matrix.ndim else 0}, "
            f"this index holds dimension {dim}"
        )
    return matrix


def stored_ids(inner: Any) -> np.ndarray:
    """All ids held by a downcast FAISS index (float or binary): an ID map's or an IVF's lists."""
    if isinstance(inner, (faiss.IndexIDMap2, faiss.IndexBinaryIDMap2)):
        return faiss.vector_to_array(inner.id_map).astype(np.int64)
    invlists = inner.invlists
    parts = [
        faiss.rev_swig_ptr(invlists.get_ids(i), invlists.list_size(i)).copy()
        for i in range(inner.nlist)
        if invlists.list_size(i)
    ]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _fsync_write(path: Path, write: Any) -> None:
    """Write via `write(temp_path)`, fsync, then atomically rename onto `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(handle)
    try:
        write(temp)
        with open(temp, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def ivf_lists(count: int) -> int:
    """Inverted lists for `count` vectors: about √n, a power of two (1M vectors → 1024).

    √n keeps k-means training to seconds on two cores; nprobe then buys the recall back.
    """
    return int(2 ** round(math.log2(max(64, math.sqrt(count)))))


def held_ids(path: Path | str, embedder_name: str, dim: int) -> set[int] | None:
    """The ids the index at ``path`` holds, read with its vectors memory-mapped rather than
    loaded: for a writer deciding whether a change touches the index at all. None when there
    is no index for ``embedder_name`` and ``dim`` there (opening it would start afresh)."""
    path = Path(path)
    meta_path = path.with_name(path.name + ".json")
    if not path.exists() or not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta["embedder"] != embedder_name or int(meta["dimension"]) != int(dim):
        return None
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    return set(stored_ids(faiss.downcast_index(index)).tolist())


class VectorIndex:
    """Photograph embeddings searchable by inner product (cosine for unit vectors)."""

    def __init__(
        self,
        path: Path | str,
        embedder_name: str | None = None,
        dim: int | None = None,
        nprobe: int = 32,
    ) -> None:
        """Open the index at `path`, or prepare a new one for `embedder_name` and `dim`.

        An existing index made by another embedder or with another dimension is refused.
        """
        self.path = Path(path)
        self.meta_path = self.path.with_name(self.path.name + ".json")
        self.nprobe = nprobe
        self._lock = threading.RLock()
        if self.path.exists() and self.meta_path.exists():
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            self.embedder_name: str = meta["embedder"]
            self.dim: int = int(meta["dimension"])
            if embedder_name is not None and embedder_name != self.embedder_name:
                raise VectorIndexError(
                    f"the index at {self.path} was built by {self.embedder_name!r}, "
                    f"not {embedder_name!r}; rebuild it (potbank index rebuild)"
                )
            if dim is not None and dim != self.dim:
                raise VectorIndexError(
                    f"the index at {self.path} holds dimension {self.dim}, not {dim}"
                )
            self._index = faiss.read_index(str(self.path))
        else:
            if embedder_name is None or dim is None:
                raise VectorIndexError(f"no index at {self.path}: give embedder_name and dim")
            self.embedder_name, self.dim = embedder_name, int(dim)
            self._index = self._flat()
        self._apply_nprobe()

    @property
    def kind(self) -> str:
        """'exact' or 'ivf<lists>'."""
        inner = faiss.downcast_index(self._index)
        if isinstance(inner, faiss.IndexIVF):
            return f"ivf{inner.nlist}"
        return "exact"

    def count(self) -> int:
        """Number of vectors held."""
        return int(self._index.ntotal)

    def __len__(self) -> int:
        return self.count()

    def check(self, embedder_name: str) -> None:
        """Raise VectorIndexError unless vectors from `embedder_name` belong in this index."""
        if embedder_name != self.embedder_name:
            raise VectorIndexError(
                f"this index holds {self.embedder_name!r} vectors, not {embedder_name!r}"
            )

    def _flat(self) -> Any:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    def _apply_nprobe(self) -> None:
        inner = faiss.downcast_index(self._index)
        if isinstance(inner, faiss.IndexIVF):
            inner.nprobe = min(self.nprobe, inner.nlist)

    def add(self, ids: Iterable[int], vectors: np.ndarray | Sequence[Sequence[float]]) -> None:
        """Add vectors under these ids; an id already present is replaced."""
        id_array = np.ascontiguousarray(np.fromiter((int(i) for i in ids), dtype=np.int64))
        matrix = _as_matrix(vectors, self.dim)
        if len(id_array) != len(matrix):
            raise VectorIndexError(f"{len(id_array)} ids for {len(matrix)} vectors")
        if len(np.unique(id_array)) != len(id_array):
            raise VectorIndexError("the same id is given twice")
        with self._lock:
            self._index.remove_ids(faiss.IDSelectorArray(id_array))
            self._index.add_with_ids(matrix, id_array)
            inner = faiss.downcast_index(self._index)
            if isinstance(inner, faiss.IndexIVF):
                # Lists sized for a much smaller collection make every probe scan too much.
                if ivf_lists(self.count()) >= 4 * inner.nlist:
                    self.rebuild()
            elif self.count() >= APPROXIMATE_FROM:
                self.rebuild()

    def remove(self, ids: Iterable[int]) -> int:
        """Remove the vectors with these ids; returns how many were removed."""
        id_array = np.ascontiguousarray(np.fromiter((int(i) for i in ids), dtype=np.int64))
        with self._lock:
            return int(self._index.remove_ids(faiss.IDSelectorArray(id_array)))

    def ids(self) -> np.ndarray:
        """All ids held, as int64."""
        return stored_ids(faiss.downcast_index(self._index))

    def vector(self, item: int) -> np.ndarray | None:
        """The stored vector of one id (for "more like this"), or None if it is not held."""
        with self._lock:
            inner = faiss.downcast_index(self._index)
            if isinstance(inner, faiss.IndexIDMap2):
                try:
                    return self._index.reconstruct(int(item))
                except RuntimeError:
                    return None
            # A hash table: photograph ids are not 0..n-1, which an array map requires.
            inner.set_direct_map_type(faiss.DirectMap.Hashtable)
            try:
                return inner.reconstruct(int(item))
            except RuntimeError:
                return None
            finally:
                inner.set_direct_map_type(faiss.DirectMap.NoMap)

    def _all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        inner = faiss.downcast_index(self._index)
        if isinstance(inner, faiss.IndexIDMap2):
            flat = faiss.downcast_index(inner.index)
            return self.ids(), faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * self.dim).reshape(
                flat.ntotal, self.dim
            ).copy()
        inner.set_direct_map_type(faiss.DirectMap.Hashtable)
        ids = self.ids()
        vectors = (
            inner.reconstruct_batch(ids) if len(ids) else np.zeros((0, self.dim), dtype=np.float32)
        )
        inner.set_direct_map_type(faiss.DirectMap.NoMap)
        return ids, vectors

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every id held and its vector (ids in index order)."""
        with self._lock:
            return self._all_vectors()

    def rebuild(self) -> None:
        """Rebuild as exact (small) or IVF (large) for the current number of vectors."""
        with self._lock:
            ids, vectors = self._all_vectors()
            self._index = build_index(vectors, ids, self.dim)
            self._apply_nprobe()

    def search(self, vector: np.ndarray | Sequence[float], k: int = 10) -> list[tuple[int, float]]:
        """The k nearest photographs as (id, inner product), best first."""
        matrix = _as_matrix(vector, self.dim)
        if len(matrix) != 1:
            raise VectorIndexError("search takes one vector; use search_many for several")
        return self.search_many(matrix, k)[0]

    def search_many(self, vectors: np.ndarray, k: int = 10) -> list[list[tuple[int, float]]]:
        """The k nearest photographs for each query vector."""
        matrix = _as_matrix(vectors, self.dim)
        if self.count() == 0 or k <= 0:
            return [[] for _ in matrix]
        scores, ids = self._index.search(matrix, min(k, self.count()))
        return [
            [(int(i), float(s)) for i, s in zip(row_ids, row_scores, strict=True) if i >= 0]
            for row_ids, row_scores in zip(ids, scores, strict=True)
        ]

    def save(self) -> None:
        """Write the index and its metadata atomically."""
        with self._lock:
            _fsync_write(self.path, lambda temp: faiss.write_index(self._index, temp))
            meta = {
                "embedder": self.embedder_name,
                "dimension": self.dim,
                "count": self.count(),
                "kind": self.kind,
            }
            _fsync_write(
                self.meta_path,
                lambda temp: Path(temp).write_text(
                    json.dumps(meta, indent=2) + "\n", encoding="utf-8"
                ),
            )


def build_index(
    vectors: np.ndarray,
    ids: np.ndarray,
    dim: int,
    approximate_from: int | None = None,
    seed: int = 1234,
) -> Any:
    """A new FAISS index holding `vectors` under `ids`: exact when small, IVF when large.

    IVF is used from `approximate_from` vectors (default APPROXIMATE_FROM).
    """
    approximate_from = APPROXIMATE_FROM if approximate_from is None else approximate_from
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if len(vectors) < approximate_from:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    else:
        lists = ivf_lists(len(vectors))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(seed)
        sample = min(len(vectors), max(TRAINING_SAMPLE, 32 * lists))
        index.cp.seed = seed
        index.train(vectors[rng.choice(len(vectors), sample, replace=False)])
    if len(vectors):
        index.add_with_ids(vectors, ids)
    return index
