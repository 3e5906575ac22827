"""Photographs visitors search with, kept briefly so a result page can be paged and filtered.

The form posts the photograph once; it is validated, decoded small and kept under a key derived
from its content, and the visitor is redirected to an ordinary GET address. Only a display-size
JPEG is kept (no EXIF, so no location leaves the visitor's camera), in a cache bounded by count
and by bytes: anonymous visitors cannot make it grow. Past either bound the least recently used
photographs go first (a search page touches its photograph), and none is kept past a day.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from archive.imaging import jpeg_bytes, open_query_image

KEEP_SECONDS = 24 * 60 * 60
_KEY = re.compile(r"^[0-9a-f]{32}\Z")
# One process prunes at a time; other processes pruning the same folder only race to unlink.
_PRUNING = threading.Lock()


@dataclass(frozen=True)
class CacheBounds:
    """How much the query-photograph cache may hold."""

    max_files: int
    max_bytes: int
    max_age: float = KEEP_SECONDS


def query_dir(home: Path) -> Path:
    """Where an instance keeps search photographs."""
    return home / "query-images"


def is_key(key: str) -> bool:
    """Whether ``key`` has the shape of a query-image key (so it can be used in a path)."""
    return bool(_KEY.match(key))


def save_query_image(home: Path, data: bytes, max_pixels: int, bounds: CacheBounds) -> str:
    """Validate ``data`` (raises ``ImageRejected``), keep its display-size JPEG, return its key."""
    display = jpeg_bytes(open_query_image(data, max_pixels))
    key = hashlib.sha256(display).hexdigest()[:32]
    folder = query_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.jpg"
    if not path.exists():
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(display)
        os.replace(temporary, path)
    else:
        path.touch()
    prune(folder, bounds, keep=path)
    return key


def query_image_path(home: Path, key: str) -> Path | None:
    """The kept photograph for ``key`` (marked as just used), or None if malformed or gone."""
    if not is_key(key):
        return None
    path = query_dir(home) / f"{key}.jpg"
    try:
        os.utime(path)
    except OSError:
        return None
    return path


def read_query_image(home: Path, key: str) -> bytes | None:
    """The kept photograph's bytes, or None when it is gone (it may be pruned at any moment)."""
    path = query_image_path(home, key)
    if path is None:
        return None
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def prune(
    folder: Path, bounds: CacheBounds, keep: Path | None = None, now: float | None = None
) -> None:
    """Drop expired photographs, then the least recently used until both bounds hold.

    ``keep`` (the photograph just saved) is never dropped, so its visitor always sees it.
    """
    cutoff = (now or time.time()) - bounds.max_age
    with _PRUNING:
        entries: list[tuple[float, int, Path]] = []
        for path in folder.glob("*.jpg"):
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
