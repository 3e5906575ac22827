"""Exact and near-duplicate photographs across the whole archive, found while ingesting.

Exact duplicates (same SHA-256) are stored once by the content-addressed store. Near duplicates
are found by the Hamming distance between 64-bit difference hashes (dHash of the thumbnail):
the same photograph resized, re-compressed, slightly cropped or re-exposed differs in a few bits;
different objects in many. The threshold comes from measurement (docs/ingest.md, "Duplicate
photographs"): on the 89 shared museum photographs, transformed copies of a photo differ from it
by at most NEAR_DUPLICATE_BITS bits while distinct photographs are further apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Photograph, Ware

NEAR_DUPLICATE_BITS = 8


@dataclass(frozen=True)
class DuplicateMatch:
    """The closest earlier photograph of another ware, and how many hash bits differ."""

    ware_id: int
    accession_number: str
    distance: int


class PhotoHashes:
    """The perceptual hashes of every photograph in the archive, searchable at numpy speed."""

    def __init__(self, max_bits: int = NEAR_DUPLICATE_BITS) -> None:
        self.max_bits = max_bits
        self._hashes = np.zeros(0, dtype=np.uint64)
        self._wares = np.zeros(0, dtype=np.int64)
        # Added one at a time, joined to the arrays on the next search (not an O(n) copy per add).
        self._new: list[tuple[int, int]] = []
        self._accessions: dict[int, str] = {}

    @classmethod
    def from_catalogue(cls, session: Session, max_bits: int = NEAR_DUPLICATE_BITS) -> PhotoHashes:
        """Hashes of all photographs of wares that are not deleted, any institution."""
        hashes = cls(max_bits)
        rows = session.execute(
            select(Photograph.phash, Ware.id, Ware.accession_number)
            .join(Ware, Photograph.ware_id == Ware.id)
            .where(Photograph.phash.is_not(None), Ware.deleted_at.is_(None))
        ).all()
        for phash, ware_id, accession in rows:
            hashes.add(phash, ware_id, accession)
        return hashes

    def add(self, phash: str, ware_id: int, accession_number: str) -> None:
        """Remember a photograph now in the catalogue."""
        self._new.append((int(phash, 16), ware_id))
        self._accessions[ware_id] = accession_number

    def mark(self) -> int:
        """A point to go back to with ``forget_after`` (when a transaction is rolled back)."""
        return len(self._hashes) + len(self._new)

    def forget_after(self, mark: int) -> None:
        """Forget the photographs added since ``mark``."""
        self._join()
        self._hashes, self._wares = self._hashes[:mark], self._wares[:mark]

    def _join(self) -> None:
        if self._new:
            new_hashes, new_wares = zip(*self._new, strict=True)
            self._hashes = np.concatenate([self._hashes, np.array(new_hashes, dtype=np.uint64)])
            self._wares = np.concatenate([self._wares, np.array(new_wares, dtype=np.int64)])
            self._new = []

    def closest(self, phash: str, ware_id: int) -> DuplicateMatch | None:
        """The nearest photograph of another ware within the threshold, or None."""
        self._join()
        if not len(self._hashes):
            return None
        distances = np.bitwise_count(self._hashes ^ np.uint64(int(phash, 16))).astype(np.int64)
        distances[self._wares == ware_id] = 65
        best = int(np.argmin(distances))
        if distances[best] > self.max_bits:
            return None
        other = int(self._wares[best])
        return DuplicateMatch(other, self._accessions[other], int(distances[best]))
