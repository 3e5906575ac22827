"""Login throttling: too many failures for one account, or from one address, must wait.

Per-account failures are counted from the audit trail in the database, so they hold across
processes and restarts; per-address failures are counted in memory, which is enough to stop
one client from trying many accounts quickly.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import timedelta

from sqlalchemy.orm import Session

from archive.accounts import recent_failed_logins

WINDOW = timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 5
MAX_ADDRESS_FAILURES = 30


class AddressThrottle:
    """Recent failure times per client address, forgotten after the window."""

    def __init__(self, window: timedelta = WINDOW, limit: int = MAX_ADDRESS_FAILURES) -> None:
        self.window = window.total_seconds()
        self.limit = limit
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address, time.monotonic())) >= self.limit

    def fail(self, address: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent(address, now).append(now)
            # Addresses with no recent failure are dropped, so the table cannot grow forever.
            for key in list(self._failures):
                if not self._recent(key, now):
                    del self._failures[key]


def account_blocked(session: Session, email: str) -> bool:
    """Whether ``email`` has failed too often lately to be tried again now."""
    return recent_failed_logins(session, email, WINDOW) >= MAX_ACCOUNT_FAILURES
