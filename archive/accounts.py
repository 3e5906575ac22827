"""Account administration beyond creation: listing, disabling, password resets, and the record
of failed sign-ins that throttling counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from archive.catalogue import record_audit
from archive.models import AuditEvent, User, utcnow
from archive.user_sessions import close_sessions_of
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
    if not active:
        close_sessions_of(session, user.id)
    return user


def reset_password(session: Session, email: str, password: str, *, actor: str) -> User:
    """Give an account a new password; signed-in sessions of the account end with the old one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = _existing(session, email)
    user.password_hash = generate_password_hash(password, method="scrypt")
    close_sessions_of(session, user.id)
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


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    """Give ``user`` the password ``new`` if ``current`` is theirs (AccountError otherwise); every
    session of the account ends, and the change is audited (never the hashes)."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("the current password is wrong")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = generate_password_hash(new, method="scrypt")
    close_sessions_of(session, user.id)
    record_audit(
        session,
        actor=user.email,
        user_id=user.id,
        action="change_password",
        entity_type="user",
        entity_id=user.id,
        before=None,
        after=None,
    )


def failed_logins_from(
    session: Session, address: str, window: timedelta, email: str | None = None
) -> tuple[int, datetime | None]:
    """How many sign-ins from ``address`` failed within ``window`` (for ``email`` only, and
    since that account's last good sign-in, when given), and when the latest of them was."""
    since = utcnow() - window
    conditions = [
        AuditEvent.action == LOGIN_FAILED,
        AuditEvent.after["address"].as_string() == address,
    ]
    if email is not None:
        user = find_user(session, email)
        if user is not None and user.last_login_at is not None:
            since = max(since, _aware(user.last_login_at))
        conditions.append(AuditEvent.actor == normalise_email(email)[:254])
    count, latest = session.execute(
        select(func.count(AuditEvent.id), func.max(AuditEvent.at)).where(
            *conditions, AuditEvent.at >= since
        )
    ).one()
    return count or 0, _aware(latest) if latest is not None else None
