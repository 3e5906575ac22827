"""Inviting people: an admin (or an institution's admin, into their institution) names an email,
a role and where it applies; the invitation's link is mailed when mail is configured, and shown
to the admin once otherwise. Pending invitations can be revoked."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archive.invitations import (
    LIFETIME,
    Invitation,
    InvitationError,
    Issued,
    may_invite,
    revoke,
)
from archive.invitations import (
    invite as make_invitation,
)
from archive.models import Role
from archive.users import find_user
from web.auth import Rule, access
from web.auth.views import MAX_EMAIL_LENGTH
from web.curate.access import actor, signed_in
from web.curate.blueprint import curate
from web.curate.forms import clean_text
from web.curate.users import ROLES, Scope, chosen_scope, scopes, valid_email
from web.mail import MailFailed, send_invitation
from web.views.context import db_session, settings
from web.views.formatting import translate as _


@dataclass
class InviteForm:
    """The invitation form as submitted, and what is wrong with it."""

    email: str = ""
    role: str = Role.PARTNER.value
    scope: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def invitation_link(token: str) -> str:
    """The link the invited person opens (this site's address as the request reached it)."""
    return url_for("auth.accept_invitation", token=token, _external=True)


def _page(form: InviteForm, status: int = 200, link: str | None = None) -> tuple[str, int]:
    account = signed_in()
    return (
        render_template(
            "curate/invite.html",
            form=form,
            roles=ROLES,
            scopes=scopes(account),
            link=link,
            days=LIFETIME.days,
            mail=settings().mail_enabled,
        ),
        status,
    )


def _read(form: InviteForm) -> Scope | None:
    account = signed_in()
    if not valid_email(form.email):
        form.errors["email"] = _("An email address, such as name@museum.org.")
    elif find_user(db_session(), form.email) is not None:
        form.errors["email"] = _("An account with this email already exists.")
    if form.role not in ROLES:
        form.errors["role"] = _("Choose a role.")
    scope = chosen_scope(account, form.scope)
    if scope is None or (
        form.role in ROLES
        and not may_invite(account.permissions, Role(form.role), scope.institution_id)
    ):
        form.errors["scope"] = _("Choose where the role applies.")
    elif form.role == Role.PARTNER.value and scope.institution is None:
        form.errors["scope"] = _("A partner belongs to an institution: choose one.")
    elif scope.collection is not None and form.role != Role.CURATOR.value:
        form.errors["scope"] = _("A collection has curators: invite a curator to it.")
    return scope


@curate.route("/users/invite", methods=["GET", "POST"])
@access(Rule.ACCOUNT_ADMIN)
def invite() -> Response | tuple[str, int]:
    """The invitation form; sending it mails the link, or shows it here once without mail."""
    if request.method == "GET":
        return _page(InviteForm())
    form = InviteForm(
        email=clean_text(request.form.get("email")).lower()[: MAX_EMAIL_LENGTH + 1],
        role=request.form.get("role", ""),
        scope=request.form.get("scope", ""),
    )
    scope = _read(form)
    if form.errors or scope is None:
        return _page(form, 422)
    email, admin_id = actor()
    try:
        issued: Issued = make_invitation(
            db_session(),
            form.email,
            Role(form.role),
            institution=scope.institution,
            collection=scope.collection,
            actor=email,
            actor_id=admin_id,
        )
    except InvitationError:
        db_session().rollback()
        form.errors["email"] = _("An account with this email already exists.")
        return _page(form, 422)
    db_session().commit()
    link = invitation_link(issued.token)
    try:
        mailed = send_invitation(settings(), form.email, link, email, LIFETIME.days)
    except MailFailed as error:
        current_app.logger.warning("invitation mail to %s failed: %s", form.email, error)
        flash(_("The mail could not be sent. Pass the link on yourself."), "error")
        mailed = False
    if mailed:
        flash(_("Invitation sent to {email}.", email=form.email))
        return redirect(url_for("curate.users"))
    # Shown once: only the token's digest is kept, so this page is the only copy of the link.
    return _page(InviteForm(), 200, link=link)


@curate.post("/invitations/<int:invitation_id>/revoke")
@access(Rule.ACCOUNT_ADMIN)
def revoke_invitation(invitation_id: int) -> Response:
    """Revoke a pending invitation: its link opens nothing any more."""
    account = signed_in()
    invitation = db_session().get(Invitation, invitation_id)
    if invitation is None or not may_invite(
        account.permissions, invitation.role, invitation.institution_id
    ):
        abort(404)
    email, admin_id = actor()
    if revoke(db_session(), invitation, actor=email, actor_id=admin_id):
        db_session().commit()
        flash(_("Invitation to {email} revoked.", email=invitation.email))
    else:
        flash(_("This invitation was no longer pending."), "error")
    return redirect(url_for("curate.users"))
