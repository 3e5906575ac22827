"""Invitations and scoped roles in the archive: the token's life (single use, expiry,
revocation), what an accepted invitation gives, and the permission answers per scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.account_tables import Grant, Invitation, InvitationState
from archive.catalogue import get_or_create_collection, get_or_create_institution, upsert_ware
from archive.grants import (
    Action,
    GrantError,
    give_grant,
    may,
    permissions_of,
    revoke_grant,
)
from archive.invitations import (
    InvitationError,
    accept,
    digest,
    invite,
    open_invitation,
    revoke,
)
from archive.models import AuditEvent, Role, WareStatus, utcnow
from archive.users import create_user, password_matches

PASSWORD = "a long new password"


def _audit(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_an_invitation_stores_only_the_digest_and_is_used_once(session: Session):
    museum = get_or_create_institution(session, "Museum A")
    issued = invite(session, "Someone@Example.org", Role.PARTNER, institution=museum, actor="ad")
    session.commit()
    stored = session.scalars(select(Invitation)).one()
    assert stored.email == "someone@example.org"
    assert stored.token_hash == digest(issued.token) and issued.token not in stored.token_hash
    assert len(issued.token) >= 40
    assert stored.state() is InvitationState.PENDING
    assert stored.expires_at is not None

    user = accept(session, issued.token, PASSWORD)
    session.commit()
    assert user.role is Role.PARTNER and user.institution_id == museum.id
    assert password_matches(user, PASSWORD)
    assert stored.state() is InvitationState.ACCEPTED and stored.user_id == user.id
    # A second use is refused, whatever password it brings.
    with pytest.raises(InvitationError) as refused:
        accept(session, issued.token, "another long password")
    assert refused.value.reason == "used"
    session.rollback()
    assert [event.entity_id for event in _audit(session, "invite")] == [stored.id]
    assert [event.user_id for event in _audit(session, "accept_invitation")] == [user.id]


def test_an_expired_invitation_opens_nothing(session: Session):
    issued = invite(session, "late@example.org", Role.CURATOR, actor="ad", lifetime=timedelta(0))
    session.commit()
    with pytest.raises(InvitationError) as refused:
        accept(session, issued.token, PASSWORD)
    assert refused.value.reason == "expired"
    session.rollback()
    stored = session.scalars(select(Invitation)).one()
    assert stored.state(utcnow() + timedelta(seconds=1)) is InvitationState.EXPIRED
    assert stored.state(utcnow() - timedelta(days=1)) is InvitationState.PENDING
    assert stored.accepted_at is None


def test_a_revoked_invitation_opens_nothing_and_revoking_is_audited(session: Session):
    issued = invite(session, "gone@example.org", Role.CURATOR, actor="ad")
    session.commit()
    assert revoke(session, issued.invitation, actor="ad") is True
    # Revoking twice changes nothing more.
    assert revoke(session, issued.invitation, actor="ad") is False
    session.commit()
    with pytest.raises(InvitationError) as refused:
        open_invitation(session, issued.token)
    assert refused.value.reason == "revoked"
    assert len(_audit(session, "revoke_invitation")) == 1


def test_unknown_and_oversized_tokens_are_refused(session: Session):
    for token in ("", "nothing", "x" * 10_000):
        with pytest.raises(InvitationError) as refused:
            open_invitation(session, token)
        assert refused.value.reason == "unknown"


def test_a_new_invitation_replaces_the_pending_one(session: Session):
    first = invite(session, "twice@example.org", Role.CURATOR, actor="ad")
    second = invite(session, "twice@example.org", Role.CURATOR, actor="ad")
    session.commit()
    with pytest.raises(InvitationError):
        open_invitation(session, first.token)
    assert open_invitation(session, second.token).id == second.invitation.id


@pytest.mark.parametrize(
    ("email", "role", "scoped", "reason"),
    [
        ("not-an-address", Role.CURATOR, False, "email"),
        ("taken@example.org", Role.CURATOR, False, "exists"),
        ("partner@example.org", Role.PARTNER, False, "scope"),
    ],
)
def test_impossible_invitations_are_refused(session: Session, email, role, scoped, reason):
    create_user(session, "taken@example.org", PASSWORD, Role.CURATOR)
    with pytest.raises(InvitationError) as refused:
        invite(session, email, role, actor="ad")
    assert refused.value.reason == reason


def test_a_collection_curator_is_a_partner_of_its_institution_and_curator_of_it(
    session: Session,
):
    museum = get_or_create_institution(session, "Museum A")
    other = get_or_create_institution(session, "Museum B")
    export = get_or_create_collection(session, museum, "Export porcelain")
    inside, _ = upsert_ware(
        session,
        institution=museum,
        accession_number="IN-1",
        fields={"title_en": "In"},
        collection=export,
    )
    beside, _ = upsert_ware(session, institution=museum, accession_number="OUT-1", fields={})
    elsewhere, _ = upsert_ware(session, institution=other, accession_number="B-1", fields={})
    issued = invite(session, "keeper@example.org", Role.CURATOR, collection=export, actor="ad")
    user = accept(session, issued.token, PASSWORD)
    session.commit()
    assert (user.role, user.institution_id) == (Role.PARTNER, museum.id)
    [grant] = session.scalars(select(Grant)).all()
    assert (grant.role, grant.collection_id, grant.institution_id) == (
        Role.CURATOR,
        export.id,
        None,
    )
    permissions = permissions_of(session, user)
    assert inside.collection_id == export.id
    assert may(permissions, Action.PUBLISH, inside)
    assert not may(permissions, Action.PUBLISH, beside) and may(permissions, Action.EDIT, beside)
    assert not may(permissions, Action.SEE, elsewhere)
    beside.status = WareStatus.PUBLISHED
    inside.status = WareStatus.PUBLISHED
    # A published ware is changed only by those who may publish it.
    assert not may(permissions, Action.EDIT, beside) and may(permissions, Action.EDIT, inside)
    assert not permissions.anywhere(Action.MANAGE_ACCOUNTS)


def test_grants_raise_a_role_in_one_institution_and_are_audited(session: Session):
    museum = get_or_create_institution(session, "Museum A")
    other = get_or_create_institution(session, "Museum B")
    ware_b, _ = upsert_ware(session, institution=other, accession_number="B-1", fields={})
    partner = create_user(session, "p@example.org", PASSWORD, Role.PARTNER, museum)
    assert not may(permissions_of(session, partner), Action.SEE, ware_b)
    grant = give_grant(session, partner, Role.CURATOR, institution=other, actor="ad")
    # Giving a role again in the same scope changes it rather than adding a second grant.
    give_grant(session, partner, Role.ADMIN, institution=other, actor="ad")
    session.commit()
    assert session.scalars(select(Grant)).all() == [grant] and grant.role is Role.ADMIN
    permissions = permissions_of(session, partner)
    assert may(permissions, Action.PUBLISH, ware_b)
    assert permissions.institution_ids(Action.MANAGE_ACCOUNTS) == {other.id}
    with pytest.raises(GrantError):
        give_grant(session, partner, Role.CURATOR, actor="ad")
    revoke_grant(session, grant, actor="ad", actor_id=None)
    session.commit()
    assert not may(permissions_of(session, partner), Action.SEE, ware_b)
    user_events = select(AuditEvent).where(AuditEvent.entity_type == "user")
    assert [e.action for e in session.scalars(user_events.order_by(AuditEvent.id))] == [
        "grant",
        "grant",
        "revoke_grant",
    ]


def test_global_roles_still_mean_everywhere(session: Session):
    museum = get_or_create_institution(session, "Museum A")
    ware, _ = upsert_ware(session, institution=museum, accession_number="A-1", fields={})
    curator = create_user(session, "c@example.org", PASSWORD, Role.CURATOR)
    admin = create_user(session, "a@example.org", PASSWORD, Role.ADMIN)
    session.commit()
    for user in (curator, admin):
        permissions = permissions_of(session, user)
        assert permissions.ware_condition(Action.PUBLISH) is None
        assert may(permissions, Action.PUBLISH, ware)
    assert permissions_of(session, admin).institution_ids(Action.MANAGE_ACCOUNTS) is None
    assert permissions_of(session, curator).institution_ids(Action.MANAGE_ACCOUNTS) == set()
