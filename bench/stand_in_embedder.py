"""A stand-in for the embedding model, for measuring the ingest pipeline's own work.

A module of its own, not part of bench_ingest.py: photo worker processes unpickle it, and a
class defined in a script run as __main__ could not be found there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image


class NoEmbedder:
    """Returns a constant vector: the pipeline's cost without any model's."""

    name = "none"
    dim = 8
    derivative = "thumb"
    min_side = 0
    # Portable like the built-in descriptor, so the pipeline takes the default model's path
    # (photo worker processes); bench_ingest puts bench/ on the workers' import path.
    portable = True

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        vectors = np.zeros((len(images), self.dim), dtype=np.float32)
        vectors[:, 0] = 1.0
        return vectors
