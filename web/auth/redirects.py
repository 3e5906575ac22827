"""Where to send someone after signing in: only back to a page of this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a local path, else ``fallback``: ``next=`` is never an open redirect.

    Refused: absolute URLs, scheme-relative ``//host``, backslash tricks browsers read as
    ``//`` (``/\\host``), and anything with control characters or whitespace that a browser
    might strip before resolving.
    """
    if not target or len(target) > 2000:
        return fallback
    if any(ord(char) < 33 or char == "\\" for char in target):
        return fallback
    if not target.startswith("/") or target.startswith("//"):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
