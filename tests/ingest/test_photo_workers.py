"""Photo worker processes: they store and embed exactly what the ingest process would, hand back
large images without deadlocking on the pipes, and a worker that dies fails its photographs
instead of hanging the ingest."""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence

import numpy as np
import pytest
from PIL import Image

from archive.imaging import ImageRejected, process_image
from archive.processes import ChildProcessFailed
from archive.store import ImageStore
from index.descriptor import VisualDescriptor
from index.photo_description import describe_derivatives
from ingest.photo_workers import ModelInput, PhotoWorkers, prepare_photo
from tests.conftest import make_image_bytes

WAIT = 60  # seconds: a hang fails the test instead of stalling the suite


class MeanColour:
    """A model that must embed in the ingest process (not portable), from the display image."""

    name = "test-mean-colour"
    dim = 3
    derivative = "display"
    min_side = 224
    portable = False

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        means = np.array([np.asarray(i, dtype=np.float32).mean(axis=(0, 1)) for i in images])
        return (means / np.linalg.norm(means, axis=1, keepdims=True)).astype(np.float32)


def test_workers_store_and_embed_what_the_ingest_process_would(tmp_path):
    photos = [make_image_bytes((640, 480), seed=seed) for seed in range(5)]
    descriptor = VisualDescriptor()
    store = ImageStore(tmp_path / "store")
    workers = PhotoWorkers(store, descriptor)
    try:
        futures = [workers.submit(data) for data in [*photos, b"not an image at all"]]
        results = [future.result(timeout=WAIT) for future in futures[:-1]]
        with pytest.raises(ImageRejected, match="not an image"):
            futures[-1].result(timeout=WAIT)
        # The same bytes again: stored before, so nothing to embed.
        again = workers.submit(photos[0]).result(timeout=WAIT)
    finally:
        workers.close()
    store.sync()
    for data, prepared in zip(photos, results, strict=True):
        processed = process_image(data, store.max_pixels)
        wants = ModelInput.of(descriptor)
        local = prepare_photo(ImageStore(tmp_path / "local"), data, wants, descriptor)
        assert prepared.stored.processed is None  # the pixels stayed in the worker
        assert prepared.stored.sha256 == local.stored.sha256
        assert (prepared.stored.width, prepared.stored.height) == (640, 480)
        assert prepared.stored.phash == processed.phash
        assert prepared.vector is not None and local.vector is not None
        np.testing.assert_allclose(prepared.vector, local.vector, atol=1e-6)
        for size in ("display", "thumb"):
            assert store.derivative_path(prepared.stored.sha256, size).is_file()
        # A rebuild describes the stored files: the same keypoints, form and mark likeness, bit
        # for bit.
        display = store.derivative_path(prepared.stored.sha256, "display")
        thumb = store.derivative_path(prepared.stored.sha256, "thumb")
        rebuilt = describe_derivatives(display, thumb)
        assert prepared.features is not None
        assert np.array_equal(prepared.features.features.codes, rebuilt.features.codes)
        assert np.array_equal(prepared.features.features.positions, rebuilt.features.positions)
        assert np.array_equal(prepared.features.form, rebuilt.form)
        assert np.array_equal(prepared.features.mark, rebuilt.mark)
    assert again.stored.already_stored and again.vector is None and again.image is None


def test_large_images_come_back_for_an_in_process_model_without_deadlock(tmp_path):
    """Each reply (a 1200 × 900 display image decoded at half scale, ~0.8 MB pickled) is far
    larger than a pipe's buffer, and the next photograph is sent before it is read."""
    photos = [make_image_bytes((1600, 1200), seed=seed, quality=95) for seed in range(8)]
    workers = PhotoWorkers(ImageStore(tmp_path / "store"), MeanColour())
    try:
        results = [f.result(timeout=WAIT) for f in [workers.submit(p) for p in photos]]
    finally:
        workers.close()
    for prepared in results:
        assert prepared.vector is None and prepared.image is not None
        # Decoded at the smallest scale that keeps the shorter side at 224 px or more.
        assert prepared.image.size == (300, 225)


def test_a_worker_that_dies_fails_its_photographs_and_nothing_hangs(tmp_path):
    workers = PhotoWorkers(ImageStore(tmp_path / "store"), VisualDescriptor(), count=1)
    try:
        first = workers.submit(make_image_bytes(seed=1)).result(timeout=WAIT)
        assert first.vector is not None
        pid = workers._children[0]._process.pid
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        futures = [workers.submit(make_image_bytes(seed=seed)) for seed in range(2, 6)]
        for future in futures:
            with pytest.raises(ChildProcessFailed):
                future.result(timeout=WAIT)
        # Once broken, new photographs fail at once.
        with pytest.raises(ChildProcessFailed):
            workers.submit(make_image_bytes(seed=9)).result(timeout=WAIT)
    finally:
        workers.close()
