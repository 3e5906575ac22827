"""Fixtures for the curating tests: two institutions, one account per role, an app over the real
search facade whose index updates are recorded rather than run (one test runs the real ones), and
signing in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from archive.catalogue import get_or_create_institution, upsert_ware
from archive.editing import add_photograph, create_ware, set_status
from archive.models import Institution, PhotoView, Role, Ware, WareStatus, utcnow
from archive.settings import Settings
from archive.store import ImageStore
from archive.users import create_user
from index.sync import IndexSync
from tests.conftest import make_image_bytes
from tests.web.conftest import CC_BY, Catalogue, build_catalogue
from web import operations
from web.app import create_app
from web.curate import batch_jobs, jobs
from web.curate.indexing import SYNC_KEY
from web.views.context import app_state

PASSWORD = "correct horse battery"
# What a destructive action's confirmation adds to its form (web.curate.safety).
YES = {"confirmed": "yes"}
INSTITUTION_B = "Jingdezhen Ceramic University"
EMAILS = {
    "partner_a": "partner-a@museum.example",
    "partner_b": "partner-b@jci.example",
    "curator": "curator@potbank.example",
    "admin": "admin@potbank.example",
}
ROLES = ("anonymous", "partner_a", "partner_b", "curator", "admin")


@dataclass
class Site:
    """The test catalogue (institution A is its museum) plus institution B and the accounts."""

    catalogue: Catalogue
    institution_a: int
    institution_b: int
    b_submitted: int
    sessions: sessionmaker[Session]
    settings: Settings
    synced: list[int] = field(default_factory=list)

    def make_ware(
        self,
        *,
        institution: str = "a",
        status: WareStatus = WareStatus.DRAFT,
        photo: bool = False,
        rights: str | None = CC_BY,
        deleted: bool = False,
    ) -> Ware:
        """A fresh ware for one request of a test, so no request depends on another."""
        with self.sessions() as session:
            home = session.get(
                Institution, self.institution_a if institution == "a" else self.institution_b
            )
            count = session.scalar(select(func.count(Ware.id))) or 0
            ware = create_ware(
                session,
                institution=home,
                accession_number=f"T-{count + 1:05d}",
                fields={"title_en": f"Test ware {count + 1}", "rights": rights},
                makers=[],
                collection=None,
                actor="fixture",
                user_id=None,
            )
            if photo:
                store = ImageStore(self.settings.store_dir, self.settings.max_image_pixels)
                stored = store.put(make_image_bytes((200, 150), seed=count + 40))
                add_photograph(
                    session,
                    ware,
                    stored,
                    view=PhotoView.FRONT,
                    original_filename="p.jpg",
                    actor="fixture",
                    user_id=None,
                )
            if status is not WareStatus.DRAFT:
                set_status(session, ware, status, actor="fixture", user_id=None)
            if deleted:
                ware.deleted_at = utcnow()
            session.commit()
            session.refresh(ware)
            # Loaded before the ware leaves the session, so tests can read its photographs.
            assert ware.photographs is not None
            session.expunge(ware)
            return ware


def build_site(settings: Settings, sessions: sessionmaker[Session]) -> Site:
    catalogue = build_catalogue(settings, sessions)
    with sessions() as session:
        museum = get_or_create_institution(session, "Capital Museum, Beijing")
        university = get_or_create_institution(session, INSTITUTION_B)
        create_user(session, EMAILS["partner_a"], PASSWORD, Role.PARTNER, museum)
        create_user(session, EMAILS["partner_b"], PASSWORD, Role.PARTNER, university)
        create_user(session, EMAILS["curator"], PASSWORD, Role.CURATOR)
        create_user(session, EMAILS["admin"], PASSWORD, Role.ADMIN)
        submitted, _ = upsert_ware(
            session,
            institution=university,
            accession_number="JCI-001",
            fields={"title_en": "Submitted celadon bowl", "status": "submitted"},
        )
        session.commit()
        return Site(
            catalogue=catalogue,
            institution_a=museum.id,
            institution_b=university.id,
            b_submitted=submitted.id,
            sessions=sessions,
            settings=settings,
        )


@pytest.fixture
def site(settings: Settings, session_factory: sessionmaker[Session]) -> Site:
    return build_site(settings, session_factory)


@pytest.fixture
def app(settings: Settings, site: Site, session_factory: sessionmaker[Session]) -> Iterator[Flask]:
    # The real search facade over indexes built from the site's published wares.
    with session_factory() as session:
        IndexSync(settings).rebuild(session)
    application = create_app(settings, testing=True)
    # Index updates are recorded here; test_indexing runs the real ones.
    application.extensions[SYNC_KEY] = lambda _session, ids: site.synced.extend(ids)
    yield application
    # Background bulk jobs must end before the instance folder and database go away.
    jobs.wait_all()
    batch_jobs.wait_all()
    operations.wait_all()
    app_state(application).close()


@pytest.fixture
def real_app(settings: Settings, site: Site) -> Iterator[Flask]:
    """An app whose index updates are the real ones (the public search follows the curators)."""
    application = create_app(settings, testing=True)
    yield application
    app_state(application).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def page_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page's form carries."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, role: str) -> str:
    """Sign ``client`` in as ``role`` (nothing for anonymous); returns a CSRF token to post with."""
    if role == "anonymous":
        return page_token(client)
    token = page_token(client)
    response = client.post(
        "/login", data={"email": EMAILS[role], "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return page_token(client, "/curate/wares/new")


@pytest.fixture
def signed_in(app: Flask) -> Callable[[str], tuple[FlaskClient, str]]:
    """A new client signed in as the given role, with its CSRF token."""

    def make(role: str) -> tuple[FlaskClient, str]:
        client = app.test_client()
        return client, sign_in(client, role)

    return make
