"""Photographs visitors search with, kept briefly so a result page can be paged and filtered.

The form posts the photograph once; it is validated, decoded small and kept under a key derived
from its content, and the visitor is redirected to an ordinary GET address. Only a display-size
JPEG is kept (no EXIF, so no location leaves the visitor's camera), in a cache bounded by count
and by bytes: anonymous visitors cannot make it grow. Past either bound the least recently used
photographs go first (a search page touches its photograph), and none is kept past a day.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from archive.imaging import jpeg_bytes, open_query_image
from web.bounded_cache import CacheBounds, store, touch

__all__ = ["CacheBounds", "query_dir", "query_image_path", "read_query_image", "save_query_image"]

_KEY = re.compile(r"^[0-9a-f]{32}\Z")


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
    store(query_dir(home) / f"{key}.jpg", display, bounds)
    return key


def query_image_path(home: Path, key: str) -> Path | None:
    """The kept photograph for ``key`` (marked as just used), or None if malformed or gone."""
    if not is_key(key):
        return None
    path = query_dir(home) / f"{key}.jpg"
    return path if touch(path) else None


def read_query_image(home: Path, key: str) -> bytes | None:
    """The kept photograph's bytes, or None when it is gone (it may be pruned at any moment)."""
    path = query_image_path(home, key)
    if path is None:
        return None
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
