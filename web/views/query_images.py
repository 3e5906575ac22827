"""Photographs visitors search with, kept briefly so a result page can be paged and filtered.

The form posts the photograph once; it is validated, shrunk to display size and kept under a key
derived from its content, and the visitor is redirected to an ordinary GET address. Only the
shrunk JPEG is kept (no EXIF, so no location leaves the visitor's camera) and old ones are pruned.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path

from archive.imaging import process_image

KEEP_SECONDS = 24 * 60 * 60
_KEY = re.compile(r"^[0-9a-f]{32}$")


def query_dir(home: Path) -> Path:
    """Where an instance keeps search photographs."""
    return home / "query-images"


def is_key(key: str) -> bool:
    """Whether ``key`` has the shape of a query-image key (so it can be used in a path)."""
    return bool(_KEY.match(key))


def save_query_image(home: Path, data: bytes, max_pixels: int) -> str:
    """Validate ``data`` (raises ``ImageRejected``), keep its display-size JPEG, return its key."""
    display = process_image(data, max_pixels).derivatives["display"]
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
    prune(folder)
    return key


def query_image_path(home: Path, key: str) -> Path | None:
    """The kept photograph for ``key``, or None if the key is malformed or has expired."""
    if not is_key(key):
        return None
    path = query_dir(home) / f"{key}.jpg"
    return path if path.is_file() else None


def prune(folder: Path, now: float | None = None) -> None:
    """Delete search photographs older than ``KEEP_SECONDS``."""
    cutoff = (now or time.time()) - KEEP_SECONDS
    for path in folder.glob("*.jpg"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            continue
