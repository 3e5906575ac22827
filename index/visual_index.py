"""The local-feature index of an instance, kept in step with the catalogue like the others.

Features are extracted from each photograph's display derivative (at ingest by the photo
workers, at rebuild here), and only published wares' photographs are indexed, as for the image
index. ``LocalFeatureSync`` is what ``index.sync.IndexSync`` calls; the index itself
(``index.feature_index``) knows nothing of the catalogue.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Photograph, PhotoView, Ware
from archive.settings import Settings
from archive.store import ImageStore
from index.feature_index import FeatureIndexError, LocalFeatureIndex
from index.local_features import LocalFeatureExtractor, LocalFeatures
from index.visual_search import PhotoTable

# The derivative features are extracted from (1200 px): a sherd is a small part of it.
FEATURE_DERIVATIVE = "display"
# A query photograph gives more keypoints than a stored one keeps: a sherd's few keypoints
# must all get their chance to match.
QUERY_KEYPOINTS = 600

_local = threading.local()


def extractor() -> LocalFeatureExtractor:
    """This thread's extractor (OpenCV's detectors must not be shared between threads)."""
    found = getattr(_local, "extractor", None)
    if found is None:
        found = _local.extractor = LocalFeatureExtractor()
    return found


def extractor_name() -> str:
    return extractor().name


def features_of_derivative(data: bytes | Path) -> LocalFeatures:
    """Local features of a display derivative, from its JPEG bytes or its file."""
    with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
        return extractor().extract(image)


def query_features(image: Image.Image) -> LocalFeatures:
    """Local features of an uploaded photograph."""
    return extractor().extract(image, QUERY_KEYPOINTS)


def feature_dir(settings: Settings) -> Path:
    return settings.index_dir / "local"


def open_feature_index(settings: Settings, *, mmap: bool = False) -> LocalFeatureIndex | None:
    """The instance's local-feature index, or None when there is none of this extractor's."""
    meta = LocalFeatureIndex.stored_meta(feature_dir(settings))
    if meta is None or meta["extractor"] != extractor_name():
        return None
    return LocalFeatureIndex(feature_dir(settings), extractor_name(), mmap=mmap)


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
    id: int
    sha256: str


class LocalFeatureSync:
    """Adds, removes, rebuilds and verifies the local-feature index of an instance."""

    def __init__(self, settings: Settings, store: ImageStore) -> None:
        self.directory = feature_dir(settings)
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
        known: Mapping[str, LocalFeatures] | None = None,
    ) -> None:
        """Index ``add`` (those not held yet; features by SHA-256 from ``known`` or extracted
        here) and drop ``remove``."""
        index = self.open()
        index.remove(remove)
        fresh = [photo for photo in add if photo.id not in index]
        if not fresh and not remove:
            return
        self._add(index, fresh, known or {})
        index.save()

    def rebuild(
        self, photos: list[Photo], progress: Callable[[int, int], None] | None = None
    ) -> None:
        index = self.fresh()
        self._add(index, photos, {}, progress)
        index.rebuild()
        index.save()

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
        missing, stale = LocalFeatureIndex(self.directory, extractor_name()).verify(expected)
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
            features = known.get(photo.sha256)
            if features is None:
                path = self.store.derivative_path(photo.sha256, FEATURE_DERIVATIVE)
                features = features_of_derivative(path)
            batch[photo.id] = features
            if len(batch) >= 512:
                index.add(batch)
                batch = {}
            if progress is not None:
                progress(done, len(photos))
        index.add(batch)
