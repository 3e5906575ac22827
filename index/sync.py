"""Keep the indexes in step with the catalogue: update, rebuild and verify.

The catalogue is the truth; every index is derived from it and can be dropped at any time.
Changes reach the indexes through the catalogue's change log (``archive.index_log``) and the
instance's one writer (``index.writer``); indexes live in generations (``index.generations``).
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
from archive.index_log import log_position, record_ware_changes
from archive.models import Photograph
from archive.processes import ChildProcess, serve
from archive.settings import Settings
from archive.store import ImageStore
from index.embedders import ImageEmbedder, active_embedder, embedder_for_index
from index.generations import Generation, Generations
from index.kinds import ApplyHints, KindDrift, default_kinds
from index.photo_description import PhotoDescription
from index.text import TextIndex
from index.vectors import VectorIndex
from index.writer import IndexWriter

EMBED_BATCH = 32
# How long a change made by a process that is not the writer waits to be applied by the writer.
APPLY_WAIT_SECONDS = 3.0


def current_generation(settings: Settings) -> Generation:
    """The generation of the instance's indexes that serves now."""
    return Generations(settings.index_dir).current()


def text_index_for(settings: Settings) -> TextIndex:
    """The serving generation's keyword index."""
    return TextIndex(current_generation(settings).path / "text")


def vector_index_for(settings: Settings, embedder: ImageEmbedder) -> VectorIndex:
    """The image index, opened for ``embedder``'s vectors (VectorIndexError if it holds others)."""
    return VectorIndex(vector_path(current_generation(settings).path), embedder.name, embedder.dim)


def vector_path(folder: Path) -> Path:
    """Where a generation keeps its image index."""
    return folder / "vectors.faiss"


def _vector_meta_path(folder: Path) -> Path:
    # VectorIndex keeps its metadata beside the index, under the index's name plus ".json".
    path = vector_path(folder)
    return path.with_name(path.name + ".json")


def _folder(where: Settings | Path) -> Path:
    return where if isinstance(where, Path) else current_generation(where).path


def stored_vector_embedder(where: Settings | Path) -> str | None:
    """The name of the embedder whose vectors the image index holds, if there is an index
    (``where``: the settings, for the serving generation, or a generation folder)."""
    meta = _vector_meta_path(_folder(where))
    if not meta.exists():
        return None
    return str(json.loads(meta.read_text(encoding="utf-8"))["embedder"])


def vector_index_stamp(where: Settings | Path) -> int:
    """Changes whenever the image index file is rewritten (0 when there is none)."""
    meta = _vector_meta_path(_folder(where))
    try:
        return meta.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


class PhotoRef(NamedTuple):
    """A photograph as the image index needs it: ``key`` names its derivatives as shown
    (``Photograph.image_key``: the SHA-256 unless a curator turned or cropped it)."""

    id: int
    key: str
    ware_id: int


def photographs_of(session: Session, ware_ids: Iterable[int] | None) -> list[PhotoRef]:
    """The photographs of these wares (of every ware when None), ware by ware, in order."""
    query = select(Photograph.id, Photograph.image_key, Photograph.ware_id).order_by(
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
    """Differences between the catalogue and each index, by kind (content compared)."""

    kinds: dict[str, KindDrift] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return all(drift.clean for drift in self.kinds.values())

    def lines(self) -> list[str]:
        """Human-readable lines, one per kind of drift found."""
        found = []
        for drift in self.kinds.values():
            found.extend(drift.lines)
            if drift.rebuild_reason:
                found.append(drift.rebuild_reason)
        return found


class IndexSync:
    """Keeps the instance's indexes following the catalogue through its change log.

    Callers record changes in the catalogue (``archive.index_log``); this applies them via the
    instance's one writer (``index.writer.IndexWriter``) and rebuilds and verifies generations.
    """

    def __init__(self, settings: Settings, embedder: ImageEmbedder | None = None) -> None:
        self.settings = settings
        self.store = ImageStore(settings.store_dir, settings.max_image_pixels)
        self._embedder = embedder
        # The ingest pipeline's embedding thread and its main thread may both ask first.
        self._embedder_lock = threading.Lock()
        self._writer: IndexWriter | None = None

    @property
    def active(self) -> ImageEmbedder:
        """The configured embedder: what a rebuild embeds with and verify compares against."""
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder, _ = active_embedder(self.settings)
            return self._embedder

    @property
    def writer(self) -> IndexWriter:
        """This instance's index writer as seen from here (it may or may not hold the lease)."""
        if self._writer is None:
            self._writer = IndexWriter(self.settings.index_dir, default_kinds(self))
        return self._writer

    @property
    def embedder(self) -> ImageEmbedder:
        """The embedder the image index on disk takes new photographs from: the active one, or
        the older built-in descriptor that built it, until the index is rebuilt."""
        return embedder_for_index(self.active, stored_vector_embedder(self.settings))

    def embedder_for(self, folder: Path) -> ImageEmbedder:
        """The embedder whose vectors the image index in a generation folder takes."""
        return embedder_for_index(self.active, stored_vector_embedder(folder))

    def update_wares(
        self,
        session: Session,
        ware_ids: Iterable[int],
        embeddings: Mapping[str, np.ndarray] | None = None,
        new_ids: Collection[int] = (),
        text_writer: BackgroundTextIndex | None = None,
        local_features: Mapping[str, PhotoDescription] | None = None,
        *,
        recorded: bool = False,
        keep_lease: bool = False,
    ) -> bool:
        """Re-index these wares: published ones are (re)added, the rest are removed.

        The change is recorded in the catalogue's change log first (unless the caller did so
        in its own transaction: ``recorded``), then applied by the instance's writer: here, if
        the lease is free (with every other change waiting), else by the process that holds
        it, waited for up to APPLY_WAIT_SECONDS. Returns whether it is applied.

        ``embeddings`` maps SHA-256 to vectors a caller has computed already with this
        embedder; ``new_ids`` are wares just created, which the keyword index cannot hold yet;
        with a ``text_writer`` the keyword index is written by its process while this one goes
        on (``settle`` waits for it). ``keep_lease`` keeps the lease for the next call (a run
        of batches); ``release`` gives it up. ``local_features`` are photographs' local features
        and form vectors by SHA-256, computed by the caller (the rest are described here).
        """
        ids = {int(i) for i in ware_ids}
        if not ids and not recorded:
            return True
        if ids and not recorded:
            _fresh_write(session)
            record_ware_changes(session, ids)
            session.commit()
        hints = ApplyHints(embeddings or {}, set(new_ids), text_writer, local_features or {})
        writer = self.writer
        if writer.hold(session):
            try:
                writer.catch_up(session, hints)
            finally:
                if not keep_lease and text_writer is None:
                    writer.release(session)
            return True
        target = log_position(session).last_seq
        session.commit()
        return writer.wait_applied(session, target, 0 if keep_lease else APPLY_WAIT_SECONDS)

    def catch_up(self, session: Session) -> bool:
        """Apply whatever the log holds that the indexes lack, if the lease is free."""
        return self.update_wares(session, (), recorded=True)

    def release(self, session: Session) -> None:
        """Settle deferred work and give the writer lease up (after ``keep_lease`` calls)."""
        self.writer.release(session)

    def rebuild(
        self, session: Session, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, int]:
        """Build every index into a new generation from the catalogue, replay the changes made
        meanwhile and publish it (the old generation serves until then).

        ``progress(done, total)`` is called as photographs are embedded, the slow part.
        """
        writer = IndexWriter(self.settings.index_dir, default_kinds(self))
        counts = writer.rebuild(session, progress)
        return {
            "wares": counts.get("keyword", 0),
            "photographs": counts.get("vectors", 0),
            **counts,
        }

    def verify(self, session: Session) -> Drift:
        """Compare the catalogue with every index of the serving generation, by content."""
        writer = IndexWriter(self.settings.index_dir, default_kinds(self))
        try:
            return Drift(writer.verify(session))
        finally:
            for kind in writer.kinds:
                kind.close()

    def open_vectors(self, folder: Path) -> VectorIndex:
        """The image index in a generation folder, for the embedder it takes (started afresh
        when it holds another embedder's vectors, which cannot be compared with new ones)."""
        embedder = self.embedder_for(folder)
        if stored_vector_embedder(folder) not in (None, embedder.name):
            return self.fresh_vectors(folder)
        return VectorIndex(vector_path(folder), embedder.name, embedder.dim)

    def fresh_vectors(self, folder: Path) -> VectorIndex:
        """An empty image index for the active embedder in place of whatever the folder held."""
        vector_path(folder).unlink(missing_ok=True)
        _vector_meta_path(folder).unlink(missing_ok=True)
        return VectorIndex(vector_path(folder), self.active.name, self.active.dim)

    def embed_into(
        self,
        vectors: VectorIndex,
        photos: list[PhotoRef],
        known: Mapping[str, np.ndarray] | None = None,
        progress: Callable[[int, int], None] | None = None,
        embedder: ImageEmbedder | None = None,
    ) -> None:
        """Add these photographs' vectors: ``known`` ones as given, the rest embedded from the
        store's derivative."""
        known = known or {}
        embedder = embedder or self.embedder
        ready = [photo for photo in photos if photo.key in known]
        if ready:
            vectors.add(
                np.array([photo.id for photo in ready], dtype=np.int64),
                np.stack([known[photo.key] for photo in ready]),
            )
        rest = [photo for photo in photos if photo.key not in known]
        for start in range(0, len(rest), EMBED_BATCH):
            batch = rest[start : start + EMBED_BATCH]
            embeddings = embedder.embed_images([self._stored_image(p, embedder) for p in batch])
            vectors.add(np.array([photo.id for photo in batch], dtype=np.int64), embeddings)
            if progress is not None:
                progress(len(ready) + start + len(batch), len(photos))

    def _stored_image(self, photo: PhotoRef, embedder: ImageEmbedder) -> Image.Image:
        """The derivative the embedder works from, decoded from the store."""
        path = self.store.derivative_path(photo.key, embedder.derivative)
        return decode_derivative(path, embedder.min_side)


def _fresh_write(session: Session) -> None:
    # A caller's leftover read transaction would make the change rows commit with it.
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.commit()


class BackgroundTextIndex:
    """The keyword index written by a child process, one batch at a time, while the caller goes
    on with the next batch (Whoosh's indexing is pure Python: in a thread it would hold the
    GIL, in a process it runs on the other core).

    ``submit`` waits for the previous batch first, so at most one is in flight; ``wait``
    returns once everything submitted is committed, and raises if the child failed. The child
    dies with its parent (a killed ingest leaves no writer behind to hold the index's lock).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
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
        # Its ingest holds the write lock while it runs: nobody's save waits behind a merge.
        self.text = TextIndex(path, bulk=True)

    def __call__(self, request: tuple[list[dict[str, Any]], set[int], set[int]]) -> None:
        docs, new_ids, remove_ids = request
        self.text.add(docs, new_ids=new_ids, remove_ids=remove_ids)

    def close(self) -> None:
        self.text.close()


if __name__ == "__main__":
    # Imported by name: what it sends back must pickle as this module's classes, not __main__'s.
    from index.sync import _TextWriter as handler

    serve(handler)
