"""Accounts: server-side sessions (a copied cookie dies with its session), changing one's own
password, sign-in delays per account and address, and X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from archive.models import AuditEvent, User
from archive.settings import Settings
from tests.curate.conftest import EMAILS, PASSWORD, Site, page_token, sign_in
from web.app import create_app
from web.auth.proxies import client_address, parse_networks
from web.views.context import app_state

NEW_PASSWORD = "a brand new passphrase"


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/curate/").status_code == 200


def _login(client: FlaskClient, email: str, password: str, address: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    token = page_token(client)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_copied_cookie_is_refused_after_sign_out(app: Flask) -> None:
    client = app.test_client()
    token = sign_in(client, "curator")
    thief = _copy(app, client)
    assert _signed_in(thief)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not _signed_in(thief)
    assert not _signed_in(client)


def test_a_copied_cookie_is_refused_after_the_account_is_disabled(app: Flask, site: Site) -> None:
    victim = app.test_client()
    sign_in(victim, "partner_a")
    thief = _copy(app, victim)
    admin = app.test_client()
    token = sign_in(admin, "admin")
    with site.sessions() as session:
        partner = session.scalar(select(User.id).where(User.email == EMAILS["partner_a"]))
    answer = admin.post(f"/curate/users/{partner}/active", data={"csrf_token": token})
    assert answer.status_code == 302
    assert not _signed_in(thief) and not _signed_in(victim)


def test_users_change_their_own_password(app: Flask, site: Site) -> None:
    client = app.test_client()
    token = sign_in(client, "partner_b")
    elsewhere = _copy(app, client)
    page = client.get("/curate/account/password")
    assert page.status_code == 200 and 'name="current_password"' in page.get_data(as_text=True)
    form = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "csrf_token": token}
    wrong = client.post("/curate/account/password", data={**form, "current_password": "nope"})
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.get_data(as_text=True)
    # Without the CSRF token nothing changes.
    forged = {**form, "current_password": PASSWORD, "csrf_token": "forged"}
    assert client.post("/curate/account/password", data=forged).status_code == 400
    done = client.post("/curate/account/password", data={**form, "current_password": PASSWORD})
    assert done.status_code == 302
    # This browser carries on; a copy of its old cookie does not.
    assert _signed_in(client)
    assert not _signed_in(elsewhere)
    assert _login(app.test_client(), EMAILS["partner_b"], PASSWORD).status_code == 401
    assert _login(app.test_client(), EMAILS["partner_b"], NEW_PASSWORD).status_code == 302
    with site.sessions() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor == EMAILS["partner_b"])
        ).all()
    assert "change_password" in actions


def test_the_password_page_is_in_chinese_too(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "curator")
    client.get("/language/zh")
    page = client.get("/curate/account/password").get_data(as_text=True)
    assert "修改密码" in page and "当前密码" in page


def test_failed_sign_ins_slow_one_address_down_but_never_lock_the_owner_out(app: Flask) -> None:
    attacker = app.test_client()
    for _ in range(3):
        assert _login(attacker, EMAILS["curator"], "guess guess", "203.0.113.9").status_code == 401
    # The fourth try from there waits (1 s after 3 failures); the waits then grow.
    first = _login(attacker, EMAILS["curator"], PASSWORD, "203.0.113.9")
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    assert "Please wait 1 seconds" in first.get_data(as_text=True)
    # The owner, elsewhere, signs in at once.
    assert _login(app.test_client(), EMAILS["curator"], PASSWORD, "198.51.100.4").status_code == 302


def test_delays_grow_with_each_failure(app: Flask, site: Site) -> None:
    from archive.accounts import record_failed_login
    from web.auth.throttle import address_wait, growing_delay, pair_wait

    assert [growing_delay(n, 3) for n in range(7)] == [0, 0, 0, 1, 2, 4, 8]
    assert growing_delay(100, 3) == 15 * 60
    with site.sessions() as session:
        for _ in range(6):
            record_failed_login(session, EMAILS["partner_a"], "203.0.113.5")
        session.commit()
        assert 7 < pair_wait(session, EMAILS["partner_a"], "203.0.113.5") <= 8
        # Another address is not slowed by this one's failures.
        assert pair_wait(session, EMAILS["partner_a"], "203.0.113.6") == 0
        # Spraying: failures on many accounts from one address slow that address, in any worker
        # (counted from the audit trail).
        assert address_wait(session, "203.0.113.7") == 0
        for number in range(11):
            record_failed_login(session, f"guess{number}@example.org", "203.0.113.7")
        session.commit()
        assert 1 < address_wait(session, "203.0.113.7") <= 2


def test_forwarded_for_counts_only_from_trusted_proxies(settings: Settings, site: Site) -> None:
    networks = parse_networks(["127.0.0.1", "10.0.0.0/8"])
    assert client_address("127.0.0.1", "198.51.100.7", networks) == "198.51.100.7"
    # Entries the client wrote (left of the proxies') prove nothing.
    assert (
        client_address("127.0.0.1", "1.2.3.4, 198.51.100.7, 10.1.1.1", networks) == "198.51.100.7"
    )
    assert client_address("192.0.2.1", "198.51.100.7", networks) == "192.0.2.1"
    assert client_address("127.0.0.1", "not-an-ip", networks) == "127.0.0.1"
    assert client_address("127.0.0.1", "198.51.100.7", []) == "127.0.0.1"
    from dataclasses import replace

    app = create_app(replace(settings, trusted_proxies=("127.0.0.1",)), testing=True)
    try:
        # Behind the proxy, guessing from one visitor's address leaves another visitor alone.
        for _ in range(3):
            client = app.test_client()
            token = page_token(client)
            client.post(
                "/login",
                data={"email": EMAILS["admin"], "password": "guess", "csrf_token": token},
                headers={"X-Forwarded-For": "203.0.113.50"},
            )
        blocked = app.test_client()
        token = page_token(blocked)
        data = {"email": EMAILS["admin"], "password": PASSWORD, "csrf_token": token}
        assert (
            blocked.post(
                "/login", data=data, headers={"X-Forwarded-For": "203.0.113.50"}
            ).status_code
            == 429
        )
        other = app.test_client()
        data["csrf_token"] = page_token(other)
        assert (
            other.post("/login", data=data, headers={"X-Forwarded-For": "198.51.100.8"}).status_code
            == 302
        )
    finally:
        app_state(app).close()
