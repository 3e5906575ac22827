"""The local-feature, form and mark-likeness indexes of an instance, kept in step with the
catalogue like the others.

Local features are extracted from each photograph's display derivative, form vectors
(``index.form``) and mark-likeness vectors (``index.mark_likeness``) from its thumbnail
(``index.photo_description``); all at ingest by the photo workers and at rebuild here.
Only published wares' photographs are indexed, as for the image index. Both live in
``<generation folder>/local``; ``LocalFeatureSync`` keeps one such folder and is what the index
writer's ``index.local_kind.LocalFeatureKind`` calls; the indexes themselves
(``index.feature_index``, a ``VectorIndex`` of form vectors) know nothing of the catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from functools import cache, partial
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Photograph, PhotoView, Ware
from archive.settings import Settings
from archive.store import ImageStore
from index.embedders import ImageEmbedder
from index.feature_index import FeatureIndexError, LocalFeatureIndex, layout_for
from index.generations import Generations
from index.local_features import LocalFeatures
from index.mark_likeness import mark_features
from index.photo_description import (
    FEATURE_DERIVATIVE,
    PhotoDescription,
    extractor_name,
    features_of_derivative,
    form_describer,
    form_of_derivative,
    global_and_form,
    mark_describer,
    mark_of_derivative,
    mirrored_query_features,
    query_features,
)
from index.vectors import VectorIndex, held_ids
from index.visual_search import PhotoTable, Query


def feature_dir(where: Settings | Path) -> Path:
    """The local-feature folder of a generation (``where``: its folder, or the settings for the
    serving generation)."""
    folder = where if isinstance(where, Path) else Generations(where.index_dir).current().path
    return folder / "local"


def photograph_query(picture: Image.Image, embedder: ImageEmbedder) -> Query:
    """An uploaded photograph (decoded, upright, RGB) described for every visual stage:
    ``embedder``'s vector, local features (as taken and mirrored), form and mark likeness (the
    mirrored keypoints and the mark likeness described only if the search asks for them)."""
    vector, form = global_and_form(picture, embedder)
    mirrored = partial(mirrored_query_features, picture)
    return Query(
        vector,
        query_features(picture),
        form,
        mirrored=mirrored,
        describe_mark=cache(partial(mark_features, picture)),
    )


class _ThumbVectors(NamedTuple):
    """A per-photograph vector index kept from the thumbnail, beside the local features."""

    file: str
    describer: Callable[[], ImageEmbedder]
    of_description: Callable[[PhotoDescription], np.ndarray]
    of_derivative: Callable[[Path], np.ndarray]
    what: str  # how 'index verify' names it


_FORM = _ThumbVectors(
    "form.faiss", form_describer, lambda found: found.form, form_of_derivative, "form"
)
_MARK = _ThumbVectors(
    "marks.faiss", mark_describer, lambda found: found.mark, mark_of_derivative, "mark-likeness"
)
_THUMB_VECTORS = (_FORM, _MARK)


def form_path(where: Settings | Path) -> Path:
    return feature_dir(where) / _FORM.file


def local_stamp(where: Settings | Path) -> tuple[int, ...]:
    """Changes whenever the local-feature, the form or the mark-likeness index is saved."""
    stamps = []
    for kind in _THUMB_VECTORS:
        meta = feature_dir(where) / f"{kind.file}.json"
        stamps.append(meta.stat().st_mtime_ns if meta.exists() else 0)
    return (LocalFeatureIndex.stamp(feature_dir(where)), *stamps)


def _open_thumb_vectors(where: Settings | Path, kind: _ThumbVectors) -> VectorIndex | None:
    path = feature_dir(where) / kind.file
    meta = path.with_name(path.name + ".json")
    if not path.exists() or not meta.exists():
        return None
    describer = kind.describer()
    try:
        return VectorIndex(path, describer.name, describer.dim)
    except ValueError:
        return None


def open_form_index(where: Settings | Path) -> VectorIndex | None:
    """A generation's form vectors, or None when there are none of this describer's."""
    return _open_thumb_vectors(where, _FORM)


def open_mark_index(where: Settings | Path) -> VectorIndex | None:
    """A generation's mark-likeness vectors, or None when there are none of this version's."""
    return _open_thumb_vectors(where, _MARK)


def open_feature_index(where: Settings | Path, *, mmap: bool = False) -> LocalFeatureIndex | None:
    """A generation's local-feature index, or None when there is none of this extractor's."""
    directory = feature_dir(where)
    meta = LocalFeatureIndex.stored_meta(directory)
    if meta is None or meta["extractor"] != extractor_name():
        return None
    return LocalFeatureIndex(directory, extractor_name(), mmap=mmap)


def photo_table(session: Session) -> PhotoTable:
    """Every photograph's ware, size and whether it shows a mark, sorted by id."""
    rows = session.execute(
        select(
            Photograph.id,
            Photograph.ware_id,
            Photograph.width,
            Photograph.height,
            Photograph.view,
            Ware.marks,
        )
        .join(Ware, Ware.id == Photograph.ware_id)
        .order_by(Photograph.id)
    ).all()
    columns = list(zip(*rows, strict=True)) if rows else [[]] * 6
    marks = [
        view == PhotoView.MARK or (view == PhotoView.BASE and bool((described or "").strip()))
        for view, described in zip(columns[4], columns[5], strict=True)
    ]
    return PhotoTable(
        np.array(columns[0], dtype=np.int64),
        np.array(columns[1], dtype=np.int64),
        np.array(columns[2], dtype=np.int64),
        np.array(columns[3], dtype=np.int64),
        np.array(marks, dtype=bool),
    )


class Photo(NamedTuple):
    """A photograph to describe: ``key`` names its derivatives (``Photograph.image_key``)."""

    id: int
    key: str


class LocalFeatureSync:
    """Adds, removes, rebuilds and verifies the local-feature and form indexes in one folder
    (``<generation folder>/local``)."""

    def __init__(self, directory: Path, store: ImageStore) -> None:
        self.directory = directory
        self.store = store

    def open(self) -> LocalFeatureIndex:
        """The index, emptied first if it holds another extractor's features."""
        try:
            return LocalFeatureIndex(self.directory, extractor_name())
        except FeatureIndexError:
            return self.fresh()

    def fresh(self) -> LocalFeatureIndex:
        for name in ("codes.faiss", "photos.npy", "meta.json"):
            (self.directory / name).unlink(missing_ok=True)
        return LocalFeatureIndex(self.directory, extractor_name())

    def update(
        self,
        add: Collection[Photo],
        remove: Collection[int],
        known: Mapping[str, PhotoDescription] | None = None,
    ) -> None:
        """Index ``add`` (those not held yet; described by image key in ``known``, or here) and
        drop ``remove``."""
        if self._untouched({photo.id for photo in add}, set(remove)):
            return  # a text-only change: the indexes (large) are not even read
        known = known or {}
        index = self.open()
        index.remove(remove)
        fresh = [photo for photo in add if photo.id not in index]
        if fresh or remove:
            self._add(index, fresh, {sha: found.features for sha, found in known.items()})
            index.save()
        for kind in _THUMB_VECTORS:
            vectors = self._open_vectors(kind)
            vectors.remove(remove)
            held = set(vectors.ids().tolist())
            missing = [photo for photo in add if photo.id not in held]
            if missing or remove:
                stored = {sha: kind.of_description(found) for sha, found in known.items()}
                self._add_vectors(kind, vectors, missing, stored)
                vectors.save()

    def _untouched(self, add: set[int], remove: set[int]) -> bool:
        """Whether all the indexes hold every photograph of ``add`` and none of ``remove``, judged
        from their ids alone (the keypoints and vectors stay on disk)."""
        meta = LocalFeatureIndex.stored_meta(self.directory)
        if meta is None or meta["extractor"] != extractor_name():
            return False
        helds: list[set[int] | None] = [set(np.load(self.directory / "photos.npy").tolist())]
        for kind in _THUMB_VECTORS:
            describer = kind.describer()
            helds.append(held_ids(self.directory / kind.file, describer.name, describer.dim))
        return all(held is not None and not remove & held and add <= held for held in helds)

    def rebuild(
        self, photos: list[Photo], progress: Callable[[int, int], None] | None = None
    ) -> None:
        index = self.fresh()
        self._add(index, photos, {}, progress)
        index.rebuild()
        index.save()
        for kind in _THUMB_VECTORS:
            vectors = self._open_vectors(kind, fresh=True)
            self._add_vectors(kind, vectors, photos, {})
            vectors.rebuild()
            vectors.save()

    def _open_vectors(self, kind: _ThumbVectors, fresh: bool = False) -> VectorIndex:
        path = self.directory / kind.file
        describer = kind.describer()
        if not fresh:
            try:
                return VectorIndex(path, describer.name, describer.dim)
            except ValueError:
                pass  # another describer's vectors: start afresh
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".json").unlink(missing_ok=True)
        return VectorIndex(path, describer.name, describer.dim)

    def _stored_name(self, kind: _ThumbVectors) -> str | None:
        """The describer whose vectors ``kind``'s index holds (None when there is none)."""
        meta = self.directory / f"{kind.file}.json"
        if not meta.exists() or not (self.directory / kind.file).exists():
            return None
        return str(json.loads(meta.read_text(encoding="utf-8"))["embedder"])

    def _add_vectors(
        self,
        kind: _ThumbVectors,
        index: VectorIndex,
        photos: Collection[Photo],
        known: Mapping[str, np.ndarray],
    ) -> None:
        ids, vectors = [], []
        for photo in photos:
            vector = known.get(photo.key)
            if vector is None:
                vector = kind.of_derivative(self.store.derivative_path(photo.key, "thumb"))
            ids.append(photo.id)
            vectors.append(vector)
        if ids:
            index.add(ids, np.stack(vectors))

    def verify(self, expected: Collection[int]) -> tuple[list[int], list[int], str | None]:
        """Photographs missing from the index, photographs it should not hold, and a sentence
        when it holds another extractor's features."""
        meta = LocalFeatureIndex.stored_meta(self.directory)
        if meta is None:
            return sorted(expected), [], None
        if meta["extractor"] != extractor_name():
            return (
                [],
                [],
                (
                    f"the local-feature index holds {meta['extractor']} features but this version "
                    f"extracts {extractor_name()}: run 'potbank index rebuild'"
                ),
            )
        layout = LocalFeatureIndex.outdated_layout(meta)
        if layout is not None:
            return (
                [],
                [],
                (
                    f"the local-feature index is an inverted file of {layout} but this version "
                    f"builds {layout_for(int(meta.get('keypoints', 0)))} for its size: "
                    "run 'potbank index rebuild'"
                ),
            )
        missing, stale = LocalFeatureIndex(self.directory, extractor_name()).verify(expected)
        for kind in _THUMB_VECTORS:
            stored, current = self._stored_name(kind), kind.describer().name
            if stored is not None and stored != current:
                return (
                    [],
                    [],
                    (
                        f"the {kind.what} index holds {stored} vectors but this version "
                        f"describes {current}: run 'potbank index rebuild'"
                    ),
                )
        # A photograph without its form or mark-likeness vector is as good as missing (rebuild
        # mends all).
        for kind in _THUMB_VECTORS:
            described = set(self._open_vectors(kind).ids().tolist())
            missing = sorted(set(missing) | (set(expected) - described))
        return missing, stale, None

    def _add(
        self,
        index: LocalFeatureIndex,
        photos: Collection[Photo],
        known: Mapping[str, LocalFeatures],
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        batch: dict[int, LocalFeatures] = {}
        for done, photo in enumerate(photos, start=1):
            features = known.get(photo.key)
            if features is None:
                path = self.store.derivative_path(photo.key, FEATURE_DERIVATIVE)
                features = features_of_derivative(path)
            batch[photo.id] = features
            if len(batch) >= 512:
                index.add(batch)
                batch = {}
            if progress is not None:
                progress(done, len(photos))
        index.add(batch)
