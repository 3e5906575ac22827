"""A signed-in user's own account: changing their password (the current one required)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archive.accounts import change_own_password
from archive.models import User
from archive.users import MIN_PASSWORD_LENGTH, AccountError
from web.auth import Rule, access
from web.auth.accounts import sign_in_as
from web.auth.passwords import check_password
from web.auth.views import MAX_PASSWORD_LENGTH
from web.curate.access import signed_in
from web.curate.blueprint import curate
from web.views.context import db_session
from web.views.formatting import translate as _


def _page(errors: dict[str, str], status: int) -> tuple[str, int]:
    return (
        render_template(
            "curate/account_password.html", errors=errors, min_length=MIN_PASSWORD_LENGTH
        ),
        status,
    )


@curate.route("/account/password", methods=["GET", "POST"])
@access(Rule.SIGNED_IN)
def change_password() -> Response | tuple[str, int]:
    """Change one's own password; every other session of the account ends, this one goes on."""
    if request.method == "GET":
        return _page({}, 200)
    errors: dict[str, str] = {}
    current = request.form.get("current_password", "")[:MAX_PASSWORD_LENGTH]
    new = check_password(request.form, errors)
    if errors:
        return _page(errors, 422)
    database = db_session()
    user = database.get(User, signed_in().id)
    if user is None:
        return _page({"current_password": _("This account no longer exists.")}, 422)
    try:
        change_own_password(database, user, current, new)
    except AccountError:
        database.rollback()
        return _page({"current_password": _("That is not your current password.")}, 422)
    database.commit()
    sign_in_as(user)
    flash(_("Your password has been changed. Your other sessions have ended."))
    return redirect(url_for("curate.dashboard"))
