"""User accounts: creation, password hashing and checking."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from archive.models import Institution, Role, User

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A request about an account that cannot be met; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    email: str,
    password: str,
    role: Role,
    institution: Institution | None = None,
) -> User:
    """Add a user with a scrypt password hash; refuses duplicates and short passwords."""
    address = normalise_email(email)
    if "@" not in address or len(address) > 254:
        raise AccountError(f"not an email address: {email!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if role is Role.PARTNER and institution is None:
        raise AccountError("a partner belongs to an institution: give one")
    if find_user(session, address) is not None:
        raise AccountError(f"a user {address} already exists")
    user = User(
        email=address,
        password_hash=generate_password_hash(password, method="scrypt"),
        role=role,
        institution=institution,
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def password_matches(user: User, password: str) -> bool:
    return user.active and check_password_hash(user.password_hash, password)
