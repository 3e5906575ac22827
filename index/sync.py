"""Keep the indexes in step with the catalogue: update, rebuild and verify.

The catalogue is the truth; both indexes are derived from it and can be dropped at any time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from archive.models import Photograph, Ware, WareMaker, WareStatus
from archive.settings import Settings
from archive.store import ImageStore
from index.documents import ware_document
from index.embedders import Embedder, embedder_for
from index.text import TextIndex
from index.vectors import VectorIndex

EMBED_BATCH = 32


def text_index_for(settings: Settings) -> TextIndex:
    return TextIndex(settings.index_dir / "text")


def vector_index_for(settings: Settings) -> VectorIndex:
    return VectorIndex(settings.index_dir / "vectors")


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

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store = ImageStore(settings.store_dir, settings.max_image_pixels)
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = embedder_for(self.settings)
        return self._embedder

    def update_wares(self, session: Session, ware_ids: Iterable[int]) -> None:
        """Re-index these wares: published ones are (re)added, the rest are removed."""
        ids = set(ware_ids)
        if not ids:
            return
        wares = _load_wares(session, ids)
        text = text_index_for(self.settings)
        public = [ware for ware in wares if _is_public(ware)]
        hidden_ids = ids - {ware.id for ware in public}
        text.add([ware_document(ware) for ware in public])
        text.remove(hidden_ids)
        vectors = self._open_vectors()
        hidden_photo_ids = [p.id for w in wares if not _is_public(w) for p in w.photographs]
        vectors.remove(hidden_photo_ids)
        present = set(vectors.ids())
        self._embed_into(vectors, [p for w in public for p in w.photographs if p.id not in present])
        vectors.save()

    def rebuild(self, session: Session) -> dict[str, int]:
        """Drop both indexes and build them again from the catalogue."""
        wares = [ware for ware in _load_wares(session, None) if _is_public(ware)]
        text = text_index_for(self.settings)
        text.clear()
        text.add([ware_document(ware) for ware in wares])
        vectors = vector_index_for(self.settings)
        vectors.reset(self.embedder.name, self.embedder.dim)
        photos = [photo for ware in wares for photo in ware.photographs]
        self._embed_into(vectors, photos)
        vectors.save()
        return {"wares": len(wares), "photographs": len(photos)}

    def verify(self, session: Session) -> Drift:
        """Compare the catalogue with both indexes."""
        wares = [ware for ware in _load_wares(session, None) if _is_public(ware)]
        expected_wares = {ware.id for ware in wares}
        expected_photos = {photo.id for ware in wares for photo in ware.photographs}
        indexed_wares = set(text_index_for(self.settings).ids())
        vectors = vector_index_for(self.settings)
        indexed_photos = set(vectors.ids())
        drift = Drift(
            missing_text=sorted(expected_wares - indexed_wares),
            stale_text=sorted(indexed_wares - expected_wares),
            missing_photos=sorted(expected_photos - indexed_photos),
            stale_photos=sorted(indexed_photos - expected_photos),
        )
        if vectors.embedder_name and vectors.embedder_name != self.embedder.name:
            drift.embedder_mismatch = (
                f"the image index was built with {vectors.embedder_name} but the active "
                f"embedder is {self.embedder.name}: run 'potbank index rebuild'"
            )
        return drift

    def _open_vectors(self) -> VectorIndex:
        vectors = vector_index_for(self.settings)
        if vectors.embedder_name != self.embedder.name:
            # A different embedder's vectors cannot be compared with new ones: start afresh.
            vectors.reset(self.embedder.name, self.embedder.dim)
        return vectors

    def _embed_into(self, vectors: VectorIndex, photos: list[Photograph]) -> None:
        for start in range(0, len(photos), EMBED_BATCH):
            batch = photos[start : start + EMBED_BATCH]
            images = [self._display_image(photo) for photo in batch]
            embeddings = self.embedder.embed_images(images)
            vectors.add(np.array([photo.id for photo in batch], dtype=np.int64), embeddings)

    def _display_image(self, photo: Photograph) -> Image.Image:
        with Image.open(self.store.derivative_path(photo.sha256, "display")) as image:
            return image.convert("RGB")
