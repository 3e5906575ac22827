"""Accounts for admins: who can sign in, with which role and institution; adding an account,
giving one a new password, and turning an account off or on again."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from archive.accounts import list_users, reset_password, set_active
from archive.catalogue import record_audit
from archive.ids import parse_id
from archive.models import Institution, Role, User
from archive.users import MIN_PASSWORD_LENGTH, AccountError, create_user, find_user
from web.auth import Rule, access
from web.auth.accounts import sign_in_as
from web.auth.views import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH
from web.curate.access import actor
from web.curate.blueprint import curate
from web.curate.forms import clean_text
from web.views.context import db_session
from web.views.formatting import translate as _

ROLES = tuple(role.value for role in Role)
NOT_IN_EMAIL = set("@<>\"'`()[]\\,;:")


@dataclass
class AccountForm:
    """The new-account form as submitted (never the password), and what is wrong with it."""

    email: str = ""
    role: str = Role.PARTNER.value
    institution: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _user(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _institutions() -> list[Institution]:
    return list(db_session().scalars(select(Institution).order_by(Institution.name)))


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


def _valid_email(address: str) -> bool:
    # One @ with something either side, and none of the characters that only markup needs.
    local, at, domain = address.partition("@")
    return (
        bool(at and local and domain)
        and len(address) <= MAX_EMAIL_LENGTH
        and not any(char.isspace() or char in NOT_IN_EMAIL for char in local + domain)
    )


def read_account_form(data: MultiDict[str, str]) -> tuple[AccountForm, Institution | None, str]:
    """Read and check the new-account form: the form, the chosen institution and the password."""
    form = AccountForm(
        email=clean_text(data.get("email")).lower()[: MAX_EMAIL_LENGTH + 1],
        role=data.get("role", ""),
        institution=data.get("institution", "").strip(),
    )
    if not _valid_email(form.email):
        form.errors["email"] = _("An email address, such as name@museum.org.")
    elif find_user(db_session(), form.email) is not None:
        form.errors["email"] = _("An account with this email already exists.")
    if form.role not in ROLES:
        form.errors["role"] = _("Choose a role.")
    institution = None
    if form.institution:
        institution_id = parse_id(form.institution)
        institution = (
            db_session().get(Institution, institution_id) if institution_id is not None else None
        )
        if institution is None:
            form.errors["institution"] = _("Choose one of the institutions.")
    elif form.role == Role.PARTNER.value:
        form.errors["institution"] = _("A partner belongs to an institution: choose one.")
    password = check_password(data, form.errors)
    return form, institution, password


def _new_account_page(form: AccountForm, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "curate/user_new.html",
        form=form,
        roles=ROLES,
        institutions=_institutions(),
        min_length=MIN_PASSWORD_LENGTH,
    )
    return page, status


@curate.get("/users")
@access(Rule.ADMIN)
def users() -> str:
    """Every account."""
    return render_template("curate/users.html", users=list_users(db_session()))


@curate.route("/users/new", methods=["GET", "POST"])
@access(Rule.ADMIN)
def new_user() -> Response | tuple[str, int]:
    """A blank account form; saving adds the account with its first password."""
    if request.method == "GET":
        return _new_account_page(AccountForm())
    form, institution, password = read_account_form(request.form)
    if form.errors:
        return _new_account_page(form, 422)
    email, admin_id = actor()
    try:
        user = create_user(db_session(), form.email, password, Role(form.role), institution)
        record_audit(
            db_session(),
            actor=email,
            user_id=admin_id,
            action="create",
            entity_type="user",
            entity_id=user.id,
            before=None,
            # The password, even hashed, never goes into the audit trail.
            after={
                "email": user.email,
                "role": user.role.value,
                "institution": institution.name if institution else None,
            },
        )
        db_session().commit()
    except (AccountError, IntegrityError):
        # Only a race is left here (the form was checked): the same email added meanwhile.
        db_session().rollback()
        form.errors["email"] = _("An account with this email already exists.")
        return _new_account_page(form, 422)
    flash(_("{email} added as {role}.", email=user.email, role=_(user.role.value)))
    return redirect(url_for("curate.users"))


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
