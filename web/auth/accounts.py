"""The signed-in account as Flask-Login sees it, and how a session is turned back into one."""

from __future__ import annotations

from dataclasses import dataclass

from flask import redirect, request, url_for
from flask_login import LoginManager, login_user
from werkzeug.wrappers import Response

from archive.models import Role, User, Ware
from archive.user_sessions import open_session, user_of_session
from web.views.context import db_session

login_manager = LoginManager()
# "strong": a session cookie replayed from another address or browser is dropped.
login_manager.session_protection = "strong"


@dataclass(frozen=True)
class Account:
    """A signed-in user, detached from any database session so it can live for a request."""

    id: int
    email: str
    role: Role
    institution_id: int | None
    institution_name: str | None
    session_token: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        # The server-side session's token: the cookie names a session, not an account, so a
        # session closed on the server is refused whatever cookie still names it.
        return self.session_token

    @property
    def is_curator(self) -> bool:
        """Curators and admins curate every institution's wares."""
        return self.role in (Role.CURATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def owns(self, ware: Ware) -> bool:
        """Whether ``ware`` belongs to this account's institution."""
        return self.institution_id is not None and ware.institution_id == self.institution_id

    @classmethod
    def of(cls, user: User, session_token: str) -> Account:
        return cls(
            id=user.id,
            email=user.email,
            role=user.role,
            institution_id=user.institution_id,
            institution_name=user.institution.name if user.institution else None,
            session_token=session_token,
        )


@login_manager.user_loader
def load_account(session_token: str) -> Account | None:
    """The account whose server-side session the cookie names, while that session is open and
    the account active (checked on every request)."""
    user = user_of_session(db_session(), session_token)
    return Account.of(user, session_token) if user is not None else None


@login_manager.unauthorized_handler
def send_to_login() -> Response:
    """Anonymous visitors go to the sign-in page, which brings them back here afterwards."""
    # A relative path, never the full URL: the sign-in page only follows local paths.
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target.rstrip("?") if target else None))


def sign_in_as(user: User) -> None:
    """Open a server-side session for ``user`` (committed) and make it this browser's."""
    token = open_session(db_session(), user)
    db_session().commit()
    login_user(Account.of(user, token))
