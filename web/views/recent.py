"""Figures that many pages share and that may be a minute old: counts for the home page, the
timeline and the map. Each app keeps its own, so one instance never sees another's."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app

T = TypeVar("T")
# Counts on these pages refresh at most this long after the catalogue changes.
MAX_AGE_SECONDS = 60.0
_KEY = "potbank.recent"
_lock = threading.Lock()


def recent(name: str, compute: Callable[[], T], max_age: float = MAX_AGE_SECONDS) -> T:
    """``compute()``'s value, computed again when the one kept is older than ``max_age``."""
    kept: dict[str, tuple[float, Any]] = current_app.extensions.setdefault(_KEY, {})
    now = time.monotonic()
    entry = kept.get(name)
    if entry is not None and now - entry[0] < max_age:
        return entry[1]
    value = compute()
    with _lock:
        kept[name] = (now, value)
    return value


def forget_recent() -> None:
    """Drop every kept figure of this app (after a curator changes what the pages show)."""
    current_app.extensions.get(_KEY, {}).clear()
