"""Photographs made ready for the catalogue: validated, stored, and embedded where that is cheap.

A few photographs are prepared in threads of the ingest process. A full batch goes to worker
processes (``PhotoWorkers``): decoding and resizing in threads would share one interpreter lock
with the catalogue writes and the embedding model, and on two cores they then take turns instead
of running side by side. A worker that holds a copy of a portable embedder (the built-in
descriptor) embeds each photograph it decodes; otherwise it hands back the derivative the
embedder works from, and the ingest process embeds those in batches.
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from archive.imaging import decode_derivative
from archive.processes import ChildProcess, ChildProcessFailed, serve
from archive.store import ImageStore, StoredImage
from index.embedders import ImageEmbedder
from index.photo_description import FEATURE_DERIVATIVE, PhotoDescription, describe_photo


@dataclass(frozen=True)
class PreparedPhoto:
    """A stored photograph with its vector, or with the image to compute it from, and its
    local features and form.

    All are None when the same bytes were stored before: that photograph is in the catalogue
    already, and the index update finds (or makes) its vector and features.
    """

    stored: StoredImage
    vector: np.ndarray | None = None
    image: Image.Image | None = None
    features: PhotoDescription | None = None


@dataclass(frozen=True)
class ModelInput:
    """What an embedder works from: one derivative, decoded no smaller than ``min_side``."""

    derivative: str
    min_side: int

    @classmethod
    def of(cls, embedder: ImageEmbedder) -> ModelInput:
        return cls(embedder.derivative, embedder.min_side)


def prepare_photo(
    store: ImageStore, data: bytes, wants: ModelInput, embedder: ImageEmbedder | None = None
) -> PreparedPhoto:
    """Store ``data`` (raises ImageRejected for what is not an acceptable image) and embed it
    with ``embedder`` if given, else keep the image it ``wants`` for the caller to embed.

    The files are written but not yet flushed: call ``store.sync()`` before the catalogue
    refers to them."""
    stored = store.put(data, durable=False)
    assert stored.processed is not None
    if stored.already_stored:
        return PreparedPhoto(stored)
    derivatives = stored.processed.derivatives
    # The thumbnail is decoded once: the form is made from it, and so is the vector of an
    # embedder that works from it (the built-in descriptor).
    thumb = decode_derivative(derivatives["thumb"])
    image = (
        thumb
        if wants == ModelInput("thumb", 0)
        else decode_derivative(derivatives[wants.derivative], wants.min_side)
    )
    vector, features = describe_photo(
        derivatives[FEATURE_DERIVATIVE], thumb, embedder if image is thumb else None
    )
    if embedder is None:
        return PreparedPhoto(stored, image=image, features=features)
    if vector is None:
        vector = embedder.embed_images([image])[0]
    return PreparedPhoto(stored, vector=vector, features=features)


class _Worker:
    """A worker process's side: prepares each photograph it is sent (see ``serve``)."""

    def __init__(self, setup: tuple[Path, int, ModelInput, ImageEmbedder | None]) -> None:
        root, max_pixels, self.wants, self.embedder = setup
        # One worker runs per core: OpenCV's own threads (ORB, resampling) would only contend
        # with the other workers for the same cores (measured: about 2 ms a photograph).
        cv2.setNumThreads(1)
        self.store = ImageStore(root, max_pixels)

    def __call__(self, data: bytes) -> PreparedPhoto:
        prepared = prepare_photo(self.store, data, self.wants, self.embedder)
        # The derivatives are on disk already: only what the catalogue records travels back.
        return replace(prepared, stored=replace(prepared.stored, processed=None))


Job = tuple[bytes, Future[PreparedPhoto]]


class PhotoWorkers:
    """Worker processes, one per core, preparing photographs for ``store``.

    Each worker is driven by a thread here that keeps two photographs in flight, so that it
    never waits on this (busy) process between one photograph and the next. A worker that dies
    fails every photograph not yet done: that is a sign of something badly wrong (memory, a
    crash in a decoder), and the ingest stops with the error rather than lean on the others.
    """

    IN_FLIGHT = 2

    def __init__(self, store: ImageStore, embedder: ImageEmbedder, count: int = 0) -> None:
        setup = (
            store.root,
            store.max_pixels,
            ModelInput.of(embedder),
            embedder if embedder.portable else None,
        )
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._broken: Exception | None = None
        self._children = [
            ChildProcess("ingest.photo_workers", setup, label=str(store.root))
            for _ in range(count or os.cpu_count() or 2)
        ]
        self._threads = [
            threading.Thread(target=self._drive, args=(child,), daemon=True)
            for child in self._children
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, data: bytes) -> Future[PreparedPhoto]:
        future: Future[PreparedPhoto] = Future()
        if self._broken is not None:
            future.set_exception(self._broken)
        else:
            self._jobs.put((data, future))
        return future

    def close(self) -> None:
        """Cancel what no worker has started, let them finish the rest, and end them."""
        for job in self._take_waiting():
            job[1].cancel()
        for _ in self._children:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()

    def _take_waiting(self) -> list[Job]:
        """Empty the queue of jobs no worker has started (end-of-work markers stay)."""
        jobs, stops = [], 0
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                stops += 1
            else:
                jobs.append(job)
        for _ in range(stops):
            self._jobs.put(None)
        return jobs

    def _drive(self, child: ChildProcess) -> None:
        in_flight: deque[Future[PreparedPhoto]] = deque()
        stopping = False
        try:
            while True:
                while not stopping and len(in_flight) < self.IN_FLIGHT:
                    try:
                        # Wait for work only when the worker has none.
                        job = self._jobs.get(block=not in_flight)
                    except queue.Empty:
                        break
                    if job is None:
                        stopping = True
                    elif job[1].set_running_or_notify_cancel():
                        in_flight.append(job[1])
                        child.send(job[0])
                if not in_flight:
                    if stopping:
                        break
                    continue
                future = in_flight.popleft()
                try:
                    future.set_result(child.receive())
                except ChildProcessFailed:
                    in_flight.appendleft(future)
                    raise
                except Exception as error:  # the photograph's own failure, for its row
                    future.set_exception(error)
        except ChildProcessFailed as error:
            self._broken = error
            for future in in_flight:
                future.set_exception(error)
            for job in self._take_waiting():
                job[1].set_exception(error)
        finally:
            child.close()


if __name__ == "__main__":
    # Imported by name: what it sends back must pickle as this module's classes, not __main__'s.
    from ingest.photo_workers import _Worker as handler

    serve(handler)
