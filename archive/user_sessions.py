"""Server-side sign-in sessions: opened at sign-in, looked up on every request, closed at
sign-out, and all closed when the password changes or the account is disabled."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from archive.models import User, UserSession, utcnow

# A session unused for this long is gone even if its browser kept the cookie.
SESSION_LIFETIME = timedelta(days=14)


def _digest(token: str) -> str:
    # Only the digest is stored: a copy of the database does not hand out live sessions.
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def open_session(session: Session, user: User) -> str:
    """Start a session for ``user``; returns the token the cookie carries."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=_digest(token)))
    session.execute(delete(UserSession).where(UserSession.created_at < utcnow() - SESSION_LIFETIME))
    return token


def user_of_session(session: Session, token: str) -> User | None:
    """The active user whose open session ``token`` names, or None."""
    if not token or len(token) > 100:
        return None
    return session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == _digest(token),
            UserSession.created_at >= utcnow() - SESSION_LIFETIME,
            User.active.is_(True),
        )
    )


def close_session(session: Session, token: str) -> None:
    """End the session ``token`` names (nothing if it is already gone)."""
    session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


def close_sessions_of(session: Session, user_id: int) -> None:
    """End every session of an account: after a new password or when it is disabled."""
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))
