"""Accepting an invitation: the invited person opens the link, chooses a password, and is
signed in to their new account. The page answers the same for an unknown, used, revoked or
expired link except for saying which, and never shows whose invitation it was unless valid."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from archive.invitations import InvitationError, accept, open_invitation
from archive.users import MIN_PASSWORD_LENGTH
from web.auth.accounts import sign_in_as
from web.auth.passwords import check_password
from web.auth.rules import Rule, access
from web.auth.views import auth
from web.views.context import db_session
from web.views.formatting import translate as _
from web.views.language import N_

REASONS = {
    "unknown": N_("This invitation link is not valid. Check that it was copied whole."),
    "used": N_("This invitation has been used already. Sign in with the password you chose."),
    "revoked": N_("This invitation has been withdrawn. Ask for a new one."),
    "expired": N_("This invitation has expired. Ask for a new one."),
    "account": N_("An account with this email already exists. Sign in instead."),
}
# The token is in the path: no page reached from here may be told it (Referer).
NO_REFERRER = {"Referrer-Policy": "no-referrer"}


def _refused(reason: str) -> tuple[str, int, dict[str, str]]:
    page = render_template("auth/invitation.html", invitation=None, problem=_(REASONS[reason]))
    return page, 410 if reason != "unknown" else 404, NO_REFERRER


@auth.route("/invitations/<token>", methods=["GET", "POST"])
@access(Rule.PUBLIC)
def accept_invitation(token: str) -> Response | tuple[str, int, dict[str, str]]:
    """The invited person's page: choose a password; the account is made and signed in."""
    database = db_session()
    try:
        invitation = open_invitation(database, token)
    except InvitationError as refusal:
        return _refused(refusal.reason)
    errors: dict[str, str] = {}
    if request.method == "POST":
        password = check_password(request.form, errors)
        if not errors:
            try:
                user = accept(database, token, password)
            except InvitationError as refusal:
                database.rollback()
                return _refused(refusal.reason)
            database.commit()
            # A fresh session for the new account, as at sign-in.
            session.clear()
            sign_in_as(user)
            return redirect(url_for("curate.dashboard"))
    page = render_template(
        "auth/invitation.html",
        invitation=invitation,
        errors=errors,
        min_length=MIN_PASSWORD_LENGTH,
        problem=None,
    )
    return page, 422 if errors else 200, NO_REFERRER
