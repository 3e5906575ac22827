"""Sign-in throttling by growing delays, never by a lockout someone else can trigger.

Failures are counted per account *and* address together: after a few, that pair waits 1 s,
then 2, 4, 8 ... up to 15 minutes before its next try, while the same account signs in at once
from anywhere else (its owner is not locked out by a stranger guessing). These counts come from
the audit trail, so they hold across processes and restarts. One address failing on many
accounts (password spraying) is slowed the same way from a count kept in memory.

The address is the client's own: ``X-Forwarded-For`` counts only from the reverse proxies named
in ``POTBANK_TRUSTED_PROXIES`` (see ``web.auth.proxies``), so behind a proxy every visitor is not
one address, and nobody can pick an address by sending the header.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import timedelta

from sqlalchemy.orm import Session

from archive.accounts import failed_logins_from
from archive.models import utcnow

WINDOW = timedelta(minutes=15)
FREE_PAIR_FAILURES = 3
FREE_ADDRESS_FAILURES = 10
MAX_DELAY = 15 * 60.0


def growing_delay(failures: int, free: int) -> float:
    """Seconds to wait after ``failures`` failures when ``free`` of them cost nothing."""
    if failures < free:
        return 0.0
    return min(2.0 ** (failures - free), MAX_DELAY)


class AddressThrottle:
    """Recent failure times per client address (across accounts), forgotten after the window."""

    def __init__(self, window: timedelta = WINDOW, free: int = FREE_ADDRESS_FAILURES) -> None:
        self.window = window.total_seconds()
        self.free = free
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def wait(self, address: str) -> float:
        """Seconds ``address`` must still wait before its next sign-in (0: go ahead)."""
        with self._lock:
            now = time.monotonic()
            times = self._recent(address, now)
            if not times:
                return 0.0
            return max(0.0, times[-1] + growing_delay(len(times), self.free) - now)

    def fail(self, address: str) -> None:
        """Note a failed sign-in from ``address``."""
        with self._lock:
            now = time.monotonic()
            self._recent(address, now).append(now)
            # Addresses with no recent failure are dropped, so the table cannot grow forever.
            for key in list(self._failures):
                if not self._recent(key, now):
                    del self._failures[key]


def pair_wait(session: Session, email: str, address: str) -> float:
    """Seconds this account must still wait before its next sign-in from ``address``."""
    failures, latest = failed_logins_from(session, email, address, WINDOW)
    if latest is None:
        return 0.0
    ready = latest.timestamp() + growing_delay(failures, FREE_PAIR_FAILURES)
    return max(0.0, ready - utcnow().timestamp())
