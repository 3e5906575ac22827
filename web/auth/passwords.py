"""The rules for a password someone chooses: on an invitation, their own change, an admin's
reset."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from archive.users import MIN_PASSWORD_LENGTH
from web.auth.views import MAX_PASSWORD_LENGTH
from web.views.formatting import translate as _


def check_password(data: MultiDict[str, str], errors: dict[str, str]) -> str:
    """The new password of a form (``password`` typed twice), or an error in ``errors``.

    The rules are ``create_user``'s, plus the most that the sign-in form reads.
    """
    password = data.get("password", "")
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _(
            "The password must have at least {n} characters.", n=MIN_PASSWORD_LENGTH
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        errors["password"] = _(
            "The password is too long: {n} characters at most.", n=f"{MAX_PASSWORD_LENGTH:,}"
        )
    elif data.get("password_again", "") != password:
        errors["password_again"] = _("The two passwords are not the same.")
    return password
