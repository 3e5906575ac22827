"""Account administration beyond creation: listing, disabling, password resets, and the record
of failed sign-ins that throttling counts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import generate_password_hash

from archive.catalogue import record_audit
from archive.models import AuditEvent, User, utcnow
from archive.users import MIN_PASSWORD_LENGTH, AccountError, find_user, normalise_email

LOGIN_FAILED = "login_failed"


def list_users(session: Session) -> list[User]:
    """Every account, by email, with its institution loaded."""
    return list(
        session.scalars(select(User).options(selectinload(User.institution)).order_by(User.email))
    )


def _existing(session: Session, email: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise AccountError(f"no user {normalise_email(email)}")
    return user


def set_active(session: Session, email: str, active: bool, *, actor: str) -> User:
    """Enable or disable an account; a disabled account cannot sign in and its sessions end."""
    user = _existing(session, email)
    if user.active != active:
        record_audit(
            session,
            actor=actor,
            action="enable" if active else "disable",
            entity_type="user",
            entity_id=user.id,
            before={"active": user.active},
            after={"active": active},
        )
        user.active = active
    return user


def reset_password(session: Session, email: str, password: str, *, actor: str) -> User:
    """Give an account a new password; signed-in sessions of the account end with the old one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = _existing(session, email)
    user.password_hash = generate_password_hash(password, method="scrypt")
    # The hash itself never goes into the audit trail.
    record_audit(
        session,
        actor=actor,
        action="reset_password",
        entity_type="user",
        entity_id=user.id,
        before=None,
        after=None,
    )
    return user


def session_fingerprint(user: User) -> str:
    """A short digest of the password hash: a session carries it, so a reset ends old sessions."""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def record_failed_login(session: Session, email: str, address: str | None) -> None:
    """Note a failed sign-in for ``email`` (kept as an audit event, so it is also visible)."""
    user = find_user(session, email)
    record_audit(
        session,
        actor=normalise_email(email)[:254],
        action=LOGIN_FAILED,
        entity_type="user",
        entity_id=user.id if user else None,
        before=None,
        after={"address": address},
    )


def recent_failed_logins(session: Session, email: str, window: timedelta) -> int:
    """How many sign-ins for ``email`` failed within ``window`` and since its last good one.

    Failures stay in the audit trail untouched; a good sign-in simply starts the count afresh.
    """
    since = utcnow() - window
    user = find_user(session, email)
    if user is not None and user.last_login_at is not None:
        since = max(since, _aware(user.last_login_at))
    return (
        session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == LOGIN_FAILED,
                AuditEvent.actor == normalise_email(email)[:254],
                AuditEvent.at >= since,
            )
        )
        or 0
    )


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
