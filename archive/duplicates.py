"""Near-duplicate photographs across the whole archive, by perceptual hash."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.imaging import hash_distance
from archive.models import Photograph, Ware

# dHash bits that may differ for two photographs to count as the same picture (of 64): survives
# re-encoding and resizing, while different objects photographed alike differ in far more.
NEAR_DUPLICATE_BITS = 10


@dataclass(frozen=True)
class NearDuplicate:
    """A photograph elsewhere in the archive that looks like one under review."""

    photo: Photograph
    match: Photograph
    ware: Ware
    distance: int


def near_duplicates(
    session: Session, photos: Sequence[Photograph], max_bits: int = NEAR_DUPLICATE_BITS
) -> list[NearDuplicate]:
    """Photographs of other wares (any institution, any status, not deleted) like ``photos``."""
    hashed = [photo for photo in photos if photo.phash]
    if not hashed:
        return []
    own_wares = {photo.ware_id for photo in hashed}
    rows = session.execute(
        select(Photograph, Ware)
        .join(Ware, Photograph.ware_id == Ware.id)
        .where(
            Photograph.phash.is_not(None),
            Ware.deleted_at.is_(None),
            Ware.id.not_in(own_wares),
        )
    ).all()
    found = []
    for photo in hashed:
        assert photo.phash is not None
        for match, ware in rows:
            distance = hash_distance(photo.phash, match.phash)
            if distance <= max_bits:
                found.append(NearDuplicate(photo, match, ware, distance))
    return sorted(found, key=lambda item: (item.photo.position, item.distance))
