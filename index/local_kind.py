"""The local-feature and form indexes of visual search as an index kind of a generation, kept
in ``<generation folder>/local`` by the instance's index writer like the keyword and image
indexes (``index.kinds``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from index.documents import public_wares
from index.kinds import ApplyHints, ChangeSet, KindDrift, Progress, id_lines, public_among
from index.visual_index import LocalFeatureSync, Photo, feature_dir

if TYPE_CHECKING:
    from index.sync import IndexSync


class LocalFeatureKind:
    """ORB local features and form vectors of published wares' photographs."""

    name = "local"

    def __init__(self, sync: IndexSync) -> None:
        self.sync = sync

    def close(self) -> None:
        """Nothing stays open: each call opens the folder's indexes afresh."""

    def tidy(self, folder: Path) -> bool:
        return False  # its files are rewritten whole by each change: nothing to merge

    def prepare(self, folder: Path) -> None:
        """Nothing to load: the extractor is made per call, and cheap."""

    def _local(self, folder: Path) -> LocalFeatureSync:
        return LocalFeatureSync(feature_dir(folder), self.sync.store)

    def build(self, folder: Path, session: Session, progress: Progress | None) -> int:
        from index.sync import photographs_of

        public = set(session.scalars(public_wares()))
        photos = [Photo(p.id, p.key) for p in photographs_of(session, None) if p.ware_id in public]
        self._local(folder).rebuild(photos)
        return len(photos)

    def apply(self, folder: Path, session: Session, changes: ChangeSet, hints: ApplyHints) -> None:
        from index.sync import photographs_of

        photos = photographs_of(session, changes.ware_ids)
        public = public_among(session, changes.ware_ids)
        gone = {p.id for p in photos if p.ware_id not in public} | changes.removed_photo_ids
        shown = [Photo(p.id, p.key) for p in photos if p.ware_id in public]
        if shown or gone:
            self._local(folder).update(shown, sorted(gone), hints.local_features)

    def verify(self, folder: Path, session: Session) -> KindDrift:
        from index.sync import photographs_of

        public = set(session.scalars(public_wares()))
        expected = {p.id: p.ware_id for p in photographs_of(session, None) if p.ware_id in public}
        missing, stale, mismatch = self._local(folder).verify(set(expected))
        drift = KindDrift(
            [
                *id_lines("photographs missing from the local-feature index", missing),
                *id_lines("photographs in the local-feature index that should not be", stale),
            ],
            ChangeSet({expected[i] for i in missing}, set(stale)),
        )
        drift.rebuild_reason = mismatch
        return drift
