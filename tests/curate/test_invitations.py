"""Invitations through the web and the CLI: a link works once, not after it lapses or is
revoked; without mail configured nothing connects anywhere and the link is shown once; with
mail configured the link is sent (to a real SMTP conversation on a local socket)."""

from __future__ import annotations

import dataclasses
import re
import smtplib
import socketserver
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from archive.invitations import Invitation, invite
from archive.models import Institution, Role, User
from archive.settings import Settings
from tests.curate.conftest import Site, page_token
from web.app import create_app
from web.cli import main
from web.views.context import app_state

PASSWORD = "my own long password"


def _issue(site: Site, lifetime: timedelta = timedelta(days=7)) -> tuple[int, str]:
    with site.sessions() as session:
        issued = invite(
            session,
            "invited@museum.example",
            Role.PARTNER,
            institution=session.get(Institution, site.institution_a),
            actor="fixture",
            lifetime=lifetime,
        )
        session.commit()
        return issued.invitation.id, issued.token


def _accept(app: Flask, token: str) -> Any:
    client = app.test_client()
    csrf = page_token(client, "/login")
    return client.post(
        f"/invitations/{token}",
        data={"password": PASSWORD, "password_again": PASSWORD, "csrf_token": csrf},
    )


def test_a_link_is_used_once(app: Flask, site: Site):
    _, token = _issue(site)
    assert _accept(app, token).status_code == 302
    again = _accept(app, token)
    assert again.status_code == 410
    assert "This invitation has been used already" in again.get_data(as_text=True)
    with site.sessions() as session:
        assert len(session.scalars(select(User).where(User.email.like("invited@%"))).all()) == 1


def test_an_expired_link_makes_no_account(app: Flask, site: Site):
    _, token = _issue(site, lifetime=timedelta(seconds=-1))
    page = app.test_client().get(f"/invitations/{token}")
    assert page.status_code == 410 and "This invitation has expired" in page.get_data(as_text=True)
    assert _accept(app, token).status_code == 410
    with site.sessions() as session:
        assert session.scalar(select(User).where(User.email == "invited@museum.example")) is None


def test_a_link_revoked_by_an_admin_opens_nothing(app: Flask, site: Site, signed_in):
    invitation_id, token = _issue(site)
    admin, csrf = signed_in("admin")
    listed = admin.get("/curate/users").get_data(as_text=True)
    assert "invited@museum.example" in listed and 'data-state="pending"' in listed
    revoked = admin.post(f"/curate/invitations/{invitation_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 302
    assert 'data-state="revoked"' in admin.get("/curate/users").get_data(as_text=True)
    page = app.test_client().get(f"/invitations/{token}")
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)
    assert _accept(app, token).status_code == 410


def test_an_unknown_link_is_not_found_and_a_short_password_is_refused(app: Flask, site: Site):
    assert app.test_client().get("/invitations/made-up-token").status_code == 404
    _, token = _issue(site)
    client = app.test_client()
    csrf = page_token(client, f"/invitations/{token}")
    short = client.post(
        f"/invitations/{token}",
        data={"password": "short", "password_again": "short", "csrf_token": csrf},
    )
    assert short.status_code == 422
    assert "at least 10 characters" in short.get_data(as_text=True)
    # Still pending: the refusal used nothing up.
    assert _accept(app, token).status_code == 302


def test_without_mail_nothing_connects_and_the_link_is_shown(
    signed_in, site: Site, monkeypatch: pytest.MonkeyPatch
):
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("no SMTP connection without POTBANK_SMTP_HOST")

    monkeypatch.setattr(smtplib, "SMTP", refuse)
    admin, csrf = signed_in("admin")
    data = {"email": "no.mail@museum.example", "role": "curator", "scope": "", "csrf_token": csrf}
    page = admin.post("/curate/users/invite", data=data).get_data(as_text=True)
    assert re.search(r'value="http://localhost/invitations/[\w-]{40,}"', page)


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to receive one message: what smtplib says, in order."""

    received: list[str]

    def _say(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self._say("220 test ready")
        while line := self.rfile.readline().decode():
            command = line.strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self._say("250 test")
            elif command == "DATA":
                self._say("354 go on")
                body = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    body.append(data)
                self.server.received.append("".join(body))  # type: ignore[attr-defined]
                self._say("250 queued")
            elif command == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


@pytest.fixture
def smtp_server() -> Iterator[socketserver.TCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_with_mail_the_link_is_sent_not_shown(
    settings: Settings, site: Site, smtp_server: socketserver.TCPServer
):
    port = smtp_server.server_address[1]
    mailing = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False
    )
    application = create_app(mailing, testing=True)
    try:
        client = application.test_client()
        csrf = page_token(client)
        client.post(
            "/login",
            data={
                "email": "admin@potbank.example",
                "password": "correct horse battery",
                "csrf_token": csrf,
            },
        )
        csrf = page_token(client, "/curate/users/invite")
        data = {
            "email": "mailed@museum.example",
            "role": "curator",
            "scope": "",
            "csrf_token": csrf,
        }
        response = client.post("/curate/users/invite", data=data, follow_redirects=True)
        page = response.get_data(as_text=True)
        assert "Invitation sent to mailed@museum.example." in page
        assert "/invitations/" not in page.split('data-testid="invitation-list"')[0]
        [message] = smtp_server.received  # type: ignore[attr-defined]
        assert "To: mailed@museum.example" in message
        link = re.search(r"http://localhost/invitations/([\w-]+)", message)
        assert link
        assert _accept(application, link.group(1)).status_code == 302
    finally:
        app_state(application).close()


def test_the_cli_prints_a_link_that_works(settings: Settings, app: Flask, site: Site):
    env = {"POTBANK_HOME": str(settings.home), "POTBANK_DATABASE_URL": settings.database_url}
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "users",
            "invite",
            "cli@museum.example",
            "--role",
            "curator",
            "--institution",
            "Capital Museum, Beijing",
        ],
        env={**env, "POTBANK_PUBLIC_URL": "https://potbank.example.org/"},
    )
    assert result.exit_code == 0, result.output
    link = re.search(r"https://potbank\.example\.org/invitations/([\w-]+)", result.output)
    assert link
    assert _accept(app, link.group(1)).status_code == 302
    with site.sessions() as session:
        user = session.scalar(select(User).where(User.email == "cli@museum.example"))
        assert user is not None and user.role is Role.PARTNER
        assert user.institution_id == site.institution_a
        stored = session.scalars(select(Invitation)).one()
        assert link.group(1) not in stored.token_hash
    missing = runner.invoke(
        main,
        ["user", "invite", "x@example.org", "--role", "partner", "--institution", "Nope"],
        env=env,
    )
    assert missing.exit_code != 0 and "no institution named 'Nope'" in missing.output
