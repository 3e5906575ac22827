"""Accounts for admins: who can sign in, with which role and institution and which roles in
other scopes; giving one a new password, and turning an account off or on again. New accounts
come by invitation (``web.curate.invitations``): nobody types another person's password."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from archive.account_tables import Grant
from archive.accounts import list_users, reset_password, set_active
from archive.grants import Action, GrantError, give_grant, grants_of_users, revoke_grant
from archive.invitations import list_invitations
from archive.models import Collection, Institution, Role, User, utcnow
from archive.users import MIN_PASSWORD_LENGTH
from web.auth import Rule, access
from web.auth.accounts import Account, sign_in_as
from web.auth.passwords import check_password
from web.auth.views import MAX_EMAIL_LENGTH
from web.curate.access import actor, signed_in
from web.curate.blueprint import curate
from web.views.context import db_session
from web.views.formatting import translate as _

ROLES = tuple(role.value for role in Role)
NOT_IN_EMAIL = set("@<>\"'`()[]\\,;:")


def _user(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@dataclass(frozen=True)
class Scope:
    """Where a role applies: everywhere, one institution, or one collection."""

    key: str
    label: str
    institution: Institution | None = None
    collection: Collection | None = None

    @property
    def institution_id(self) -> int | None:
        if self.collection is not None:
            return self.collection.institution_id
        return self.institution.id if self.institution is not None else None


def scopes(account: Account) -> list[Scope]:
    """The scopes this account may give roles in: everywhere for admins, else the institutions
    it administers and their collections."""
    managed = account.permissions.institution_ids(Action.MANAGE_ACCOUNTS)
    institutions = select(Institution).order_by(Institution.name)
    collections = select(Collection).join(Institution).order_by(Institution.name, Collection.name)
    found = []
    if managed is None:
        found.append(Scope("", _("everywhere")))
    else:
        institutions = institutions.where(Institution.id.in_(managed))
        collections = collections.where(Collection.institution_id.in_(managed))
    for institution in db_session().scalars(institutions):
        found.append(Scope(f"institution:{institution.id}", institution.name, institution))
    for collection in db_session().scalars(collections):
        label = f"{collection.institution.name} · {collection.name}"
        found.append(Scope(f"collection:{collection.id}", label, collection=collection))
    return found


def chosen_scope(account: Account, key: str) -> Scope | None:
    """The scope a form names, if this account may give roles in it."""
    return next((scope for scope in scopes(account) if scope.key == key), None)


def _managed_users(account: Account) -> list[User]:
    """Every account for admins; for an institution's admin, the accounts of its institutions
    and those holding a role in them or their collections."""
    every = list_users(db_session())
    managed = account.permissions.institution_ids(Action.MANAGE_ACCOUNTS)
    if managed is None:
        return every
    collections = set(
        db_session().scalars(select(Collection.id).where(Collection.institution_id.in_(managed)))
    )
    holders = set(
        db_session().scalars(
            select(Grant.user_id).where(
                Grant.institution_id.in_(managed) | Grant.collection_id.in_(collections)
            )
        )
    )
    return [user for user in every if user.institution_id in managed or user.id in holders]


@curate.get("/users")
@access(Rule.ACCOUNT_ADMIN)
def users() -> str:
    """The accounts this admin manages, with their roles, and the invitations."""
    account = signed_in()
    shown = _managed_users(account)
    managed = account.permissions.institution_ids(Action.MANAGE_ACCOUNTS)
    return render_template(
        "curate/users.html",
        users=shown,
        grants=grants_of_users(db_session(), [user.id for user in shown]),
        invitations=list_invitations(db_session(), managed),
        scopes=[scope for scope in scopes(account) if scope.key],
        roles=ROLES,
        now=utcnow(),
    )


@curate.post("/users/<int:user_id>/grants")
@access(Rule.ACCOUNT_ADMIN)
def add_grant(user_id: int) -> Response:
    """Give an account a role in one institution or collection (audited)."""
    account = signed_in()
    # Any account may be given a role in a scope this admin manages (only that scope's wares).
    user = _user(user_id)
    scope = chosen_scope(account, request.form.get("scope", ""))
    role = request.form.get("role", "")
    if scope is None or role not in ROLES or scope.institution_id is None:
        flash(_("Choose a role and where it applies."), "error")
        return redirect(url_for("curate.users"))
    email, admin_id = actor()
    try:
        give_grant(
            db_session(),
            user,
            Role(role),
            institution=scope.institution,
            collection=scope.collection,
            actor=email,
            actor_id=admin_id,
        )
    except GrantError:
        db_session().rollback()
        flash(_("An admin's role is for a whole institution."), "error")
        return redirect(url_for("curate.users"))
    db_session().commit()
    flash(_("{email} is now {role} of {scope}.", email=user.email, role=_(role), scope=scope.label))
    return redirect(url_for("curate.users"))


@curate.post("/grants/<int:grant_id>/delete")
@access(Rule.ACCOUNT_ADMIN)
def remove_grant(grant_id: int) -> Response:
    """Take back a role in one scope (audited)."""
    account = signed_in()
    grant = db_session().get(Grant, grant_id)
    if grant is None:
        abort(404)
    key = (
        f"institution:{grant.institution_id}"
        if grant.institution_id is not None
        else f"collection:{grant.collection_id}"
    )
    if chosen_scope(account, key) is None:
        abort(404)
    email, admin_id = actor()
    revoke_grant(db_session(), grant, actor=email, actor_id=admin_id)
    db_session().commit()
    flash(_("Role taken back."))
    return redirect(url_for("curate.users"))


def valid_email(address: str) -> bool:
    # One @ with something either side, and none of the characters that only markup needs.
    local, at, domain = address.partition("@")
    return (
        bool(at and local and domain)
        and len(address) <= MAX_EMAIL_LENGTH
        and not any(char.isspace() or char in NOT_IN_EMAIL for char in local + domain)
    )


@curate.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@access(Rule.ADMIN)
def reset_user_password(user_id: int) -> Response | tuple[str, int]:
    """Give an account a new password; its open sessions end."""
    user = _user(user_id)
    errors: dict[str, str] = {}
    if request.method == "GET":
        return render_template(
            "curate/user_password.html", user=user, errors=errors, min_length=MIN_PASSWORD_LENGTH
        ), 200
    password = check_password(request.form, errors)
    if errors:
        page = render_template(
            "curate/user_password.html", user=user, errors=errors, min_length=MIN_PASSWORD_LENGTH
        )
        return page, 422
    email, admin_id = actor()
    reset_password(db_session(), user.email, password, actor=email)
    db_session().commit()
    if user.id == admin_id:
        # An admin's own session ends with the old password; carry on with the new one.
        sign_in_as(user)
    flash(_("New password set for {email}. Their open sessions have ended.", email=user.email))
    return redirect(url_for("curate.users"))


@curate.post("/users/<int:user_id>/active")
@access(Rule.ADMIN)
def set_user_active(user_id: int) -> Response:
    """Disable an account (its sessions end at once) or enable it again."""
    user = _user(user_id)
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
