"""A folder of derived files that anonymous requests may add to, kept within bounds.

Query photographs and IIIF renderings of sizes no viewer is told about are both made on demand
for anyone who asks, so neither may grow without limit: past a count or a byte bound the least
recently used files go first (a reader touches what it uses), and none is kept past its age.
Files are written through a ``.tmp-`` temporary and a rename, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

KEEP_SECONDS = 24 * 60 * 60
# One thread prunes at a time; other processes pruning the same folder only race to unlink.
_PRUNING = threading.Lock()


@dataclass(frozen=True)
class CacheBounds:
    """How much a bounded cache folder may hold."""

    max_files: int
    max_bytes: int
    max_age: float = KEEP_SECONDS


def touch(path: Path) -> bool:
    """Mark ``path`` as just used; False when it is gone (it may be pruned at any moment)."""
    try:
        os.utime(path)
    except OSError:
        return False
    return True


def store(path: Path, data: bytes, bounds: CacheBounds) -> None:
    """Write ``data`` to ``path`` (atomically) in its bounded folder, then prune the folder."""
    if not path.exists():
        write_atomically(path, data)
    else:
        touch(path)
    prune(path.parent, bounds, keep=path)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename: readers never see a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def prune(
    folder: Path, bounds: CacheBounds, keep: Path | None = None, now: float | None = None
) -> None:
    """Drop expired files, then the least recently used until both bounds hold.

    ``keep`` (the file just stored) is never dropped, so its requester always gets it.
    """
    cutoff = (now or time.time()) - bounds.max_age
    with _PRUNING:
        entries: list[tuple[float, int, Path]] = []
        for path in folder.iterdir():
            if path.name.startswith(".tmp-"):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            entries.append((stat.st_mtime, stat.st_size, path))
        entries.sort(key=lambda entry: entry[0], reverse=True)
        count, total = 0, 0
        for mtime, size, path in entries:
            fits = count < bounds.max_files and total + size <= bounds.max_bytes
            if path == keep or (mtime >= cutoff and fits):
                count, total = count + 1, total + size
                continue
            path.unlink(missing_ok=True)
        _drop_stale_temporaries(folder, cutoff)


def _drop_stale_temporaries(folder: Path, cutoff: float) -> None:
    # A process killed mid-write leaves its temporary file behind.
    for path in folder.glob(".tmp-*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            continue
