"""What ``potbank demo`` adds beyond the sample records: a curator account to sign in with.

The password is made once per instance, kept in a file only its owner can read, and printed on
every run, so "Sign in" on a demo leads somewhere and a re-run prints the same credentials.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from archive.models import Role
from archive.settings import Settings
from archive.users import create_user, find_user

DEMO_CURATOR_EMAIL = "curator@demo.potbank.invalid"
PASSWORD_FILE = "demo_curator_password"  # noqa: S105 (a file name, not a password)


def _demo_password(home: Path) -> str:
    path = home / PASSWORD_FILE
    if path.is_file():
        saved = path.read_text(encoding="utf-8").strip()
        if saved:
            return saved
    password = secrets.token_urlsafe(12)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    return password


def ensure_demo_curator(settings: Settings, session: Session) -> tuple[str, str]:
    """The demo curator's email and password, creating the account (or restoring its password
    and role) as needed; commits."""
    password = _demo_password(settings.home)
    user = find_user(session, DEMO_CURATOR_EMAIL)
    if user is None:
        create_user(session, DEMO_CURATOR_EMAIL, password, Role.CURATOR)
    else:
        user.password_hash = generate_password_hash(password, method="scrypt")
        user.role = Role.CURATOR
        user.active = True
    session.commit()
    return DEMO_CURATOR_EMAIL, password
