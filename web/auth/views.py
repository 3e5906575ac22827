"""Sign in and sign out."""

from __future__ import annotations

import math
from functools import cache

from flask import (
    Blueprint,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import logout_user
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from archive.accounts import record_failed_login
from archive.catalogue import record_audit
from archive.models import utcnow
from archive.user_sessions import close_session
from archive.users import find_user, password_matches
from web.auth.accounts import LOCAL_DRAFT_PREFIX, sign_in_as
from web.auth.redirects import safe_next
from web.auth.rules import Rule, access, current_account
from web.auth.throttle import address_wait, pair_wait
from web.views.context import db_session
from web.views.formatting import translate as _

auth = Blueprint("auth", __name__)

MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 1024


@cache
def _decoy_hash() -> str:
    # Checked against when the email is unknown, so a wrong email costs as long as a wrong
    # password and response times do not reveal which accounts exist.
    return generate_password_hash("decoy password never used", method="scrypt")


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _login_page(email: str, next_target: str, error: str | None, status: int) -> tuple[str, int]:
    return (
        render_template("auth/login.html", email=email, next=next_target, error=error),
        status,
    )


@auth.route("/login", methods=["GET", "POST"])
@access(Rule.PUBLIC)
def login() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    """The sign-in form; on success a fresh session, then back to ``next`` if it is local."""
    fallback = url_for("curate.dashboard")
    next_target = safe_next(request.values.get("next"), fallback)
    if request.method == "GET":
        if current_account() is not None:
            return redirect(next_target)
        return _login_page("", next_target, None, 200)
    email = request.form.get("email", "").strip()[:MAX_EMAIL_LENGTH]
    password = request.form.get("password", "")[:MAX_PASSWORD_LENGTH]
    database = db_session()
    wait = address_wait(database, _client_address())
    if email:
        wait = max(wait, pair_wait(database, email, _client_address()))
    if wait > 0:
        seconds = math.ceil(wait)
        message = _(
            "Too many failed attempts. Please wait {seconds} seconds and try again.",
            seconds=seconds,
        )
        page, status = _login_page(email, next_target, message, 429)
        return page, status, {"Retry-After": str(seconds)}
    user = find_user(database, email) if email else None
    if user is None:
        check_password_hash(_decoy_hash(), password)
    if user is None or not password_matches(user, password):
        if email:
            record_failed_login(database, email, _client_address())
            database.commit()
        # One message for every failure, so it never tells which accounts exist.
        return _login_page(email, next_target, _("Wrong email or password."), 401)
    user.last_login_at = utcnow()
    record_audit(
        database,
        actor=user.email,
        user_id=user.id,
        action="login",
        entity_type="user",
        entity_id=user.id,
        before=None,
        after={"address": _client_address()},
    )
    database.commit()
    # A brand-new session at sign-in: nothing planted in the old one (session fixation) survives,
    # and the CSRF token is issued afresh.
    session.clear()
    sign_in_as(user)
    return redirect(next_target)


@auth.get("/logout")
@access(Rule.PUBLIC)
def logout_form() -> Response | str:
    """A page with the sign-out button (signing out changes state, so it is a POST)."""
    if current_account() is None:
        return redirect(url_for("search.index"))
    return render_template("auth/logout.html", draft_prefix=LOCAL_DRAFT_PREFIX)


@auth.post("/logout")
@access(Rule.PUBLIC)
def logout() -> Response:
    """End the session, on the server too: a copy of the cookie is refused from now on."""
    account = current_account()
    if account is not None:
        close_session(db_session(), account.session_token)
        db_session().commit()
    logout_user()
    session.clear()
    response = redirect(url_for("search.index"))
    # What this browser keeps for Potbank goes too (the new-ware form kept as typed, the
    # lightbox), so the next person at a shared computer finds none of it. The sign-out
    # page's script removes the kept forms as well, for a browser that ignores the header.
    response.headers["Clear-Site-Data"] = '"storage"'
    return response
