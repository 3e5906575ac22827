"""The local-feature and form indexes of an instance, kept in step with the catalogue like the
others.

Local features are extracted from each photograph's display derivative, form vectors
(``index.form``) from its thumbnail (``index.photo_description``); both at ingest by the photo
workers and at rebuild here.
Only published wares' photographs are indexed, as for the image index. Both live in
``<generation folder>/local``; ``LocalFeatureSync`` keeps one such folder and is what the index
writer's ``index.local_kind.LocalFeatureKind`` calls; the indexes themselves
(``index.feature_index``, a ``VectorIndex`` of form vectors) know nothing of the catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from functools import partial
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
from index.photo_description import (
    FEATURE_DERIVATIVE,
    PhotoDescription,
    extractor_name,
    features_of_derivative,
    form_describer,
    form_of_derivative,
    global_and_form,
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
    ``embedder``'s vector, local features (as taken and mirrored) and form."""
    vector, form = global_and_form(picture, embedder)
    mirrored = partial(mirrored_query_features, picture)
    return Query(vector, query_features(picture), form, mirrored=mirrored)


def form_path(where: Settings | Path) -> Path:
    return feature_dir(where) / "form.faiss"


def local_stamp(where: Settings | Path) -> tuple[int, int]:
    """Changes whenever the local-feature or the form index is saved."""
    meta = form_path(where).with_name("form.faiss.json")
    form = meta.stat().st_mtime_ns if meta.exists() else 0
    return LocalFeatureIndex.stamp(feature_dir(where)), form


def open_form_index(where: Settings | Path) -> VectorIndex | None:
    """A generation's form vectors, or None when there are none of this describer's."""
    path = form_path(where)
    meta = path.with_name(path.name + ".json")
    if not path.exists() or not meta.exists():
        return None
    form = form_describer()
    try:
        return VectorIndex(path, form.name, form.dim)
    except ValueError:
        return None


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
        forms = self._open_forms()
        forms.remove(remove)
        held = set(forms.ids().tolist())
        missing = [photo for photo in add if photo.id not in held]
        if missing or remove:
            self._add_forms(forms, missing, {sha: found.form for sha, found in known.items()})
            forms.save()

    def _untouched(self, add: set[int], remove: set[int]) -> bool:
        """Whether both indexes hold every photograph of ``add`` and none of ``remove``, judged
        from their ids alone (the keypoints and vectors stay on disk)."""
        meta = LocalFeatureIndex.stored_meta(self.directory)
        if meta is None or meta["extractor"] != extractor_name():
            return False
        form = form_describer()
        for held in (
            set(np.load(self.directory / "photos.npy").tolist()),
            held_ids(self.directory / "form.faiss", form.name, form.dim),
        ):
            if held is None or remove & held or not add <= held:
                return False
        return True

    def rebuild(
        self, photos: list[Photo], progress: Callable[[int, int], None] | None = None
    ) -> None:
        index = self.fresh()
        self._add(index, photos, {}, progress)
        index.rebuild()
        index.save()
        forms = self._open_forms(fresh=True)
        self._add_forms(forms, photos, {})
        forms.rebuild()
        forms.save()

    def _open_forms(self, fresh: bool = False) -> VectorIndex:
        path = self.directory / "form.faiss"
        form = form_describer()
        if not fresh:
            try:
                return VectorIndex(path, form.name, form.dim)
            except ValueError:
                pass  # another describer's vectors: start afresh
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".json").unlink(missing_ok=True)
        return VectorIndex(path, form.name, form.dim)

    def _stored_form_name(self) -> str | None:
        """The describer whose vectors the form index holds (None when there is none)."""
        meta = self.directory / "form.faiss.json"
        if not meta.exists() or not (self.directory / "form.faiss").exists():
            return None
        return str(json.loads(meta.read_text(encoding="utf-8"))["embedder"])

    def _add_forms(
        self, forms: VectorIndex, photos: Collection[Photo], known: Mapping[str, np.ndarray]
    ) -> None:
        ids, vectors = [], []
        for photo in photos:
            vector = known.get(photo.key)
            if vector is None:
                vector = form_of_derivative(self.store.derivative_path(photo.key, "thumb"))
            ids.append(photo.id)
            vectors.append(vector)
        if ids:
            forms.add(ids, np.stack(vectors))

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
        stored_form = self._stored_form_name()
        if stored_form is not None and stored_form != form_describer().name:
            return (
                [],
                [],
                (
                    f"the form index holds {stored_form} vectors but this version describes "
                    f"{form_describer().name}: run 'potbank index rebuild'"
                ),
            )
        # A photograph without its form vector is as good as missing (rebuild mends both).
        formed = set(self._open_forms().ids().tolist())
        missing = sorted(set(missing) | (set(expected) - formed))
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
