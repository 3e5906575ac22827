"""Accounts for admins: who can sign in, with which role and institution, and turning an
account off or on again (new accounts and password resets are made with ``potbank user``)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archive.accounts import list_users, set_active
from archive.models import User
from web.auth import Rule, access
from web.curate.access import actor
from web.curate.blueprint import curate
from web.views.context import db_session
from web.views.formatting import translate as _


@curate.get("/users")
@access(Rule.ADMIN)
def users() -> str:
    """Every account."""
    return render_template("curate/users.html", users=list_users(db_session()))


@curate.post("/users/<int:user_id>/active")
@access(Rule.ADMIN)
def set_user_active(user_id: int) -> Response:
    """Disable an account (its sessions end at once) or enable it again."""
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    email, admin_id = actor()
    wanted = request.form.get("active") == "1"
    if user.id == admin_id and not wanted:
        # An admin locking themselves out would leave nobody to undo it from the browser.
        flash(_("You cannot disable your own account."), "error")
        return redirect(url_for("curate.users"))
    set_active(db_session(), user.email, wanted, actor=email)
    db_session().commit()
    flash(
        _("{email} enabled.", email=user.email)
        if wanted
        else _("{email} disabled.", email=user.email)
    )
    return redirect(url_for("curate.users"))
