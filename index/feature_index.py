"""The local-feature index: every keypoint of every indexed photograph, searchable by Hamming
distance, so a query's keypoints vote for the photographs that share them.

Opened on a directory of its own (so it can live in any generation folder):
``codes.faiss`` (a FAISS binary index), ``photos.npy`` (the photograph ids indexed, those
without any keypoint included) and ``meta.json`` (extractor name, counts, kind). Each
keypoint's FAISS id carries its photograph, its position and its shape:
``photo_id << 32 | x << 21 | y << 10 | angle << 5 | scale`` (x and y in 2048ths of the longer
side, finer than the 640 px the keypoints are found at; angle and size as
``index.local_features`` quantises them), so a search gives correspondences for geometric
verification without a second lookup, and the index holds nothing else: 32 bytes of code plus
8 of id per keypoint, 16,000 bytes for a photograph's 400.

Exact search (IndexBinaryFlat) while small; from APPROXIMATE_FROM keypoints an inverted file
(IndexBinaryIVF) whose lists are trained on the codes themselves. The codes are kept whole, so
retraining needs no photograph: ``rebuild`` re-chooses the kind from what is held.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.local_features import ANGLE_STEPS, CODE_BYTES, SCALE_STEPS, LocalFeatures
from index.vectors import _fsync_write, stored_ids

APPROXIMATE_FROM = 300_000
# The first inverted-file layout: √n/2 lists (1,024 at 20,000 photographs) whose centroids are
# each compared with a query keypoint, trained by FAISS's k-means; a keypoint probes 16 lists,
# so the codes it is compared with grow with √n (~94 million distances a query at 100,000).
TRAINING_SAMPLE = 200_000
FLAT_NPROBE = 16
# From VOCABULARY_FROM keypoints (40,000 photographs), the vocabulary layout: about LIST_LENGTH
# keypoints a list, so a probed list costs the same at any size and the vote grows with NPROBE,
# not with the collection. So many lists (65,536 at 100,000 photographs) are assigned through
# an HNSW graph of their centroids, not compared with each, and trained by binary k-means with
# the same graph. Up to 20,000 photographs the first layout found more phone details (top-5
# 0.966 against 0.944 at 20,000, see docs/visual_search.md) in a vote under ~150 ms; at 100,000
# the vocabulary's vote stays under ~120 ms where the first layout's was ~400.
VOCABULARY_FROM = 16_000_000
LIST_LENGTH = 512
VOCABULARY_ITERATIONS = 4
VOCABULARY_SAMPLE = 40  # training codes per list
HNSW_NEIGHBOURS = 16
NPROBE = 32
# What the inverted file is, in meta.json: an index of another layout than its size calls for
# makes verify ask for a rebuild (it still answers correctly meanwhile). The first layout's
# meta.json named none.
FIRST_LAYOUT = "potbank-keypoint-lists-v1"
LAYOUT = "potbank-keypoint-lists-v2"
# Neighbours per query keypoint, and the Hamming distance (of 256 bits) beyond which a
# neighbour is no match at all (unrelated ORB descriptors sit near 128). A detail photographed
# closer than its ware was (a sherd filling the frame: 1.5-2x the stored scale) repeats its
# keypoints less exactly: on 20 % crops of the 89 shared photographs, twice as many of the true
# correspondences lie within 80 bits as within 64, while the best chance fit of photographs
# not indexed stays at 11 inliers (verification's bar is 15) at 64, 80 and 88 bits alike.
NEIGHBOURS = 8
MAX_DISTANCE = 80
# Bits of a keypoint's id below the photograph's: 11 + 11 of position, 5 of angle, 5 of size.
_POSITION_BITS = 11
_POSITION_DROP = 16 - _POSITION_BITS
_SHAPE_BITS = 5
assert ANGLE_STEPS == SCALE_STEPS == 1 << _SHAPE_BITS


class FeatureIndexError(ValueError):
    """The index holds another extractor's features, or is damaged."""


@dataclass(frozen=True)
class Correspondences:
    """Query keypoints matched to indexed keypoints: parallel arrays, one row per match."""

    query: np.ndarray  # index into the query's keypoints
    photo: np.ndarray  # photograph id of the indexed keypoint
    position: np.ndarray  # (n, 2) its position, 16-bit fractions of the longer side
    distance: np.ndarray  # Hamming distance
    angle: np.ndarray  # its orientation and size, as ``LocalFeatures`` keeps them
    scale: np.ndarray

    def __len__(self) -> int:
        return len(self.query)

    def votes(self) -> dict[int, float]:
        """Each photograph's vote: one per query keypoint that found it, weighted by how close
        the best match was (a repeated pattern cannot vote twice with one keypoint)."""
        if not len(self.query):
            return {}
        weight = 1.0 - self.distance / (MAX_DISTANCE + 1)
        order = np.lexsort((-weight, self.photo, self.query))
        pairs = np.stack([self.query[order], self.photo[order]], axis=1)
        first = np.ones(len(order), dtype=bool)
        first[1:] = np.any(pairs[1:] != pairs[:-1], axis=1)
        photos, inverse = np.unique(self.photo[order][first], return_inverse=True)
        sums = np.bincount(inverse, weights=weight[order][first])
        return dict(zip(photos.tolist(), sums.tolist(), strict=True))

    def of(self, photo_id: int) -> Correspondences:
        mask = self.photo == photo_id
        return Correspondences(
            self.query[mask],
            self.photo[mask],
            self.position[mask],
            self.distance[mask],
            self.angle[mask],
            self.scale[mask],
        )


def no_correspondences() -> Correspondences:
    return Correspondences(
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
        np.zeros((0, 2), np.int64),
        np.zeros(0, np.int32),
        np.zeros(0, np.int64),
        np.zeros(0, np.int64),
    )


def keypoint_ids(photo_id: int, features: LocalFeatures) -> np.ndarray:
    """FAISS ids of a photograph's keypoints (its id, each position and shape in 64 bits)."""
    if not 0 <= photo_id < 2**31:
        raise FeatureIndexError(f"photograph id {photo_id} does not fit the index")
    positions = features.positions.astype(np.int64) >> _POSITION_DROP
    return (
        (np.int64(photo_id) << 32)
        | (positions[:, 0] << (_POSITION_BITS + 2 * _SHAPE_BITS))
        | (positions[:, 1] << (2 * _SHAPE_BITS))
        | (features.angles.astype(np.int64) << _SHAPE_BITS)
        | features.scales.astype(np.int64)
    )


def _unpacked(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions (16-bit fractions, the middle of their 2048th), angles and scales of ids."""
    low = (1 << _POSITION_BITS) - 1
    x = (ids >> (_POSITION_BITS + 2 * _SHAPE_BITS)) & low
    y = (ids >> (2 * _SHAPE_BITS)) & low
    half = 1 << (_POSITION_DROP - 1)
    positions = np.stack([(x << _POSITION_DROP) | half, (y << _POSITION_DROP) | half], axis=1)
    shape = (1 << _SHAPE_BITS) - 1
    return positions, (ids >> _SHAPE_BITS) & shape, ids & shape


def layout_for(count: int) -> str:
    """The inverted-file layout for ``count`` keypoints."""
    return LAYOUT if count >= VOCABULARY_FROM else FIRST_LAYOUT


def ivf_lists(count: int) -> int:
    """Inverted lists for ``count`` keypoints, a power of two: about √n/2 in the first layout,
    about LIST_LENGTH keypoints each in the vocabulary layout."""
    if layout_for(count) == FIRST_LAYOUT:
        return int(2 ** round(math.log2(max(256, math.sqrt(count) / 2))))
    return int(2 ** round(math.log2(max(256, count / LIST_LENGTH))))


class LocalFeatureIndex:
    """Photographs' keypoints, searchable by descriptor; see the module docstring."""

    def __init__(
        self,
        directory: Path | str,
        extractor: str,
        *,
        nprobe: int | None = None,
        mmap: bool = False,
    ) -> None:
        """Open the index in ``directory`` for features of ``extractor`` (its name), or an empty
        one if there is none. ``mmap`` maps the keypoints instead of reading them into memory."""
        self.directory = Path(directory)
        self.extractor = extractor
        self.nprobe = nprobe
        self._lock = threading.RLock()
        meta = self.stored_meta(self.directory)
        if meta is None:
            self._index = self._flat()
            self._photos: set[int] = set()
            return
        if meta["extractor"] != extractor:
            raise FeatureIndexError(
                f"the local-feature index at {self.directory} holds {meta['extractor']!r} "
                f"features, not {extractor!r}; rebuild it (potbank index rebuild)"
            )
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        self._index = faiss.read_index_binary(str(self.directory / "codes.faiss"), flags)
        self._photos = set(np.load(self.directory / "photos.npy").tolist())
        self._apply_nprobe()

    @staticmethod
    def stored_meta(directory: Path | str) -> dict[str, Any] | None:
        """The metadata of the index in ``directory``, or None when there is none."""
        path = Path(directory) / "meta.json"
        if not path.exists() or not (Path(directory) / "codes.faiss").exists():
            return None
        return dict(json.loads(path.read_text(encoding="utf-8")))

    @property
    def layout(self) -> str:
        """The inverted-file layout of the index (exact search counts as the first)."""
        inner = faiss.downcast_IndexBinary(self._index)
        if isinstance(inner, faiss.IndexBinaryIVF) and isinstance(
            faiss.downcast_IndexBinary(inner.quantizer), faiss.IndexBinaryHNSW
        ):
            return LAYOUT
        return FIRST_LAYOUT

    @staticmethod
    def outdated_layout(meta: Mapping[str, Any]) -> str | None:
        """The layout of a stored inverted file other than the one its size calls for (None
        when it is that one, or exact search, which every layout keeps alike)."""
        if not str(meta.get("kind", "exact")).startswith("ivf"):
            return None
        stored = str(meta.get("layout", FIRST_LAYOUT))
        return None if stored == layout_for(int(meta.get("keypoints", 0))) else stored

    @staticmethod
    def stamp(directory: Path | str) -> int:
        """Changes whenever the index in ``directory`` is saved (0 when there is none)."""
        path = Path(directory) / "meta.json"
        return path.stat().st_mtime_ns if path.exists() else 0

    @property
    def kind(self) -> str:
        inner = faiss.downcast_IndexBinary(self._index)
        return f"ivf{inner.nlist}" if isinstance(inner, faiss.IndexBinaryIVF) else "exact"

    def photos(self) -> set[int]:
        """Ids of the photographs indexed."""
        return set(self._photos)

    def __contains__(self, photo_id: int) -> bool:
        return photo_id in self._photos

    def keypoint_count(self) -> int:
        return int(self._index.ntotal)

    def _flat(self) -> Any:
        return faiss.IndexBinaryIDMap2(faiss.IndexBinaryFlat(CODE_BYTES * 8))

    def _apply_nprobe(self) -> None:
        inner = faiss.downcast_IndexBinary(self._index)
        if isinstance(inner, faiss.IndexBinaryIVF):
            graph = faiss.downcast_IndexBinary(inner.quantizer)
            vocabulary = isinstance(graph, faiss.IndexBinaryHNSW)
            default = NPROBE if vocabulary else FLAT_NPROBE
            inner.nprobe = min(self.nprobe or default, inner.nlist)
            if vocabulary:
                # The graph must hold nprobe candidates to return them.
                graph.hnsw.efSearch = max(inner.nprobe, 16)

    def add(self, features: Mapping[int, LocalFeatures]) -> None:
        """Index these photographs' features (by photograph id); one already held is replaced."""
        if not features:
            return
        with self._lock:
            self.remove(features.keys())
            kept = [(photo, f) for photo, f in features.items() if len(f)]
            if kept:
                ids = np.concatenate([keypoint_ids(photo, f) for photo, f in kept])
                codes = np.ascontiguousarray(np.concatenate([f.codes for _, f in kept]))
                self._index.add_with_ids(codes, ids)
            self._photos.update(features.keys())
            inner = faiss.downcast_IndexBinary(self._index)
            if isinstance(inner, faiss.IndexBinaryIVF):
                # Lists twice as long as they were built cost every query twice as much, and
                # from VOCABULARY_FROM the layout changes: retrain.
                count = self.keypoint_count()
                if ivf_lists(count) >= 2 * inner.nlist or layout_for(count) != self.layout:
                    self.rebuild()
            elif self.keypoint_count() >= APPROXIMATE_FROM:
                self.rebuild()

    def remove(self, photo_ids: Iterable[int]) -> int:
        """Drop these photographs' keypoints; returns how many photographs were held."""
        gone = {int(photo) for photo in photo_ids} & self._photos
        if not gone:
            return 0
        with self._lock:
            ids = self._ids()
            doomed = ids[np.isin(ids >> 32, np.fromiter(gone, dtype=np.int64))]
            if len(doomed):
                self._index.remove_ids(faiss.IDSelectorBatch(np.ascontiguousarray(doomed)))
            self._photos -= gone
        return len(gone)

    def _ids(self) -> np.ndarray:
        return stored_ids(faiss.downcast_IndexBinary(self._index))

    def _all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every keypoint's id and code."""
        inner = faiss.downcast_IndexBinary(self._index)
        if isinstance(inner, faiss.IndexBinaryIDMap2):
            flat = faiss.downcast_IndexBinary(inner.index)
            codes = faiss.vector_to_array(flat.xb).reshape(-1, CODE_BYTES)
            return self._ids(), codes
        lists = inner.invlists
        ids, codes = [], []
        for i in range(inner.nlist):
            size = lists.list_size(i)
            if size:
                ids.append(faiss.rev_swig_ptr(lists.get_ids(i), size).copy())
                codes.append(
                    faiss.rev_swig_ptr(lists.get_codes(i), size * CODE_BYTES)
                    .copy()
                    .reshape(size, CODE_BYTES)
                )
        if not ids:
            return np.zeros(0, np.int64), np.zeros((0, CODE_BYTES), np.uint8)
        return np.concatenate(ids).astype(np.int64), np.concatenate(codes)

    def rebuild(self) -> None:
        """Re-choose exact or inverted-file search for the number of keypoints held."""
        with self._lock:
            ids, codes = self._all()
            self._index = build_binary_index(codes, ids)
            self._apply_nprobe()

    def search(
        self, query: LocalFeatures, neighbours: int = NEIGHBOURS, allowed: set[int] | None = None
    ) -> Correspondences:
        """Each query keypoint's nearest indexed keypoints within MAX_DISTANCE bits; with
        ``allowed``, only those of these photographs."""
        if not len(query) or not self.keypoint_count():
            return no_correspondences()
        distances, ids = self._index.search(
            np.ascontiguousarray(query.codes), min(neighbours, self.keypoint_count())
        )
        rows = np.repeat(np.arange(len(query)), distances.shape[1])
        ids, distances = ids.ravel(), distances.ravel()
        keep = (ids >= 0) & (distances <= MAX_DISTANCE)
        photos = ids >> 32
        if allowed is not None:
            keep &= np.isin(photos, np.fromiter(allowed, dtype=np.int64))
        positions, angles, scales = _unpacked(ids[keep])
        return Correspondences(rows[keep], photos[keep], positions, distances[keep], angles, scales)

    def save(self) -> None:
        """Write the index, its photographs and its metadata, each atomically."""
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            _fsync_write(
                self.directory / "codes.faiss",
                lambda temp: faiss.write_index_binary(self._index, temp),
            )
            photos = np.array(sorted(self._photos), dtype=np.int64)
            _fsync_write(self.directory / "photos.npy", lambda temp: _save_npy(temp, photos))
            meta = {
                "extractor": self.extractor,
                "photographs": len(self._photos),
                "keypoints": self.keypoint_count(),
                "kind": self.kind,
                "layout": self.layout,
            }
            _fsync_write(
                self.directory / "meta.json",
                lambda temp: Path(temp).write_text(json.dumps(meta, indent=2) + "\n", "utf-8"),
            )

    def verify(self, expected: Iterable[int]) -> tuple[list[int], list[int]]:
        """Photographs ``expected`` but missing, and photographs held that should not be."""
        wanted = set(expected)
        held = self._photos
        return sorted(wanted - held), sorted(held - wanted)


def _save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, array)


def build_binary_index(codes: np.ndarray, ids: np.ndarray, seed: int = 1234) -> Any:
    """A FAISS binary index holding ``codes`` under ``ids``: exact when small, an inverted
    file trained on the codes when large, in the layout its size calls for (``layout_for``)."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    bits = CODE_BYTES * 8
    if len(codes) < APPROXIMATE_FROM:
        index = faiss.IndexBinaryIDMap2(faiss.IndexBinaryFlat(bits))
    elif layout_for(len(codes)) == FIRST_LAYOUT:
        index = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(bits), bits, ivf_lists(len(codes)))
        index.cp.seed = seed
        sample = np.random.default_rng(seed).choice(
            len(codes), min(len(codes), TRAINING_SAMPLE), replace=False
        )
        index.train(codes[np.sort(sample)])
    else:
        index = inverted_file(train_vocabulary(codes, ivf_lists(len(codes)), seed))
    if len(codes):
        index.add_with_ids(codes, ids)
    return index


def inverted_file(centroids: np.ndarray) -> Any:
    """An empty inverted file with one list per centroid, assigned through their HNSW graph."""
    quantizer = centroid_graph(centroids)
    index = faiss.IndexBinaryIVF(quantizer, CODE_BYTES * 8, len(centroids))
    index.own_fields = True  # the graph lives as long as the index, in Python or not
    quantizer.this.disown()
    return index


def centroid_graph(centroids: np.ndarray) -> Any:
    graph = faiss.IndexBinaryHNSW(CODE_BYTES * 8, HNSW_NEIGHBOURS)
    graph.add(np.ascontiguousarray(centroids, dtype=np.uint8))
    return graph


def train_vocabulary(
    codes: np.ndarray, lists: int, seed: int = 1234, iterations: int = VOCABULARY_ITERATIONS
) -> np.ndarray:
    """``lists`` centroids for ``codes`` by binary k-means on a sample of VOCABULARY_SAMPLE codes
    a list: start from distinct sampled codes, then each round assigns the sample to its
    nearest centroid through the centroids' HNSW graph (comparing each code with 65,536
    centroids would take hours at 100,000 photographs) and makes every centroid the majority
    of its codes' bits; one left without codes starts again from another sampled code (so no
    list is wasted while a crowded region shares one)."""
    rng = np.random.default_rng(seed)
    size = min(len(codes), lists * VOCABULARY_SAMPLE)
    sample = np.ascontiguousarray(codes[np.sort(rng.choice(len(codes), size, replace=False))])
    centroids = sample[rng.choice(len(sample), lists, replace=False)].copy()
    for _ in range(iterations):
        _, nearest = centroid_graph(centroids).search(sample, 1)
        centroids, empty = _majorities(sample, nearest.ravel(), centroids)
        centroids[empty] = sample[rng.choice(len(sample), len(empty), replace=False)]
    return centroids


def _majorities(
    sample: np.ndarray, nearest: np.ndarray, centroids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each centroid's codes' majority bits (ties: 0), in slices to bound the unpacked bits;
    and the centroids no code was nearest to (unchanged)."""
    order = np.argsort(nearest, kind="stable")
    lists, starts, sizes = np.unique(nearest[order], return_index=True, return_counts=True)
    out = centroids.copy()
    step = 4096
    for first in range(0, len(lists), step):
        last = min(first + step, len(lists))
        rows = order[starts[first] : starts[last - 1] + sizes[last - 1]]
        bits = np.unpackbits(sample[rows], axis=1)
        ones = np.add.reduceat(bits, starts[first:last] - starts[first], axis=0, dtype=np.int32)
        out[lists[first:last]] = np.packbits(ones * 2 > sizes[first:last, None], axis=1)
    return out, np.setdiff1d(np.arange(len(centroids)), lists)
