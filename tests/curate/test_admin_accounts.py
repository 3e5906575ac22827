"""Admins invite people and set new passwords in the browser: checked input, audited changes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from archive.invitations import Invitation
from archive.models import AuditEvent, Institution, User
from tests.curate.conftest import EMAILS, INSTITUTION_B, PASSWORD, Site, page_token
from tests.web.conftest import XSS

NEW_PASSWORD = "a brand new password"


def _user(site: Site, email: str) -> User | None:
    with site.sessions() as session:
        return session.scalar(select(User).where(User.email == email))


def _invitation_events(site: Site, action: str) -> list[AuditEvent]:
    with site.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity_type == "invitation", AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )


def _events(site: Site, action: str) -> list[AuditEvent]:
    with site.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity_type == "user", AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )


def _invitation(site: Site, **changes: Any) -> dict[str, Any]:
    return {
        "email": "new.partner@jci.example",
        "role": "partner",
        "scope": f"institution:{site.institution_b}",
    } | changes


def _signs_in(client, email: str, password: str) -> bool:  # type: ignore[no-untyped-def]
    token = page_token(client)
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/login", data=data).status_code == 302


def _link(page: str) -> str:
    match = re.search(r'value="(http://localhost/invitations/[^"]+)"', page)
    assert match, "the invitation link is shown once"
    return match.group(1).removeprefix("http://localhost")


def test_admin_invites_a_partner_who_chooses_a_password_and_is_signed_in(signed_in, site: Site):
    admin, token = signed_in("admin")
    form = admin.get("/curate/users/invite").get_data(as_text=True)
    assert INSTITUTION_B in form and 'name="csrf_token"' in form
    # Admins no longer type anyone's password: the form has no password field.
    assert 'type="password"' not in form
    response = admin.post(
        "/curate/users/invite",
        data={**_invitation(site, email="  New.Partner@JCI.example "), "csrf_token": token},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "No mail is configured" in page
    link = _link(page)
    assert _user(site, "new.partner@jci.example") is None
    [event] = _invitation_events(site, "invite")
    assert event.actor == EMAILS["admin"] and event.after is not None
    assert event.after["email"] == "new.partner@jci.example" and event.after["role"] == "partner"
    # The link is never stored: only its digest is.
    token_in_link = link.rsplit("/", 1)[1]
    with site.sessions() as session:
        assert token_in_link not in str([tuple(row) for row in session.execute(select(Invitation))])

    invited = admin.application.test_client()
    opened = invited.get(link)
    assert opened.status_code == 200 and opened.headers["Referrer-Policy"] == "no-referrer"
    accept_token = page_token(invited, link)
    done = invited.post(
        link,
        data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "csrf_token": accept_token},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/curate/"
    # Signed in at once, as the new partner of institution B.
    assert "new.partner@jci.example" in invited.get("/curate/").get_data(as_text=True)
    user = _user(site, "new.partner@jci.example")
    assert user is not None and user.role.value == "partner"
    assert user.institution_id == site.institution_b and NEW_PASSWORD not in user.password_hash
    [accepted] = _invitation_events(site, "accept_invitation")
    assert accepted.actor == "new.partner@jci.example" and accepted.user_id == user.id
    assert _signs_in(admin.application.test_client(), "new.partner@jci.example", NEW_PASSWORD)


def test_a_curator_everywhere_is_invited_without_an_institution(signed_in, site: Site):
    admin, token = signed_in("admin")
    data = _invitation(site, email="second.curator@potbank.example", role="curator", scope="")
    link = _link(
        admin.post("/curate/users/invite", data={**data, "csrf_token": token}).get_data(
            as_text=True
        )
    )
    invited = admin.application.test_client()
    accept_token = page_token(invited, link)
    invited.post(
        link,
        data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "csrf_token": accept_token},
    )
    user = _user(site, "second.curator@potbank.example")
    assert user is not None and user.institution_id is None and user.role.value == "curator"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "not-an-address"}, "An email address, such as name@museum.org."),
        ({"email": ""}, "An email address, such as name@museum.org."),
        ({"email": "a b@example.org"}, "An email address, such as name@museum.org."),
        ({"email": f"{XSS}@example.org"}, "An email address, such as name@museum.org."),
        ({"email": "x" * 250 + "@example.org"}, "An email address, such as name@museum.org."),
        ({"email": EMAILS["curator"].upper()}, "An account with this email already exists."),
        ({"role": "superuser"}, "Choose a role."),
        ({"scope": ""}, "A partner belongs to an institution: choose one."),
        ({"scope": "institution:999999"}, "Choose where the role applies."),
        ({"scope": "1 OR 1=1"}, "Choose where the role applies."),
    ],
)
def test_bad_invitation_input_is_refused_with_a_reason(signed_in, site: Site, changes, message):
    admin, token = signed_in("admin")
    response = admin.post(
        "/curate/users/invite", data={**_invitation(site, **changes), "csrf_token": token}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    # Hostile input comes back escaped.
    assert XSS not in page
    assert _invitation_events(site, "invite") == []


def test_inviting_needs_the_csrf_token(signed_in, site: Site):
    admin, _ = signed_in("admin")
    assert admin.post("/curate/users/invite", data=_invitation(site)).status_code == 400
    forged = {**_invitation(site), "csrf_token": "forged"}
    assert admin.post("/curate/users/invite", data=forged).status_code == 400
    assert _invitation_events(site, "invite") == []


def test_an_xss_institution_name_is_escaped_on_the_account_pages(signed_in, site: Site):
    admin, token = signed_in("admin")
    admin.post("/curate/institutions/new", data={"name": f"Museum {XSS}", "csrf_token": token})
    with site.sessions() as session:
        hostile = session.scalar(select(Institution.id).where(Institution.name.like("Museum <%")))
    assert hostile is not None
    admin.post(
        "/curate/users/invite",
        data={**_invitation(site, scope=f"institution:{hostile}"), "csrf_token": token},
    )
    for path in ("/curate/users", "/curate/users/invite", "/curate/institutions"):
        page = admin.get(path).get_data(as_text=True)
        assert XSS not in page, path
        assert "Museum &lt;script&gt;" in page, path


def test_admin_sets_a_new_password_and_the_old_sessions_end(signed_in, site: Site):
    partner, _ = signed_in("partner_a")
    admin, token = signed_in("admin")
    target = _user(site, EMAILS["partner_a"])
    assert target is not None
    form = admin.get(f"/curate/users/{target.id}/password").get_data(as_text=True)
    assert EMAILS["partner_a"] in form
    response = admin.post(
        f"/curate/users/{target.id}/password",
        data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "csrf_token": token},
        follow_redirects=True,
    )
    assert f"New password set for {EMAILS['partner_a']}." in response.get_data(as_text=True)
    # The partner's open session ended; the old password no longer works, the new one does.
    assert partner.get("/curate/").status_code == 302
    assert not _signs_in(admin.application.test_client(), EMAILS["partner_a"], PASSWORD)
    assert _signs_in(admin.application.test_client(), EMAILS["partner_a"], NEW_PASSWORD)
    [event] = _events(site, "reset_password")
    assert event.entity_id == target.id and event.actor == EMAILS["admin"]
    assert event.before is None and event.after is None


@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        ("short", "short", "The password must have at least 10 characters."),
        (NEW_PASSWORD, "a different one", "The two passwords are not the same."),
    ],
)
def test_a_bad_new_password_changes_nothing(signed_in, site: Site, password, again, message):
    admin, token = signed_in("admin")
    target = _user(site, EMAILS["partner_b"])
    assert target is not None
    response = admin.post(
        f"/curate/users/{target.id}/password",
        data={"password": password, "password_again": again, "csrf_token": token},
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    after = _user(site, EMAILS["partner_b"])
    assert after is not None and after.password_hash == target.password_hash
    assert _events(site, "reset_password") == []


def test_a_new_password_needs_the_csrf_token_and_a_real_account(signed_in, site: Site):
    admin, token = signed_in("admin")
    target = _user(site, EMAILS["partner_b"])
    assert target is not None
    data = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    assert admin.post(f"/curate/users/{target.id}/password", data=data).status_code == 400
    missing = admin.post("/curate/users/999999/password", data={**data, "csrf_token": token})
    assert missing.status_code == 404
    after = _user(site, EMAILS["partner_b"])
    assert after is not None and after.password_hash == target.password_hash


def test_an_admin_setting_their_own_password_stays_signed_in(signed_in, site: Site):
    admin, token = signed_in("admin")
    own = _user(site, EMAILS["admin"])
    assert own is not None
    admin.post(
        f"/curate/users/{own.id}/password",
        data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "csrf_token": token},
    )
    assert admin.get("/curate/users").status_code == 200
    assert _signs_in(admin.application.test_client(), EMAILS["admin"], NEW_PASSWORD)


def test_the_accounts_page_links_to_the_new_pages(signed_in, site: Site):
    admin, _ = signed_in("admin")
    page = admin.get("/curate/users").get_data(as_text=True)
    assert 'href="/curate/users/invite"' in page
    target = _user(site, EMAILS["partner_b"])
    assert target is not None and f'href="/curate/users/{target.id}/password"' in page
    assert 'href="/curate/institutions"' in page
    curator, _ = signed_in("curator")
    assert 'href="/curate/institutions"' not in curator.get("/curate/").get_data(as_text=True)
