"""Keep the indexes in step with the catalogue: update, rebuild and verify.

The catalogue is the truth; both indexes are derived from it and can be dropped at any time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db import in_chunks
from archive.imaging import decode_derivative
from archive.models import Photograph
from archive.processes import ChildProcess, serve
from archive.settings import Settings
from archive.store import ImageStore
from index.documents import public_wares, ware_documents
from index.embedders import ImageEmbedder, active_embedder, embedder_for_index
from index.text import TextIndex
from index.vectors import VectorIndex
from index.visual_index import LocalFeatureSync, Photo, PhotoDescription

EMBED_BATCH = 32


def text_index_for(settings: Settings) -> TextIndex:
    return TextIndex(settings.index_dir / "text")


def vector_index_for(settings: Settings, embedder: ImageEmbedder) -> VectorIndex:
    """The image index, opened for ``embedder``'s vectors (VectorIndexError if it holds others)."""
    return VectorIndex(_vector_path(settings), embedder.name, embedder.dim)


def fresh_vector_index(settings: Settings, embedder: ImageEmbedder) -> VectorIndex:
    """An empty image index for ``embedder`` in place of whatever was there."""
    path = _vector_path(settings)
    path.unlink(missing_ok=True)
    _vector_meta_path(settings).unlink(missing_ok=True)
    return VectorIndex(path, embedder.name, embedder.dim)


def stored_vector_embedder(settings: Settings) -> str | None:
    """The name of the embedder whose vectors the image index holds, if there is an index."""
    meta = _vector_meta_path(settings)
    if not meta.exists():
        return None
    return str(json.loads(meta.read_text(encoding="utf-8"))["embedder"])


def vector_index_stamp(settings: Settings) -> int:
    """Changes whenever the image index file is rewritten (0 when there is none)."""
    meta = _vector_meta_path(settings)
    return meta.stat().st_mtime_ns if meta.exists() else 0


def _vector_path(settings: Settings) -> Path:
    return settings.index_dir / "vectors.faiss"


def _vector_meta_path(settings: Settings) -> Path:
    # VectorIndex keeps its metadata beside the index, under the index's name plus ".json".
    path = _vector_path(settings)
    return path.with_name(path.name + ".json")


class PhotoRef(NamedTuple):
    """A photograph as the image index needs it."""

    id: int
    sha256: str
    ware_id: int


def _photographs(session: Session, ware_ids: Iterable[int] | None) -> list[PhotoRef]:
    """The photographs of these wares (of every ware when None), ware by ware, in order."""
    query = select(Photograph.id, Photograph.sha256, Photograph.ware_id).order_by(
        Photograph.ware_id, Photograph.position, Photograph.id
    )
    if ware_ids is None:
        return [PhotoRef(*row) for row in session.execute(query)]
    found: list[PhotoRef] = []
    for chunk in in_chunks(sorted(ware_ids)):
        found.extend(
            PhotoRef(*row) for row in session.execute(query.where(Photograph.ware_id.in_(chunk)))
        )
    return found


@dataclass
class Drift:
    """Differences between the catalogue and the indexes."""

    missing_text: list[int] = field(default_factory=list)
    stale_text: list[int] = field(default_factory=list)
    missing_photos: list[int] = field(default_factory=list)
    stale_photos: list[int] = field(default_factory=list)
    embedder_mismatch: str | None = None
    missing_local: list[int] = field(default_factory=list)
    stale_local: list[int] = field(default_factory=list)
    local_mismatch: str | None = None

    @property
    def clean(self) -> bool:
        return not (
            self.missing_text
            or self.stale_text
            or self.missing_photos
            or self.stale_photos
            or self.embedder_mismatch
            or self.missing_local
            or self.stale_local
            or self.local_mismatch
        )

    def lines(self) -> list[str]:
        """Human-readable lines, one per kind of drift found."""
        found = []
        for label, ids in (
            ("wares missing from the keyword index", self.missing_text),
            ("wares in the keyword index that should not be", self.stale_text),
            ("photographs missing from the image index", self.missing_photos),
            ("photographs in the image index that should not be", self.stale_photos),
            ("photographs missing from the local-feature index", self.missing_local),
            ("photographs in the local-feature index that should not be", self.stale_local),
        ):
            if ids:
                shown = ", ".join(str(i) for i in ids[:20]) + (" …" if len(ids) > 20 else "")
                found.append(f"{len(ids)} {label}: {shown}")
        found.extend(line for line in (self.embedder_mismatch, self.local_mismatch) if line)
        return found


class IndexSync:
    """Brings the keyword and image indexes up to date with catalogue changes."""

    def __init__(self, settings: Settings, embedder: ImageEmbedder | None = None) -> None:
        self.settings = settings
        self.store = ImageStore(settings.store_dir, settings.max_image_pixels)
        self._embedder = embedder
        # The ingest pipeline's embedding thread and its main thread may both ask first.
        self._embedder_lock = threading.Lock()
        self.local = LocalFeatureSync(settings, self.store)

    @property
    def active(self) -> ImageEmbedder:
        """The configured embedder: what a rebuild embeds with and verify compares against."""
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder, _ = active_embedder(self.settings)
            return self._embedder

    @property
    def embedder(self) -> ImageEmbedder:
        """The embedder the image index on disk takes new photographs from: the active one, or
        the older built-in descriptor that built it, until the index is rebuilt."""
        return embedder_for_index(self.active, stored_vector_embedder(self.settings))

    def update_wares(
        self,
        session: Session,
        ware_ids: Iterable[int],
        embeddings: Mapping[str, np.ndarray] | None = None,
        new_ids: Collection[int] = (),
        text_writer: BackgroundTextIndex | None = None,
        local_features: Mapping[str, PhotoDescription] | None = None,
    ) -> None:
        """Re-index these wares: published ones are (re)added, the rest are removed.

        ``embeddings`` maps SHA-256 to vectors a caller has computed already with this
        embedder (the ingest pipeline, from the images it decoded); other photographs are read
        back from the store and embedded here.
        ``new_ids`` are wares just created, which the keyword index cannot hold yet. With a
        ``text_writer`` the keyword index is written by its process while this one goes on
        (call its ``wait`` before relying on it). ``local_features`` are photographs' local
        features and form vectors by SHA-256, computed by the caller (the rest are here).
        """
        ids = set(ware_ids)
        if not ids:
            return
        docs = ware_documents(session, ids)
        public_ids = {doc["id"] for doc in docs}
        hidden_ids = ids - public_ids
        if text_writer is not None:
            text_writer.submit(docs, set(new_ids), hidden_ids)
        else:
            text = text_index_for(self.settings)
            text.add(docs, new_ids=set(new_ids), remove_ids=hidden_ids)
            text.close()
        vectors = self._open_vectors()
        photos = _photographs(session, ids)
        vectors.remove([photo.id for photo in photos if photo.ware_id in hidden_ids])
        present = set(vectors.ids().tolist())
        fresh = [p for p in photos if p.ware_id in public_ids and p.id not in present]
        self._embed_into(vectors, fresh, embeddings or {})
        vectors.save()
        self.local.update(
            [Photo(p.id, p.sha256) for p in photos if p.ware_id in public_ids],
            [p.id for p in photos if p.ware_id in hidden_ids],
            local_features,
        )

    def rebuild(
        self, session: Session, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, int]:
        """Drop both indexes and build them again from the catalogue.

        ``progress(done, total)`` is called as photographs are embedded, the slow part.
        """
        docs = ware_documents(session)
        public_ids = {doc["id"] for doc in docs}
        text = text_index_for(self.settings)
        text.remove(text.ids())
        text.add(docs)
        text.close()
        vectors = fresh_vector_index(self.settings, self.active)
        photos = [p for p in _photographs(session, None) if p.ware_id in public_ids]
        self._embed_into(vectors, photos, progress=progress, embedder=self.active)
        # Chooses exact or approximate search for the final size.
        vectors.rebuild()
        vectors.save()
        self.local.rebuild([Photo(p.id, p.sha256) for p in photos])
        return {"wares": len(docs), "photographs": len(photos)}

    def verify(self, session: Session) -> Drift:
        """Compare the catalogue with both indexes."""
        expected_wares = set(session.scalars(public_wares()))
        expected_photos = {p.id for p in _photographs(session, None) if p.ware_id in expected_wares}
        text = text_index_for(self.settings)
        indexed_wares = set(text.ids())
        text.close()
        stored_embedder = stored_vector_embedder(self.settings)
        indexed_photos: set[int] = set()
        if stored_embedder == self.embedder.name:
            # The active embedder's index, or an older built-in descriptor's that still answers.
            indexed_photos = set(vector_index_for(self.settings, self.embedder).ids().tolist())
        drift = Drift(
            missing_text=sorted(expected_wares - indexed_wares),
            stale_text=sorted(indexed_wares - expected_wares),
            missing_photos=sorted(expected_photos - indexed_photos),
            stale_photos=sorted(indexed_photos - expected_photos),
        )
        drift.missing_local, drift.stale_local, drift.local_mismatch = self.local.verify(
            expected_photos
        )
        if stored_embedder is not None and stored_embedder != self.active.name:
            drift.embedder_mismatch = (
                f"the image index was built with {stored_embedder} but the active "
                f"embedder is {self.active.name}: run 'potbank index rebuild'"
            )
        return drift

    def _open_vectors(self) -> VectorIndex:
        if stored_vector_embedder(self.settings) not in (None, self.embedder.name):
            # Another embedder's vectors cannot be compared with new ones: start afresh.
            return fresh_vector_index(self.settings, self.embedder)
        return vector_index_for(self.settings, self.embedder)

    def _embed_into(
        self,
        vectors: VectorIndex,
        photos: list[PhotoRef],
        known: Mapping[str, np.ndarray] | None = None,
        progress: Callable[[int, int], None] | None = None,
        embedder: ImageEmbedder | None = None,
    ) -> None:
        known = known or {}
        embedder = embedder or self.embedder
        ready = [photo for photo in photos if photo.sha256 in known]
        if ready:
            vectors.add(
                np.array([photo.id for photo in ready], dtype=np.int64),
                np.stack([known[photo.sha256] for photo in ready]),
            )
        rest = [photo for photo in photos if photo.sha256 not in known]
        for start in range(0, len(rest), EMBED_BATCH):
            batch = rest[start : start + EMBED_BATCH]
            embeddings = embedder.embed_images([self._stored_image(p, embedder) for p in batch])
            vectors.add(np.array([photo.id for photo in batch], dtype=np.int64), embeddings)
            if progress is not None:
                progress(len(ready) + start + len(batch), len(photos))

    def _stored_image(self, photo: PhotoRef, embedder: ImageEmbedder) -> Image.Image:
        """The derivative the embedder works from, decoded from the store."""
        path = self.store.derivative_path(photo.sha256, embedder.derivative)
        return decode_derivative(path, embedder.min_side)


class BackgroundTextIndex:
    """The keyword index written by a child process, one batch at a time, while the caller goes
    on with the next batch (Whoosh's indexing is pure Python: in a thread it would hold the
    GIL, in a process it runs on the other core).

    ``submit`` waits for the previous batch first, so at most one is in flight; ``wait``
    returns once everything submitted is committed, and raises if the child failed. The child
    dies with its parent (a killed ingest leaves no writer behind to hold the index's lock).
    """

    def __init__(self, path: Path) -> None:
        self._child = ChildProcess("index.sync", str(path), label=str(path))
        self._busy = False

    def submit(self, docs: list[dict[str, Any]], new_ids: set[int], remove_ids: set[int]) -> None:
        self.wait()
        self._child.send((docs, new_ids, remove_ids))
        self._busy = True

    def wait(self) -> None:
        if not self._busy:
            return
        self._busy = False
        try:
            self._child.receive()
        except Exception as error:
            raise RuntimeError(f"keyword index update failed: {error}") from error

    def close(self) -> None:
        """Wait for the last batch and end the process."""
        try:
            self.wait()
        finally:
            self._child.close()


class _TextWriter:
    """The child's side of BackgroundTextIndex: one Whoosh commit per batch it is sent."""

    def __init__(self, path: str) -> None:
        self.text = TextIndex(path)

    def __call__(self, request: tuple[list[dict[str, Any]], set[int], set[int]]) -> None:
        docs, new_ids, remove_ids = request
        self.text.add(docs, new_ids=new_ids, remove_ids=remove_ids)

    def close(self) -> None:
        self.text.close()


if __name__ == "__main__":
    # Imported by name: what it sends back must pickle as this module's classes, not __main__'s.
    from index.sync import _TextWriter as handler

    serve(handler)
