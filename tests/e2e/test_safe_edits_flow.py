"""Safe edits in a real browser, on SQLite and PostgreSQL: typing into a published ware's form
autosaves a working copy (a closed tab loses nothing) while the public page keeps the published
version; Publish changes makes it public. Deleting asks in a dialog and is undone with Undo."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.catalogue import get_or_create_institution
from archive.curation import WareDraft
from archive.db import make_engine, make_session_factory
from archive.editing import create_ware, set_status
from archive.models import Role, Ware, WareStatus
from archive.settings import load_settings
from archive.users import create_user
from index.sync import IndexSync
from tests.conftest import chromium_or_skip, serving
from tests.e2e.conftest import screenshot
from web.app import create_app
from web.views.context import app_state

pytestmark = pytest.mark.e2e
PASSWORD = "a long test password"
CURATOR = "curator@potbank.example"


@pytest.fixture
def edit_site(tmp_path: Path, database_url: str) -> Iterator[tuple[str, object, int]]:
    """A live Potbank with a curator and one published ware."""
    chromium_or_skip()
    settings = load_settings(
        {"POTBANK_HOME": str(tmp_path / "instance"), "POTBANK_DATABASE_URL": database_url}
    )
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        museum = get_or_create_institution(session, "Stoke Museum")
        create_user(session, CURATOR, PASSWORD, Role.CURATOR)
        ware = create_ware(
            session,
            institution=museum,
            accession_number="SAFE-1",
            fields={
                "title_en": "Willow pattern plate",
                "material": "earthenware",
                "rights": "http://creativecommons.org/licenses/by/4.0/",
            },
            makers=[],
            collection=None,
            actor="fixture",
            user_id=None,
        )
        set_status(session, ware, WareStatus.PUBLISHED, actor="fixture", user_id=None)
        session.commit()
        ware_id = ware.id
        IndexSync(settings).rebuild(session)
    app = create_app(settings)
    try:
        with serving(app) as base:
            yield base, sessions, ware_id
    finally:
        app_state(app).close()
        engine.dispose()


def _material(sessions, ware_id: int) -> str | None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(select(Ware.material).where(Ware.id == ware_id))


def test_autosave_then_publish_changes_then_delete_and_undo(edit_site, page) -> None:  # type: ignore[no-untyped-def]
    base, sessions, ware_id = edit_site
    page.goto(base + "/login")
    page.get_by_label("Email").fill(CURATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/curate/$"))

    page.goto(f"{base}/curate/wares/{ware_id}")
    page.get_by_label("Body or material").fill("bone china")
    status = page.get_by_test_id("autosave-status")
    status.filter(has_text="Draft saved at").wait_for(timeout=15_000)
    with sessions() as session:
        draft = session.scalar(select(WareDraft).where(WareDraft.ware_id == ware_id))
        assert draft is not None and draft.values["material"] == "bone china"
    assert _material(sessions, ware_id) == "earthenware"

    # The tab closes without asking (nothing is unsaved); a new one finds the working copy.
    page.close(run_before_unload=True)
    tab = page.context.new_page()
    tab.goto(f"{base}/curate/wares/{ware_id}")
    assert tab.get_by_label("Body or material").input_value() == "bone china"
    assert tab.get_by_test_id("working-copy").is_visible()
    public = tab.context.new_page()
    public.goto(f"{base}/wares/{ware_id}")
    assert "earthenware" in public.content() and "bone china" not in public.content()

    tab.get_by_role("link", name="Compare with public").click()
    compared = tab.get_by_test_id("working-copy-compare")
    assert "earthenware" in compared.inner_text() and "bone china" in compared.inner_text()
    screenshot(tab, "safe-edits-compare")
    tab.get_by_role("button", name="Publish changes").click()
    tab.locator("text=Changes published.").wait_for()
    assert _material(sessions, ware_id) == "bone china"
    public.reload()
    assert "bone china" in public.content()
    assert tab.get_by_test_id("working-copy").count() == 0

    # Delete asks in a dialog; accepted, it is done at once and offers Undo.
    questions: list[str] = []
    tab.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    tab.get_by_role("button", name="Delete", exact=True).click()
    tab.get_by_test_id("undo").wait_for()
    assert questions and "Delete this ware?" in questions[0]
    with sessions() as session:
        assert session.get(Ware, ware_id).deleted_at is not None  # type: ignore[union-attr]
    tab.get_by_test_id("undo").get_by_role("button", name="Undo").click()
    tab.locator("text=Restored.").wait_for()
    with sessions() as session:
        assert session.get(Ware, ware_id).deleted_at is None  # type: ignore[union-attr]
    tab.close()
    public.close()
