"""Exact and near-duplicate photographs across the whole archive, found while ingesting and
when a photograph is added to a ware.

Exact duplicates (same SHA-256) are stored once by the content-addressed store. Near duplicates
are found by the Hamming distance between 64-bit difference hashes (dHash of the thumbnail):
the same photograph resized, re-compressed, slightly cropped or re-exposed differs in a few bits;
different objects in many. The threshold comes from measurement (docs/ingest.md, "Duplicate
photographs"): on the 89 shared museum photographs, transformed copies of a photo differ from it
by at most NEAR_DUPLICATE_BITS bits while distinct photographs are further apart.

A copy turned a quarter or mirrored has an unrelated hash, so a new photograph is compared in
all eight orientations (``archive.imaging.orientation_hashes``) with the catalogue's hashes, all
at once: one pass over the hashes in memory per photograph, whatever the size of an upload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.imaging import ORIENTATIONS
from archive.models import Photograph, Ware

NEAR_DUPLICATE_BITS = 8


@dataclass(frozen=True)
class DuplicateMatch:
    """The closest earlier photograph of another ware, how many hash bits differ, and in which
    orientation (a name from ``archive.imaging.ORIENTATIONS``) the new one copies it."""

    ware_id: int
    accession_number: str
    distance: int
    sha256: str = ""
    orientation: str = "same"

    def exact(self, sha256: str) -> bool:
        """Whether the photograph of ``sha256`` is this very file, byte for byte."""
        return self.sha256 == sha256


class PhotoHashes:
    """The perceptual hashes of every photograph in the archive, searchable at numpy speed."""

    def __init__(self, max_bits: int = NEAR_DUPLICATE_BITS) -> None:
        self.max_bits = max_bits
        self._hashes = np.zeros(0, dtype=np.uint64)
        self._wares = np.zeros(0, dtype=np.int64)
        # Added one at a time, joined to the arrays on the next search (not an O(n) copy per add).
        self._new: list[tuple[int, int]] = []
        self._accessions: dict[int, str] = {}
        # Each photograph's SHA-256, in the order of the arrays (to show and hold the match).
        self._shas: list[str] = []

    @classmethod
    def from_catalogue(cls, session: Session, max_bits: int = NEAR_DUPLICATE_BITS) -> PhotoHashes:
        """Hashes of all photographs of wares that are not deleted, any institution."""
        hashes = cls(max_bits)
        rows = session.execute(
            select(Photograph.phash, Ware.id, Ware.accession_number, Photograph.sha256)
            .join(Ware, Photograph.ware_id == Ware.id)
            .where(Photograph.phash.is_not(None), Ware.deleted_at.is_(None))
        ).all()
        for phash, ware_id, accession, sha256 in rows:
            hashes.add(phash, ware_id, accession, sha256)
        return hashes

    def add(self, phash: str, ware_id: int, accession_number: str, sha256: str = "") -> None:
        """Remember a photograph now in the catalogue."""
        self._new.append((int(phash, 16), ware_id))
        self._accessions[ware_id] = accession_number
        self._shas.append(sha256)

    def mark(self) -> int:
        """A point to go back to with ``forget_after`` (when a transaction is rolled back)."""
        return len(self._hashes) + len(self._new)

    def forget_after(self, mark: int) -> None:
        """Forget the photographs added since ``mark``."""
        self._join()
        self._hashes, self._wares = self._hashes[:mark], self._wares[:mark]
        del self._shas[mark:]

    def _join(self) -> None:
        if self._new:
            new_hashes, new_wares = zip(*self._new, strict=True)
            self._hashes = np.concatenate([self._hashes, np.array(new_hashes, dtype=np.uint64)])
            self._wares = np.concatenate([self._wares, np.array(new_wares, dtype=np.int64)])
            self._new = []

    def closest(self, phash: str | Sequence[str], ware_id: int) -> DuplicateMatch | None:
        """The nearest photograph of another ware within the threshold, or None.

        ``phash`` is a photograph's hash, or the hashes of its orientations
        (``orientation_hashes``, the photograph as it is first): then a turned or mirrored copy
        is found too, and the match says in which orientation. At equal distance the
        photograph as it is wins."""
        self._join()
        if not len(self._hashes):
            return None
        hashes = [phash] if isinstance(phash, str) else list(phash)
        turned = np.array([int(value, 16) for value in hashes], dtype=np.uint64)
        # One row of distances per orientation (uint8), the smallest over them photograph by
        # photograph; which orientation gave it is asked of the winner alone.
        distances = np.bitwise_count(self._hashes[np.newaxis, :] ^ turned[:, np.newaxis])
        nearest = distances.min(axis=0)
        nearest[self._wares == ware_id] = 65
        best = int(np.argmin(nearest))
        if nearest[best] > self.max_bits:
            return None
        orientation = int(np.argmin(distances[:, best]))
        other = int(self._wares[best])
        return DuplicateMatch(
            other,
            self._accessions[other],
            int(nearest[best]),
            self._shas[best],
            ORIENTATIONS[orientation][0],
        )
