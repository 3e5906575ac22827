"""A journal of wares whose catalogue change is committed but whose index update may not be.

The pipeline appends a batch's ware ids here (flushed to disk) before it commits the batch, and
empties the journal once both indexes hold the batch. A run killed in between leaves the ids
behind, and the next run re-indexes them first. Re-indexing is idempotent (documents and vectors
are replaced by id), so an id journalled for a batch that was then rolled back costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


class PendingIndex:
    """The journal file ``<index_dir>/pending-wares.txt``: one ware id a line."""

    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir) / "pending-wares.txt"

    def add(self, ware_ids: Iterable[int]) -> None:
        """Record these ids durably (fsync) before the catalogue commit that changes them."""
        lines = "".join(f"{int(ware_id)}\n" for ware_id in ware_ids)
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="ascii") as handle:
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())

    def replace(self, ware_ids: Iterable[int]) -> None:
        """Keep only these ids (the indexes hold the rest): written aside, then renamed over."""
        lines = "".join(f"{int(ware_id)}\n" for ware_id in ware_ids)
        if not lines:
            self.clear()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        aside = self.path.with_name(self.path.name + ".new")
        with aside.open("w", encoding="ascii") as handle:
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(aside, self.path)

    def ids(self) -> set[int]:
        """The ids still waiting (a line cut short by a crash is ignored)."""
        if not self.path.exists():
            return set()
        text = self.path.read_text(encoding="ascii", errors="replace")
        return {int(line) for line in text.splitlines() if line.strip().isdigit()}

    def clear(self) -> None:
        """Forget the journalled ids: the indexes hold them."""
        self.path.unlink(missing_ok=True)
