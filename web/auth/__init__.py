"""Sign-in for curators, partners and admins: Flask-Login sessions, throttling and access rules.

``register(app)`` installs the login manager, the cookie settings and the sign-in pages.
"""

from __future__ import annotations

import os

from flask import Flask

from web.auth import invitations as _invitations  # noqa: F401  (its views join the blueprint)
from web.auth.accounts import login_manager
from web.auth.rules import Rule, access, current_account
from web.auth.views import auth

__all__ = ["Rule", "access", "current_account", "register"]

TRUE_WORDS = {"1", "true", "yes", "on"}


def secure_cookies_wanted() -> bool:
    """Whether cookies carry the Secure flag: POTBANK_SECURE_COOKIES, on behind HTTPS.

    Off by default because ``potbank serve`` and the demo speak plain HTTP on 127.0.0.1, where a
    browser would drop a Secure cookie and nobody could sign in.
    """
    return os.environ.get("POTBANK_SECURE_COOKIES", "").strip().lower() in TRUE_WORDS


def register(app: Flask) -> None:
    """Add sign-in to ``app``."""
    secure = secure_cookies_wanted()
    app.config.update(
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # No "remember me" is offered, but should the cookie ever be set it gets the same flags.
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    login_manager.init_app(app)
    app.register_blueprint(auth)
