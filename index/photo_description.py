"""What is computed from each photograph for the visual indexes: its local features, its form,
its mark likeness and (for the built-in descriptor) its global vector, from one decode of its
thumbnail.

The photo workers of an ingest run these on every core, and rebuilds and queries run the same
functions, so a photograph is described alike wherever it is. The module imports no database or
index code: a worker process starts in a fraction of the time (``index.visual_index`` keeps the
indexes themselves).
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageOps

from index.descriptor_v2 import VisualDescriptorV2, describe, load_rgb
from index.embedders import ImageEmbedder
from index.form import FormDescriptor, form_of
from index.local_features import LocalFeatureExtractor, LocalFeatures
from index.mark_likeness import MarkDescriber, mark_features

# The derivative features are extracted from (1200 px): a sherd is a small part of it.
FEATURE_DERIVATIVE = "display"
# A query photograph gives more keypoints than a stored one keeps: a sherd's few keypoints
# must all get their chance to match.
QUERY_KEYPOINTS = 600
# A query photograph smaller than this (longer side, pixels) is enlarged before its keypoints
# are found: a 1/8-size photograph (125 px) otherwise gives a handful (see local_features._grey).
QUERY_MIN_SIDE = 320

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
    return extractor().extract(image, QUERY_KEYPOINTS, QUERY_MIN_SIDE)


def mirrored_query_features(image: Image.Image) -> LocalFeatures:
    """Local features of an uploaded photograph mirrored left to right, in the mirrored
    image's coordinates: ORB's descriptors are not mirror-invariant, so a selfie camera's
    photograph, a reversed transparency or a print from a reversed plate shares keypoints with
    its ware only once turned back (which way it was taken is not known, so both are tried)."""
    return query_features(ImageOps.mirror(image))


def form_describer() -> FormDescriptor:
    """This thread's form describer (segmentation runs OpenCV, one per thread as above)."""
    found = getattr(_local, "form", None)
    if found is None:
        found = _local.form = FormDescriptor()
    return found


def mark_describer() -> MarkDescriber:
    """The mark-likeness describer (stateless: one is as good as another)."""
    return MarkDescriber()


def mark_of_derivative(data: bytes | Path) -> np.ndarray:
    """The mark-likeness vector of a thumbnail derivative, from its JPEG bytes or its file."""
    return mark_features(decoded(data))


def form_of_derivative(data: bytes | Path) -> np.ndarray:
    """The form vector of a thumbnail derivative, from its JPEG bytes or its file."""
    return global_and_form(decoded(data), None)[1]


def decoded(data: bytes | Path) -> Image.Image:
    """A derivative's RGB pixels, from its JPEG bytes or its file."""
    with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
        return image.convert("RGB")


def global_and_form(
    picture: Image.Image, embedder: ImageEmbedder | None
) -> tuple[np.ndarray | None, np.ndarray]:
    """``embedder``'s vector (None without one) and the form vector of one decoded picture
    (each segments the object on its own picture of it: see ``index.form.form_of``)."""
    if isinstance(embedder, VisualDescriptorV2):
        vector: np.ndarray | None = describe(load_rgb(picture))
    else:
        vector = embedder.embed_images([picture])[0] if embedder is not None else None
    return vector, form_of(picture)


class PhotoDescription(NamedTuple):
    """What the local-feature, form and mark-likeness indexes keep of one photograph."""

    features: LocalFeatures
    form: np.ndarray
    mark: np.ndarray


def describe_derivatives(display: bytes | Path, thumb: bytes | Path) -> PhotoDescription:
    """A stored photograph's local features (display derivative) and form (thumbnail)."""
    return describe_photo(display, decoded(thumb), None)[1]


def describe_photo(
    display: bytes | Path, thumb: Image.Image, embedder: ImageEmbedder | None
) -> tuple[np.ndarray | None, PhotoDescription]:
    """A stored photograph's ``embedder`` vector (of ``thumb``, its decoded thumbnail; None
    without an embedder), local features (display derivative), form and mark likeness
    (``thumb``)."""
    vector, form = global_and_form(thumb, embedder)
    return vector, PhotoDescription(features_of_derivative(display), form, mark_features(thumb))
