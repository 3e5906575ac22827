"""Fixtures for the web tests: a small published catalogue and an app over it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from archive.catalogue import (
    MakerCredit,
    attach_photograph,
    get_or_create_collection,
    get_or_create_institution,
    get_or_create_maker,
    upsert_ware,
)
from archive.models import MakerRole, PhotoView
from archive.settings import Settings
from archive.store import ImageStore
from index.sync import IndexSync
from tests.conftest import make_image_bytes
from web.app import create_app
from web.views.context import app_state

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
CC_BY = "http://creativecommons.org/licenses/by/2.5/"


@dataclass(frozen=True)
class Catalogue:
    """Ids and digests of the test catalogue."""

    vase: int
    teapot: int
    draft: int
    bare: int
    maker: int
    hidden_maker: int
    collection: int
    institution: int
    vase_front: str
    vase_base: str
    draft_photo: str


def build_catalogue(settings: Settings, sessions: sessionmaker[Session]) -> Catalogue:
    """Four wares: a vase with two photographs, a teapot whose title is an XSS payload, a draft
    ware with a photograph, and a published ware without photographs."""
    store = ImageStore(settings.store_dir, settings.max_image_pixels)
    with sessions() as session:
        museum = get_or_create_institution(session, "Capital Museum, Beijing")
        collection = get_or_create_collection(session, museum, "Chinese ceramics")
        wedgwood = get_or_create_maker(
            session, "Josiah Wedgwood and Sons", "wedgwood", active_from=1759
        )
        unseen = get_or_create_maker(session, "Unpublished Pottery", "unpublished pottery")
        vase, _ = upsert_ware(
            session,
            institution=museum,
            accession_number="CN-0001",
            collection=collection,
            fields={
                "title_en": "Flat Sided Vase with Eight Buddhist Emblems",
                "title_zh": "八吉祥纹抱月瓶",
                "object_type": "vase",
                "date_text": "Qianlong Reign, Qing Dynasty",
                "year_earliest": 1736,
                "year_latest": 1795,
                "period": "Qing Dynasty",
                "place": "Jingdezhen",
                "material": "Porcelain",
                "technique": "underglaze blue",
                "marks": "Qianlong six-character mark",
                "dimensions_text": "H. 49.5 cm",
                "height_cm": 49.5,
                "description_en": "A moon flask painted in cobalt blue.",
                "description_zh": "青花八吉祥纹抱月瓶。",
                "credit_line": "Capital Museum, Beijing",
                "provenance": "Imperial collection",
                "rights": CC_BY,
                "status": "published",
            },
            makers=[MakerCredit(wedgwood, MakerRole.MANUFACTURER)],
        )
        teapot, _ = upsert_ware(
            session,
            institution=museum,
            accession_number="CN-0002",
            collection=collection,
            fields={
                "title_en": f"Teapot {XSS}",
                "material": "Stoneware",
                "description_en": f"Described as {XSS}",
                "status": "published",
            },
            makers=[MakerCredit(wedgwood, MakerRole.DESIGNER)],
        )
        draft, _ = upsert_ware(
            session,
            institution=museum,
            accession_number="CN-0003",
            fields={"title_en": "Secret draft bowl", "status": "draft"},
            makers=[MakerCredit(unseen)],
        )
        bare, _ = upsert_ware(
            session,
            institution=museum,
            accession_number="CN-0004",
            fields={"title_en": "Plate without photograph", "status": "published"},
        )
        front = store.put(make_image_bytes((600, 400), (30, 60, 150), seed=1))
        base = store.put(make_image_bytes((400, 400), (200, 190, 170), seed=2))
        teapot_photo = store.put(make_image_bytes((500, 500), (120, 90, 60), seed=3))
        secret = store.put(make_image_bytes((300, 300), (10, 10, 10), seed=4))
        attach_photograph(
            session,
            vase,
            front,
            photographer="Alex Amies",
            licence=CC_BY,
            attribution="Photo: Alex Amies, chinesenotes.com, CC BY 2.5",
        )
        attach_photograph(session, vase, base, view=PhotoView.BASE, licence=CC_BY)
        attach_photograph(session, teapot, teapot_photo, attribution=f"Photo: {XSS}")
        attach_photograph(session, draft, secret)
        session.commit()
        return Catalogue(
            vase=vase.id,
            teapot=teapot.id,
            draft=draft.id,
            bare=bare.id,
            maker=wedgwood.id,
            hidden_maker=unseen.id,
            collection=collection.id,
            institution=museum.id,
            vase_front=front.sha256,
            vase_base=base.sha256,
            draft_photo=secret.sha256,
        )


@pytest.fixture
def catalogue(settings: Settings, session_factory: sessionmaker[Session]) -> Catalogue:
    return build_catalogue(settings, session_factory)


@pytest.fixture
def app(
    settings: Settings, catalogue: Catalogue, session_factory: sessionmaker[Session]
) -> Iterator[Flask]:
    """The app over the real search facade, on indexes built from the test catalogue."""
    with session_factory() as session:
        IndexSync(settings).rebuild(session)
    application = create_app(settings, testing=True)
    yield application
    app_state(application).close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token of the search page's photograph form (sets the session cookie too)."""
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the search page has no CSRF token"
    return match.group(1)
