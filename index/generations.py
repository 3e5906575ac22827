"""Index generations: every index of an instance lives in a generation folder, and a pointer
file names the one that serves.

Layout under the instance's index folder::

    CURRENT                 the serving generation's name, replaced atomically (temp + rename)
    instance-id             this copy of the indexes' name in the catalogue's writer lease table
    generations/g000007/    one folder per generation: each index kind's files, and
        state.json          how far this generation has applied the catalogue's change log

A rebuild fills a new generation folder while the current one goes on serving (and taking
changes), replays the changes logged meanwhile, then publishes it by renaming CURRENT. A reader
opens the generation CURRENT names and keeps it until its request ends; a rebuild killed
half-way leaves only an unpublished folder, removed later. A retired generation is deleted once
it has not served for ``RETIRE_AFTER`` seconds, long past any request still reading it.

An instance made before generations (``text/`` and ``vectors.faiss`` directly in the index
folder) is moved into a first generation on first open: renames, no rebuild.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.vectors import _fsync_write

POINTER = "CURRENT"
GENERATIONS = "generations"
STATE = "state.json"
INSTANCE_ID = "instance-id"
# A retired generation stays this long after it stopped serving (readers finish their requests
# and follow the pointer within a second; this is generous on purpose).
RETIRE_AFTER = 300.0
# Files of the layout before generations, moved into the first generation.
FLAT_ENTRIES = ("text", "vectors.faiss", "vectors.faiss.json", "local")


@dataclass(frozen=True)
class Generation:
    """One generation folder of an instance's indexes."""

    name: str
    path: Path

    @property
    def number(self) -> int:
        return int(self.name.lstrip("g"))

    def state(self) -> dict[str, Any]:
        """What the generation records about itself (``applied_seq``, ``needs_repair``...)."""
        try:
            return dict(json.loads((self.path / STATE).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return {"applied_seq": 0, "needs_repair": True}

    @property
    def applied_seq(self) -> int:
        return int(self.state().get("applied_seq", 0))

    def write_state(self, **values: Any) -> None:
        """Update the state file atomically (temp file, fsync, rename)."""
        state = self.state()
        state.update(values)
        write_atomically(self.path / STATE, json.dumps(state, indent=2) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never half."""
    _fsync_write(path, lambda temp: Path(temp).write_text(text, encoding="utf-8"))


class Generations:
    """The generations of one index folder: which serves, new ones, publishing, clean-up."""

    def __init__(self, index_dir: Path) -> None:
        self.root = Path(index_dir)
        self.folder = self.root / GENERATIONS
        self.pointer = self.root / POINTER

    @contextmanager
    def _locked(self, name: str, blocking: bool = True) -> Iterator[bool]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f".{name}.lock", "a+b") as handle:
            flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
            try:
                fcntl.flock(handle.fileno(), flags)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def instance_id(self) -> str:
        """This index folder's name in the catalogue's writer lease table (made on first use)."""
        path = self.root / INSTANCE_ID
        if not path.exists():
            with self._locked("layout"):
                if not path.exists():
                    write_atomically(path, uuid.uuid4().hex + "\n")
        return path.read_text(encoding="utf-8").strip()

    def current(self) -> Generation:
        """The serving generation (moving a flat layout or creating an empty first one)."""
        name = self._pointed()
        if name is None:
            with self._locked("layout"):
                name = self._pointed()
                if name is None:
                    name = self._first_generation()
        return Generation(name, self.folder / name)

    def pointer_stamp(self) -> tuple[int, int]:
        """Changes whenever CURRENT is replaced: cheap to check on every request."""
        try:
            info = self.pointer.stat()
        except FileNotFoundError:
            return (0, 0)
        return (info.st_ino, info.st_mtime_ns)

    def _pointed(self) -> str | None:
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name if name and (self.folder / name).is_dir() else None

    def _first_generation(self) -> str:
        published = self._newest_published()
        if published is not None:
            # The pointer was lost, not the indexes: serve the newest complete generation.
            self._point_at(published)
            return published
        generation = self._new_folder()
        flat = [self.root / entry for entry in FLAT_ENTRIES if (self.root / entry).exists()]
        for path in flat:
            os.replace(path, generation.path / path.name)
        # A flat layout was kept by writers that did not log their changes: compare by
        # content once (the writer repairs what differs) before trusting it.
        generation.write_state(applied_seq=0, needs_repair=bool(flat), created=time.time())
        (self.root / "pending-wares.txt").unlink(missing_ok=True)
        self._point_at(generation.name)
        return generation.name

    def _newest_published(self) -> str | None:
        if not self.folder.is_dir():
            return None
        names = sorted(
            (p.name for p in self.folder.iterdir() if p.is_dir() and p.name[1:].isdigit()),
            reverse=True,
        )
        for name in names:
            state = Generation(name, self.folder / name).state()
            if not state.get("building") and "applied_seq" in state:
                return name
        return None

    def _new_folder(self) -> Generation:
        self.folder.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[1:]) for p in self.folder.iterdir() if p.name[1:].isdigit()]
        number = max(numbers, default=0) + 1
        while True:
            name = f"g{number:06d}"
            try:
                (self.folder / name).mkdir()
            except FileExistsError:
                number += 1
                continue
            return Generation(name, self.folder / name)

    def new(self) -> Generation:
        """An empty, unpublished generation folder for a rebuild."""
        generation = self._new_folder()
        generation.write_state(applied_seq=0, building=os.getpid(), created=time.time())
        return generation

    def publish(self, generation: Generation) -> Generation | None:
        """Make ``generation`` the serving one (atomic rename of the pointer); returns the
        generation it replaced, which is now retired."""
        with self._locked("layout"):
            serving = self._pointed()
            generation.write_state(building=None)
            previous = None if serving is None else Generation(serving, self.folder / serving)
            if previous is not None:
                previous.write_state(retired_at=time.time())
            self._point_at(generation.name)
        return previous

    def _point_at(self, name: str) -> None:
        write_atomically(self.pointer, name + "\n")

    @contextmanager
    def rebuilding(self) -> Iterator[bool]:
        """Held by the one rebuild of this folder; yields False if another is running."""
        with self._locked("rebuild", blocking=False) as held:
            yield held

    def remove_unused(self, older_than: float = RETIRE_AFTER) -> list[str]:
        """Delete retired generations and abandoned rebuilds older than ``older_than`` seconds;
        returns their names. Never the serving one, never a rebuild still running."""
        if not self.folder.is_dir():
            return []
        removed = []
        with self._locked("rebuild", blocking=False) as no_rebuild:
            serving = self._pointed()
            now = time.time()
            for path in sorted(self.folder.iterdir()):
                if path.name == serving or not path.is_dir():
                    continue
                state = Generation(path.name, path).state()
                if state.get("building") and not no_rebuild:
                    continue  # a rebuild holds the lock: its folder is in use
                since = state.get("retired_at") or state.get("created") or path.stat().st_mtime
                if now - float(since) >= older_than:
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path.name)
        return removed
