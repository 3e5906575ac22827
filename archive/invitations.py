"""Invitations: an admin names a person's email and role; the person opens a link, chooses a
password, and the account is made. Nobody but its owner ever knows the password.

The link carries a random token; only its SHA-256 is stored, so a copy of the database opens
no account. An invitation is used once, lapses after ``LIFETIME``, and can be revoked. What an
invitation gives, by role and scope:

- admin or curator, no institution: that role everywhere;
- partner of an institution: a partner there (the account's institution);
- curator or admin of an institution: a partner there, raised to that role by a grant;
- curator of a collection: a partner of its institution, curator of that collection.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from archive.account_tables import Invitation, InvitationState, _aware
from archive.catalogue import record_audit
from archive.grants import RANK, Action, Permissions, give_grant, may_in_institution
from archive.models import Collection, Institution, Role, User, utcnow
from archive.users import AccountError, create_user, find_user, normalise_email

LIFETIME = timedelta(days=7)
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100


class InvitationError(ValueError):
    """An invitation that cannot be made or used; ``reason`` says which case (for messages)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Issued:
    """A new invitation and its token: the token is shown or sent once and never stored."""

    invitation: Invitation
    token: str


def may_invite(permissions: Permissions, role: Role, institution_id: int | None) -> bool:
    """Admins invite anyone; an institution's admins invite into their institution only."""
    if institution_id is None:
        return permissions.everywhere >= RANK[Role.ADMIN]
    return may_in_institution(permissions, Action.MANAGE_ACCOUNTS, institution_id)


def _describe(invitation: Invitation) -> dict[str, object]:
    return {
        "email": invitation.email,
        "role": invitation.role.value,
        "institution_id": invitation.institution_id,
        "collection_id": invitation.collection_id,
        "expires_at": _aware(invitation.expires_at).isoformat(timespec="seconds"),
    }


def invite(
    session: Session,
    email: str,
    role: Role,
    *,
    institution: Institution | None = None,
    collection: Collection | None = None,
    actor: str,
    actor_id: int | None = None,
    lifetime: timedelta = LIFETIME,
) -> Issued:
    """Make an invitation (audited); earlier pending invitations of the same email lapse."""
    address = normalise_email(email)
    if "@" not in address or len(address) > 254:
        raise InvitationError("email", f"not an email address: {email!r}")
    if find_user(session, address) is not None:
        raise InvitationError("exists", f"a user {address} already exists")
    if collection is not None:
        if institution is not None and institution.id != collection.institution_id:
            raise InvitationError("scope", "the collection belongs to another institution")
        if role is not Role.CURATOR:
            raise InvitationError("scope", "a collection has curators: invite a curator")
        institution = collection.institution
    if role is Role.PARTNER and institution is None:
        raise InvitationError("scope", "a partner belongs to an institution: give one")
    now = utcnow()
    for earlier in session.scalars(
        select(Invitation).where(
            Invitation.email == address,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        revoke(session, earlier, actor=actor, actor_id=actor_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation(
        email=address,
        role=role,
        institution=institution,
        collection=collection,
        token_hash=digest(token),
        created_at=now,
        expires_at=now + lifetime,
        invited_by=actor[:254],
        invited_by_id=actor_id,
    )
    session.add(invitation)
    session.flush()
    record_audit(
        session,
        actor=actor,
        user_id=actor_id,
        action="invite",
        entity_type="invitation",
        entity_id=invitation.id,
        before=None,
        after=_describe(invitation),
    )
    return Issued(invitation, token)


def find_invitation(session: Session, token: str) -> Invitation | None:
    """The invitation a link's token names, in whatever state, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalar(select(Invitation).where(Invitation.token_hash == digest(token)))


def open_invitation(session: Session, token: str) -> Invitation:
    """The pending invitation ``token`` names, or InvitationError saying why it cannot be used."""
    invitation = find_invitation(session, token)
    if invitation is None:
        raise InvitationError("unknown", "no such invitation")
    state = invitation.state()
    if state is InvitationState.ACCEPTED:
        raise InvitationError("used", "this invitation has been used already")
    if state is InvitationState.REVOKED:
        raise InvitationError("revoked", "this invitation has been revoked")
    if state is InvitationState.EXPIRED:
        raise InvitationError("expired", "this invitation has expired")
    return invitation


def accept(session: Session, token: str, password: str) -> User:
    """Make the invited account with the password its owner chose, and give its roles.

    Single use even under a race: the invitation is claimed by one conditional UPDATE, and only
    the request that changed the row goes on.
    """
    invitation = open_invitation(session, token)
    now = utcnow()
    claimed = session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvitationError("used", "this invitation has been used already")
    session.refresh(invitation)
    scoped = invitation.institution_id is not None
    own_role = Role.PARTNER if scoped else invitation.role
    try:
        user = create_user(session, invitation.email, password, own_role, invitation.institution)
    except AccountError as error:
        raise InvitationError("account", str(error)) from None
    invitation.user_id = user.id
    record_audit(
        session,
        actor=user.email,
        user_id=user.id,
        action="accept_invitation",
        entity_type="invitation",
        entity_id=invitation.id,
        before=None,
        after={"user_id": user.id, "role": own_role.value},
    )
    if scoped and invitation.role is not Role.PARTNER:
        give_grant(
            session,
            user,
            invitation.role,
            institution=None if invitation.collection else invitation.institution,
            collection=invitation.collection,
            actor=invitation.invited_by,
            actor_id=invitation.invited_by_id,
        )
    return user


def revoke(
    session: Session, invitation: Invitation, *, actor: str, actor_id: int | None = None
) -> bool:
    """Revoke a pending invitation (audited); False if it was no longer pending."""
    if invitation.state() is not InvitationState.PENDING:
        return False
    invitation.revoked_at = utcnow()
    record_audit(
        session,
        actor=actor,
        user_id=actor_id,
        action="revoke_invitation",
        entity_type="invitation",
        entity_id=invitation.id,
        before=_describe(invitation),
        after=None,
    )
    return True


def list_invitations(
    session: Session, institution_ids: set[int] | None = None, limit: int = 200
) -> list[Invitation]:
    """The latest invitations, newest first; only those into ``institution_ids`` if given."""
    query = select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc())
    if institution_ids is not None:
        query = query.where(Invitation.institution_id.in_(institution_ids))
    return list(session.scalars(query.limit(limit)))
