"""The whole search-by-photograph pipeline over a list of images, outside any instance: what
``bench/eval_visual.py`` evaluates beside the bare descriptors (``evaluation_pipeline``).

It runs the same stages as the search service (``index.visual_search``) over the same
derivatives ingest keeps: the active built-in descriptor on the 320 px thumbnail, local
features from the 1200 px display image, form from the thumbnail; each image is its own ware.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence

import numpy as np
from PIL import Image

from archive.imaging import DERIVATIVE_SIZES
from index.embedders import builtin_descriptor
from index.feature_index import LocalFeatureIndex
from index.photo_description import (
    decoded,
    describe_photo,
    extractor_name,
    form_describer,
    mark_describer,
)
from index.vectors import VectorIndex
from index.visual_index import photograph_query
from index.visual_search import PhotoTable, VisualSearch


def derivative(image: Image.Image, size: str) -> bytes:
    """The store's derivative of ``image``: longest side at most ``size``'s pixels, JPEG q85."""
    copy = image.convert("RGB")
    copy.thumbnail((DERIVATIVE_SIZES[size],) * 2, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class PipelineSearch:
    """``add`` images (positions 0..n-1), then ``search`` by a photograph: the positions of the
    close matches, best first, followed (so that the evaluation can rank every image) by the
    rest in the order of the global descriptor, which the service would not list."""

    name = "pipeline"

    def __init__(self) -> None:
        self.embedder = builtin_descriptor()
        self._folder = tempfile.TemporaryDirectory(prefix="potbank-eval-")
        self.visual: VisualSearch | None = None
        # Whether the last query was taken for a mark (bench/eval_visual.py counts mistakes).
        self.last_is_mark = False

    def add(self, images: Sequence[Image.Image], marks: Sequence[bool] | None = None) -> None:
        ids = np.arange(1, len(images) + 1, dtype=np.int64)
        vectors = VectorIndex(
            f"{self._folder.name}/vectors.faiss", self.embedder.name, self.embedder.dim
        )
        features = LocalFeatureIndex(f"{self._folder.name}/local", extractor_name())
        forms = VectorIndex(
            f"{self._folder.name}/form.faiss", form_describer().name, form_describer().dim
        )
        likeness = VectorIndex(
            f"{self._folder.name}/marks.faiss", mark_describer().name, mark_describer().dim
        )
        sizes = []
        for photo, image in zip(ids.tolist(), images, strict=True):
            thumb, display = derivative(image, "thumb"), derivative(image, "display")
            vector, described = describe_photo(display, decoded(thumb), self.embedder)
            vectors.add([photo], vector[None, :])
            features.add({photo: described.features})
            forms.add([photo], described.form[None, :])
            likeness.add([photo], described.mark[None, :])
            sizes.append(image.size)
        table = PhotoTable(
            ids,
            ids,
            np.array([w for w, _ in sizes], dtype=np.int64),
            np.array([h for _, h in sizes], dtype=np.int64),
            np.array(marks if marks is not None else [False] * len(images), dtype=bool),
        )
        self.visual = VisualSearch(table, vectors, features, forms, marks=likeness)

    def search(self, image: Image.Image, k: int) -> list[int]:
        assert self.visual is not None, "add images first"
        query = photograph_query(image.convert("RGB"), self.embedder)
        result = self.visual.search(query)
        self.last_is_mark = result.query_is_mark
        close = [hit.photo_id - 1 for hit in result.hits]
        rest = [photo - 1 for photo, _ in self.visual.vectors.search(query.vector, 10_000)]
        return list(dict.fromkeys(close + rest))[:k]


def evaluation_pipeline() -> PipelineSearch:
    """A fresh pipeline for ``bench/eval_visual.py``."""
    return PipelineSearch()
