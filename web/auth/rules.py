"""Access rules: every curating route states one, and the decorator enforces it."""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user

from web.auth.accounts import Account, login_manager

View = TypeVar("View", bound=Callable[..., Any])


class Rule(enum.StrEnum):
    """Who may use a route; object rules (a partner sees only their institution's unpublished
    wares) are checked by the view on top of this."""

    PUBLIC = "anyone"
    SIGNED_IN = "any signed-in account"
    CURATOR = "curators and admins"
    # Curators and admins of an institution or a collection pass too; the view then checks
    # each ware against the account's scope (archive.grants.may).
    SCOPED_CURATOR = "curators and admins, everywhere or of an institution or collection"
    ADMIN = "admins"
    ACCOUNT_ADMIN = "admins, and admins of an institution"


def current_account() -> Account | None:
    """The signed-in account, or None for the public."""
    return cast(Account, current_user) if current_user.is_authenticated else None


def _allowed(rule: Rule, account: Account) -> bool:
    if rule is Rule.CURATOR:
        return account.is_curator
    if rule is Rule.SCOPED_CURATOR:
        return account.curates_somewhere
    if rule is Rule.ADMIN:
        return account.is_admin
    if rule is Rule.ACCOUNT_ADMIN:
        return account.manages_accounts
    return True


def access(rule: Rule) -> Callable[[View], View]:
    """State and enforce ``rule`` on a view; the rule is kept on it as ``access_rule``."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if rule is not Rule.PUBLIC:
                account = current_account()
                if account is None:
                    return login_manager.unauthorized()
                if not _allowed(rule, account):
                    abort(403)
            return view(*args, **kwargs)

        guarded.access_rule = rule  # type: ignore[attr-defined]
        return cast(View, guarded)

    return decorate
