"""Fixtures for the interoperability tests: an app with the IIIF, OAI-PMH and export blueprints,
and a small catalogue written through the catalogue operations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask, Response, request
from sqlalchemy.orm import Session, sessionmaker

from archive.catalogue import (
    MakerCredit,
    attach_photograph,
    get_or_create_collection,
    get_or_create_institution,
    get_or_create_maker,
    upsert_ware,
)
from archive.exhibiting import ItemDraft, SectionDraft, save_exhibition, set_exhibition_status
from archive.exhibitions import ExhibitionStatus
from archive.models import MakerRole, Ware
from archive.settings import Settings
from archive.store import ImageStore
from tests.conftest import make_image_bytes, serving
from tests.interop.xml_schemas import schema_errors
from web.app import create_app
from web.views.context import app_state


def build_app(settings: Settings) -> Flask:
    """The app the factory builds, with this package's blueprints registered on it."""
    from web import exports, iiif, oai

    app = create_app(settings, testing=True)
    # Once the lead wires the blueprints into the factory, registering again would fail.
    registrars = (("iiif", iiif.register), ("oai", oai.register), ("exports", exports.register))
    for name, register in registrars:
        if name not in app.blueprints:
            register(app)
    return app


@dataclass
class SchemaChecks:
    """The OAI-PMH responses an app gave in one test, and what the schemas found wrong."""

    checked: int = 0
    failures: list[str] = field(default_factory=list)


def validate_oai_responses(app: Flask) -> SchemaChecks:
    """Validate every OAI-PMH response ``app`` gives against the official schemas.

    A hook on the app itself, so answers to the test client, to Sickle and to our own harvester
    over a live server are all checked; failures are kept (a failing hook in the server thread
    would only show as a 500) and asserted when the test ends.
    """
    checks = SchemaChecks()

    @app.after_request
    def _validate(response: Response) -> Response:
        if request.endpoint == "oai.endpoint":
            checks.checked += 1
            errors = schema_errors(response.get_data())
            if errors:
                checks.failures.append(f"{request.full_path}:\n  " + "\n  ".join(errors))
        return response

    return checks


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    built = build_app(settings)
    checks = validate_oai_responses(built)
    built.extensions["oai_schema_checks"] = checks
    yield built
    app_state(built).close()
    assert not checks.failures, "OAI-PMH responses invalid against the XSDs:\n" + "\n".join(
        checks.failures
    )


@dataclass
class Catalogue:
    """What the sample catalogue holds, by name."""

    wares: dict[str, int] = field(default_factory=dict)
    photos: dict[str, str] = field(default_factory=dict)
    institution_id: int = 0
    collection_id: int = 0


def add_ware(
    session: Session,
    store: ImageStore,
    accession: str,
    fields: dict[str, object],
    *,
    institution: str = "Stoke Museum",
    collection: str | None = "Blue and white",
    photos: tuple[bytes, ...] = (),
    makers: tuple[tuple[str, str], ...] = (),
) -> tuple[Ware, list[str]]:
    """Write a ware and its photographs the way ingest does; answers it and the photo digests."""
    home = get_or_create_institution(session, institution)
    group = get_or_create_collection(session, home, collection) if collection else None
    credits = [
        MakerCredit(get_or_create_maker(session, name, name.lower()), MakerRole(role))
        for name, role in makers
    ]
    ware, _ = upsert_ware(
        session,
        institution=home,
        accession_number=accession,
        fields={"status": "published", **fields},
        makers=credits,
        collection=group,
    )
    digests = []
    for data in photos:
        stored = store.put(data)
        attach_photograph(
            session,
            ware,
            stored,
            photographer="A. Potter",
            licence="https://creativecommons.org/licenses/by/4.0/",
            attribution="Photo © Stoke Museum",
        )
        digests.append(stored.sha256)
    session.flush()
    return ware, digests


@pytest.fixture
def catalogue(settings: Settings, session_factory: sessionmaker[Session]) -> Catalogue:
    """Two published wares (one with two photographs), a draft and a withdrawn one."""
    store = ImageStore(settings.store_dir, settings.max_image_pixels)
    found = Catalogue()
    with session_factory() as session:
        plate, plate_photos = add_ware(
            session,
            store,
            "S-1",
            {
                "title_en": "Willow pattern plate",
                "title_zh": "柳树图案盘",
                "object_type": "plate",
                "description_en": "A plate printed in underglaze blue.",
                "description_zh": "釉下青花印花盘。",
                "material": "earthenware",
                "technique": "transfer printing",
                "pattern": "Willow",
                "place": "Stoke-on-Trent",
                "date_text": "about 1820",
                "year_earliest": 1815,
                "year_latest": 1825,
                "marks": "SPODE impressed",
                "dimensions_text": "D. 25 cm",
                "diameter_cm": 25.0,
                "credit_line": 'Gift of =HYPERLINK("x")',
                "provenance": "Bought at the factory sale, 1901",
                "rights": "https://creativecommons.org/publicdomain/zero/1.0/",
            },
            photos=(
                make_image_bytes((800, 600), seed=1),
                make_image_bytes((300, 500), (200, 190, 170), "PNG", seed=2),
            ),
            makers=(("Josiah Spode", "manufacturer"),),
        )
        vase, vase_photos = add_ware(
            session,
            store,
            "J-1",
            {"title_zh": "青花缠枝莲纹梅瓶", "place": "景德镇", "period": "Qing"},
            institution="Jingdezhen Ceramic University",
            collection=None,
            photos=(make_image_bytes((640, 640), seed=3),),
        )
        draft, draft_photos = add_ware(
            session,
            store,
            "S-2",
            {"title_en": "Unfinished record", "status": "draft"},
            photos=(make_image_bytes((200, 200), seed=4),),
        )
        found.wares = {"plate": plate.id, "vase": vase.id, "draft": draft.id}
        found.photos = {
            "plate": plate_photos[0],
            "plate_png": plate_photos[1],
            "vase": vase_photos[0],
            "draft": draft_photos[0],
        }
        found.institution_id = plate.institution_id
        found.collection_id = plate.collection_id or 0
        session.commit()
    return found


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on a free loopback port in a thread; answers its base URL."""
    with serving(app) as base:
        yield base


def willow_exhibition(
    session_factory: sessionmaker[Session], catalogue: Catalogue, *, publish: bool, **fields: str
) -> None:
    """An exhibition 'willow' showing the published plate and the draft, published or not."""
    with session_factory() as session:
        exhibition = save_exhibition(
            session,
            None,
            {"slug": "willow", "title_en": "The Willow pattern", "intro_en": "Blue and white."}
            | fields,
            [
                SectionDraft(
                    heading_en="Plates",
                    items=[
                        ItemDraft(catalogue.wares["plate"]),
                        ItemDraft(catalogue.wares["draft"]),
                    ],
                )
            ],
            actor="test",
        )
        if publish:
            set_exhibition_status(session, exhibition, ExhibitionStatus.PUBLISHED, actor="test")
        session.commit()
