"""Keep the indexes in step with the catalogue: update, rebuild and verify.

The catalogue is the truth; both indexes are derived from it and can be dropped at any time.
"""

from __future__ import annotations

import ctypes
import json
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from archive.models import Photograph, Ware, WareMaker, WareStatus
from archive.settings import Settings
from archive.store import ImageStore
from index.documents import ware_document
from index.embedders import ImageEmbedder, active_embedder
from index.text import TextIndex
from index.vectors import VectorIndex

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


def _is_public(ware: Ware) -> bool:
    return ware.status is WareStatus.PUBLISHED and ware.deleted_at is None


def _load_wares(session: Session, ware_ids: Iterable[int] | None) -> list[Ware]:
    query = select(Ware).options(
        selectinload(Ware.makers).selectinload(WareMaker.maker),
        selectinload(Ware.photographs),
        selectinload(Ware.institution),
        selectinload(Ware.collection),
    )
    if ware_ids is not None:
        query = query.where(Ware.id.in_(list(ware_ids)))
    return list(session.scalars(query.order_by(Ware.id)))


@dataclass
class Drift:
    """Differences between the catalogue and the indexes."""

    missing_text: list[int] = field(default_factory=list)
    stale_text: list[int] = field(default_factory=list)
    missing_photos: list[int] = field(default_factory=list)
    stale_photos: list[int] = field(default_factory=list)
    embedder_mismatch: str | None = None

    @property
    def clean(self) -> bool:
        return not (
            self.missing_text
            or self.stale_text
            or self.missing_photos
            or self.stale_photos
            or self.embedder_mismatch
        )

    def lines(self) -> list[str]:
        """Human-readable lines, one per kind of drift found."""
        found = []
        for label, ids in (
            ("wares missing from the keyword index", self.missing_text),
            ("wares in the keyword index that should not be", self.stale_text),
            ("photographs missing from the image index", self.missing_photos),
            ("photographs in the image index that should not be", self.stale_photos),
        ):
            if ids:
                shown = ", ".join(str(i) for i in ids[:20]) + (" …" if len(ids) > 20 else "")
                found.append(f"{len(ids)} {label}: {shown}")
        if self.embedder_mismatch:
            found.append(self.embedder_mismatch)
        return found


class IndexSync:
    """Brings the keyword and image indexes up to date with catalogue changes."""

    def __init__(self, settings: Settings, embedder: ImageEmbedder | None = None) -> None:
        self.settings = settings
        self.store = ImageStore(settings.store_dir, settings.max_image_pixels)
        self._embedder = embedder

    @property
    def embedder(self) -> ImageEmbedder:
        if self._embedder is None:
            self._embedder, _ = active_embedder(self.settings)
        return self._embedder

    def update_wares(
        self,
        session: Session,
        ware_ids: Iterable[int],
        images: Mapping[str, Image.Image] | None = None,
        new_ids: Collection[int] = (),
        text_writer: BackgroundTextIndex | None = None,
    ) -> None:
        """Re-index these wares: published ones are (re)added, the rest are removed.

        ``images`` maps SHA-256 to display images a caller has decoded already (the ingest
        pipeline), so those photographs are not read back from the store and decoded again.
        ``new_ids`` are wares just created, which the keyword index cannot hold yet. With a
        ``text_writer`` the keyword index is written by its process while this one goes on
        (call its ``wait`` before relying on it).
        """
        ids = set(ware_ids)
        if not ids:
            return
        wares = _load_wares(session, ids)
        public = [ware for ware in wares if _is_public(ware)]
        hidden_ids = ids - {ware.id for ware in public}
        docs = [ware_document(ware) for ware in public]
        if text_writer is not None:
            text_writer.submit(docs, set(new_ids), hidden_ids)
        else:
            text = text_index_for(self.settings)
            text.add(docs, new_ids=set(new_ids), remove_ids=hidden_ids)
            text.close()
        vectors = self._open_vectors()
        hidden_photo_ids = [p.id for w in wares if not _is_public(w) for p in w.photographs]
        vectors.remove(hidden_photo_ids)
        present = set(vectors.ids().tolist())
        fresh = [p for w in public for p in w.photographs if p.id not in present]
        self._embed_into(vectors, fresh, images or {})
        vectors.save()

    def rebuild(
        self, session: Session, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, int]:
        """Drop both indexes and build them again from the catalogue.

        ``progress(done, total)`` is called as photographs are embedded, the slow part.
        """
        wares = [ware for ware in _load_wares(session, None) if _is_public(ware)]
        text = text_index_for(self.settings)
        text.remove(text.ids())
        text.add([ware_document(ware) for ware in wares])
        text.close()
        vectors = fresh_vector_index(self.settings, self.embedder)
        photos = [photo for ware in wares for photo in ware.photographs]
        self._embed_into(vectors, photos, progress=progress)
        # Chooses exact or approximate search for the final size.
        vectors.rebuild()
        vectors.save()
        return {"wares": len(wares), "photographs": len(photos)}

    def verify(self, session: Session) -> Drift:
        """Compare the catalogue with both indexes."""
        wares = [ware for ware in _load_wares(session, None) if _is_public(ware)]
        expected_wares = {ware.id for ware in wares}
        expected_photos = {photo.id for ware in wares for photo in ware.photographs}
        text = text_index_for(self.settings)
        indexed_wares = set(text.ids())
        text.close()
        stored_embedder = stored_vector_embedder(self.settings)
        indexed_photos: set[int] = set()
        if stored_embedder == self.embedder.name:
            indexed_photos = set(vector_index_for(self.settings, self.embedder).ids().tolist())
        drift = Drift(
            missing_text=sorted(expected_wares - indexed_wares),
            stale_text=sorted(indexed_wares - expected_wares),
            missing_photos=sorted(expected_photos - indexed_photos),
            stale_photos=sorted(indexed_photos - expected_photos),
        )
        if stored_embedder is not None and stored_embedder != self.embedder.name:
            drift.embedder_mismatch = (
                f"the image index was built with {stored_embedder} but the active "
                f"embedder is {self.embedder.name}: run 'potbank index rebuild'"
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
        photos: list[Photograph],
        decoded: Mapping[str, Image.Image] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        decoded = decoded or {}
        for start in range(0, len(photos), EMBED_BATCH):
            batch = photos[start : start + EMBED_BATCH]
            images = [
                decoded[photo.sha256] if photo.sha256 in decoded else self._display_image(photo)
                for photo in batch
            ]
            embeddings = self.embedder.embed_images(images)
            vectors.add(np.array([photo.id for photo in batch], dtype=np.int64), embeddings)
            if progress is not None:
                progress(start + len(batch), len(photos))

    def _display_image(self, photo: Photograph) -> Image.Image:
        with Image.open(self.store.derivative_path(photo.sha256, "display")) as image:
            return image.convert("RGB")


class BackgroundTextIndex:
    """The keyword index written by a child process, one batch at a time, while the caller goes
    on with the next batch (Whoosh's indexing is pure Python: in a thread it would hold the
    GIL, in a process it runs on the other core).

    ``submit`` waits for the previous batch first, so at most one is in flight; ``wait``
    returns once everything submitted is committed, and raises if the child failed. The child
    dies with its parent (a killed ingest leaves no writer behind to hold the index's lock).
    It is a plain ``python -m index.sync`` process, so the caller's main module is never
    imported again (as multiprocessing's spawn would).
    """

    def __init__(self, path: Path) -> None:
        root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        # Our own interpreter and module; the path is the caller's index folder.
        self._process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "index.sync", str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=root,
        )
        self._busy = False

    def submit(self, docs: list[dict[str, Any]], new_ids: set[int], remove_ids: set[int]) -> None:
        self.wait()
        assert self._process.stdin is not None
        try:
            pickle.dump((docs, new_ids, remove_ids), self._process.stdin, protocol=5)
            self._process.stdin.flush()
        except BrokenPipeError as error:
            raise RuntimeError("the keyword index process ended unexpectedly") from error
        self._busy = True

    def wait(self) -> None:
        if not self._busy:
            return
        self._busy = False
        assert self._process.stdout is not None
        try:
            outcome = pickle.load(self._process.stdout)  # noqa: S301 - our own child's reply
        except EOFError:
            outcome = "the keyword index process ended unexpectedly"
        if outcome is not None:
            raise RuntimeError(f"keyword index update failed: {outcome}")

    def close(self) -> None:
        """Wait for the last batch and end the process."""
        try:
            self.wait()
        finally:
            assert self._process.stdin is not None and self._process.stdout is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process.stdout.close()


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the child still ends when its input closes, after its current batch


def _text_worker(path: str) -> None:
    _die_with_parent()
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but replies on the pipe
    text = TextIndex(path)
    while True:
        try:
            docs, new_ids, remove_ids = pickle.load(requests)  # noqa: S301 - from our parent
        except EOFError:
            break
        try:
            text.add(docs, new_ids=new_ids, remove_ids=remove_ids)
        except Exception as error:  # reported to the parent, which raises it
            outcome: str | None = f"{type(error).__name__}: {error}"
        else:
            outcome = None
        pickle.dump(outcome, replies, protocol=5)
        replies.flush()
    text.close()


if __name__ == "__main__":
    _text_worker(sys.argv[1])
