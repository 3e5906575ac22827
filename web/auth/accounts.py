"""The signed-in account as Flask-Login sees it, and how a session is turned back into one."""

from __future__ import annotations

from dataclasses import dataclass

from flask import redirect, request, url_for
from flask_login import LoginManager
from werkzeug.wrappers import Response

from archive.accounts import session_fingerprint
from archive.ids import parse_id
from archive.models import Role, User, Ware
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
    fingerprint: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        # The fingerprint of the password hash rides along, so a password reset ends sessions.
        return f"{self.id}:{self.fingerprint}"

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
    def of(cls, user: User) -> Account:
        return cls(
            id=user.id,
            email=user.email,
            role=user.role,
            institution_id=user.institution_id,
            institution_name=user.institution.name if user.institution else None,
            fingerprint=session_fingerprint(user),
        )


@login_manager.user_loader
def load_account(session_id: str) -> Account | None:
    """The account a session names, if it still exists, is active and has the same password."""
    user_id, _, fingerprint = session_id.partition(":")
    account_id = parse_id(user_id)
    if account_id is None:
        return None
    user = db_session().get(User, account_id)
    if user is None or not user.active or session_fingerprint(user) != fingerprint:
        return None
    return Account.of(user)


@login_manager.unauthorized_handler
def send_to_login() -> Response:
    """Anonymous visitors go to the sign-in page, which brings them back here afterwards."""
    # A relative path, never the full URL: the sign-in page only follows local paths.
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target.rstrip("?") if target else None))
