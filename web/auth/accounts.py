"""The signed-in account as Flask-Login sees it, and how a session is turned back into one."""

from __future__ import annotations

from dataclasses import dataclass

from flask import redirect, request, url_for
from flask_login import LoginManager, login_user
from werkzeug.wrappers import Response

from archive.grants import RANK, Action, Permissions, may, permissions_of
from archive.models import Role, User, Ware
from archive.user_sessions import open_session, user_of_session
from web.views.context import db_session

# The browser keeps the new-ware form as typed under this prefix and the account's id
# (``web/static/safe_edits.js``); signing out forgets every such key.
LOCAL_DRAFT_PREFIX = "potbank:new-ware:"

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
    # Its roles everywhere, per institution and per collection (see archive.grants).
    permissions: Permissions

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        # The server-side session's token: the cookie names a session, not an account, so a
        # session closed on the server is refused whatever cookie still names it.
        return self.session_token

    @property
    def is_curator(self) -> bool:
        """Curators and admins of their own role curate every institution's wares."""
        return self.role in (Role.CURATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        """An admin everywhere (an institution's admin is not)."""
        return self.role is Role.ADMIN

    @property
    def curates_somewhere(self) -> bool:
        """Curator of something: everywhere, an institution or a collection."""
        return self.permissions.anywhere(Action.PUBLISH)

    @property
    def contributes(self) -> bool:
        """May add wares to some institution (the new-ware form, bulk upload)."""
        return self.permissions.anywhere(Action.CONTRIBUTE)

    @property
    def manages_accounts(self) -> bool:
        """Admin everywhere or of an institution: may invite people and give roles."""
        return self.permissions.anywhere(Action.MANAGE_ACCOUNTS)

    @property
    def home_role(self) -> Role:
        """The role to name beside the account: its own, or the one a grant gives it in its
        institution (a partner made curator of their museum is shown as its curator)."""
        rank = self.permissions.rank_in(self.institution_id)
        return next((role for role, value in RANK.items() if value == rank), self.role)

    def may(self, action: Action, ware: Ware) -> bool:
        """Whether this account may do ``action`` to ``ware`` (see archive.grants.may)."""
        return may(self.permissions, action, ware)

    @classmethod
    def of(cls, user: User, session_token: str, permissions: Permissions) -> Account:
        return cls(
            id=user.id,
            email=user.email,
            role=user.role,
            institution_id=user.institution_id,
            institution_name=user.institution.name if user.institution else None,
            session_token=session_token,
            permissions=permissions,
        )


@login_manager.user_loader
def load_account(session_token: str) -> Account | None:
    """The account whose server-side session the cookie names, while that session is open and
    the account active (checked on every request)."""
    session = db_session()
    user = user_of_session(session, session_token)
    if user is None:
        return None
    return Account.of(user, session_token, permissions_of(session, user))


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
    login_user(Account.of(user, token, permissions_of(db_session(), user)))
