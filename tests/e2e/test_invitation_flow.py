"""An invitation accepted in a real browser, on SQLite and PostgreSQL: an admin invites a
curator of one museum, the link is shown once (no mail is configured), the invited person opens
it in another browser, chooses a password and is signed in, with the pages their role allows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.catalogue import get_or_create_institution
from archive.db import make_engine, make_session_factory
from archive.grants import grants_of
from archive.models import Role, User
from archive.settings import load_settings
from archive.users import create_user, password_matches
from tests.conftest import chromium_or_skip, serving
from tests.e2e.conftest import screenshot
from web.app import create_app
from web.views.context import app_state

pytestmark = pytest.mark.e2e
PASSWORD = "a long test password"
ADMIN = "admin@potbank.example"
INVITED = "new.curator@museum.example"
CHOSEN = "chosen by the curator herself"
MUSEUM = "Capital Museum, Beijing"


@pytest.fixture
def invite_site(tmp_path: Path, database_url: str) -> Iterator[tuple[str, object]]:
    """A live Potbank with an admin, two museums and no mail configured."""
    chromium_or_skip()
    settings = load_settings(
        {"POTBANK_HOME": str(tmp_path / "instance"), "POTBANK_DATABASE_URL": database_url}
    )
    assert not settings.mail_enabled
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        get_or_create_institution(session, MUSEUM)
        get_or_create_institution(session, "Jingdezhen Ceramic University")
        create_user(session, ADMIN, PASSWORD, Role.ADMIN)
        session.commit()
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield base, sessions
    finally:
        app_state(app).close()
        engine.dispose()


def test_an_invitation_is_accepted_in_the_browser(browser, invite_site) -> None:  # type: ignore[no-untyped-def]
    base, sessions = invite_site
    admin = browser.new_context().new_page()
    admin.goto(base + "/login")
    admin.get_by_label("Email").fill(ADMIN)
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    admin.get_by_role("link", name="Accounts").click()
    admin.get_by_role("link", name="Invite someone").click()
    assert admin.locator('input[type="password"]').count() == 0
    admin.get_by_label("Email").fill(INVITED)
    admin.locator('select[name="role"]').select_option("curator")
    admin.get_by_label("Where the role applies").select_option(label=MUSEUM)
    admin.get_by_role("button", name="Send the invitation").click()
    shown = admin.get_by_test_id("invitation-link")
    link = shown.get_by_role("textbox").input_value()
    assert link.startswith(base + "/invitations/")
    screenshot(admin, "invitation-link")

    invited = browser.new_context().new_page()
    invited.goto(link)
    assert invited.get_by_label("Email").input_value() == INVITED
    invited.get_by_label("Password (at least 10 characters)").fill(CHOSEN)
    invited.get_by_label("The password again").fill(CHOSEN)
    invited.get_by_role("button", name="Make my account").click()
    invited.wait_for_url(base + "/curate/")
    nav = invited.get_by_role("navigation", name="Curating")
    assert INVITED in nav.inner_text()
    # A curator of one museum: the review queue, but no accounts and no makers.
    assert nav.get_by_role("link", name="Review queue").count() == 1
    assert nav.get_by_role("link", name="Accounts").count() == 0
    assert nav.get_by_role("link", name="Makers").count() == 0
    screenshot(invited, "invitation-accepted")

    # The link is spent: opening it again says so.
    again = browser.new_context().new_page()
    again.goto(link)
    assert "used already" in again.locator("[role=alert]").inner_text()

    with sessions() as session:  # type: ignore[attr-defined]
        user = session.scalar(select(User).where(User.email == INVITED))
        assert user is not None and password_matches(user, CHOSEN)
        [grant] = grants_of(session, user.id)
        assert grant.role is Role.CURATOR and grant.institution is not None
        assert grant.institution.name == MUSEUM
    admin.reload()
    admin.get_by_role("link", name="Accounts").click()
    assert admin.get_by_test_id("invitation-list").locator('[data-state="accepted"]').count() == 1
