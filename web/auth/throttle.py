"""Sign-in throttling by growing delays, never by a lockout someone else can trigger.

Failures are counted per account *and* address together: after a few, that pair waits 1 s,
then 2, 4, 8 ... up to 15 minutes before its next try, while the same account signs in at once
from anywhere else (its owner is not locked out by a stranger guessing). These counts come from
the audit trail, so they hold across processes, workers and restarts. One address failing on
many accounts (password spraying) is slowed the same way, after more failures.

The address is the client's own: ``X-Forwarded-For`` counts only from the reverse proxies named
in ``POTBANK_TRUSTED_PROXIES`` (see ``web.auth.proxies``), so behind a proxy every visitor is not
one address, and nobody can pick an address by sending the header.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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


def _wait(failures: int, latest: datetime | None, free: int) -> float:
    if latest is None:
        return 0.0
    ready = latest.timestamp() + growing_delay(failures, free)
    return max(0.0, ready - utcnow().timestamp())


def pair_wait(session: Session, email: str, address: str) -> float:
    """Seconds this account must still wait before its next sign-in from ``address``."""
    failures, latest = failed_logins_from(session, address, WINDOW, email)
    return _wait(failures, latest, FREE_PAIR_FAILURES)


def address_wait(session: Session, address: str) -> float:
    """Seconds ``address`` must still wait before any sign-in (failures across accounts)."""
    failures, latest = failed_logins_from(session, address, WINDOW)
    return _wait(failures, latest, FREE_ADDRESS_FAILURES)
