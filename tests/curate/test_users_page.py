"""The admins' accounts page: disable and enable accounts, never one's own."""

from __future__ import annotations

from sqlalchemy import select

from archive.models import User
from tests.curate.conftest import EMAILS, Site


def _user(site: Site, role: str) -> User:
    with site.sessions() as session:
        user = session.scalar(select(User).where(User.email == EMAILS[role]))
        assert user is not None
        return user


def test_admin_disables_and_enables_a_partner(signed_in, site: Site):
    partner, _ = signed_in("partner_a")
    admin, token = signed_in("admin")
    listing = admin.get("/curate/users").get_data(as_text=True)
    assert all(email in listing for email in EMAILS.values())
    target = _user(site, "partner_a").id
    admin.post(f"/curate/users/{target}/active", data={"csrf_token": token, "active": "0"})
    assert not _user(site, "partner_a").active
    # The partner's open session ends with the account.
    assert partner.get("/curate/").status_code == 302
    admin.post(f"/curate/users/{target}/active", data={"csrf_token": token, "active": "1"})
    assert _user(site, "partner_a").active


def test_admin_cannot_disable_themselves(signed_in, site: Site):
    admin, token = signed_in("admin")
    own = _user(site, "admin").id
    page = admin.post(
        f"/curate/users/{own}/active",
        data={"csrf_token": token, "active": "0"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "You cannot disable your own account." in page
    assert _user(site, "admin").active
