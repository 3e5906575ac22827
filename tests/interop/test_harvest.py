"""Two Potbank instances on loopback: the second harvests the first over OAI-PMH and IIIF."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from flask import redirect
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.catalogue import upsert_ware
from archive.db import make_engine, make_session_factory, upgrade_database
from archive.models import AuditEvent, Ware, WareMaker, WareStatus
from archive.settings import load_settings
from archive.store import ImageStore
from ingest.oai_harvest import (
    HarvestError,
    HarvestOptions,
    dc_to_record,
    fetch,
    harvest,
    load_state,
    parse_xml,
)


@pytest.fixture
def second_instance(tmp_path: Path):
    """A separate, empty instance (its own SQLite database, store and indexes)."""
    home = tmp_path / "second"
    url = f"sqlite:///{home / 'potbank.sqlite3'}"
    upgrade_database(url)
    settings = load_settings({"POTBANK_HOME": str(home), "POTBANK_DATABASE_URL": url})
    engine = make_engine(url)
    yield settings, make_session_factory(engine)
    engine.dispose()


def _wares(factory) -> dict[str, Ware]:
    with factory() as session:
        wares = session.scalars(
            select(Ware).options(
                selectinload(Ware.photographs),
                selectinload(Ware.makers).selectinload(WareMaker.maker),
                selectinload(Ware.institution),
                selectinload(Ware.collection),
            )
        ).all()
        return {ware.accession_number: ware for ware in wares}


def test_second_instance_harvests_the_first(
    app, catalogue, live_server, settings, session_factory, second_instance
):
    app.config["OAI_PAGE_SIZE"] = 1  # the harvest must follow resumption tokens
    second, second_factory = second_instance
    options = HarvestOptions(endpoint=f"{live_server}/oai")
    # Datestamps are whole seconds: let the catalogue's second pass, so the next incremental
    # harvest (from this harvest's responseDate) cannot see these records again.
    time.sleep(1.1)

    first = harvest(second, second_factory, options)
    assert first.metadata_prefix == "lido"
    assert first.ingest.created == 2, first.ingest.problems
    assert first.problems == [] and first.ingest.problems == []
    wares = _wares(second_factory)
    assert set(wares) == {"S-1", "J-1"}  # the draft never leaves the first instance
    plate = wares["S-1"]
    assert plate.status is WareStatus.PUBLISHED
    assert (plate.title_en, plate.title_zh) == ("Willow pattern plate", "柳树图案盘")
    assert plate.institution.name == "Stoke Museum"
    assert plate.collection.name == "Blue and white"
    assert [(c.maker.name, c.role.value) for c in plate.makers] == [
        ("Josiah Spode", "manufacturer")
    ]
    assert (plate.year_earliest, plate.year_latest, plate.diameter_cm) == (1815, 1825, 25.0)
    assert plate.material == "earthenware" and plate.marks == "SPODE impressed"
    assert plate.rights == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert plate.provenance == "Bought at the factory sale, 1901"
    # The originals travel byte for byte: the same digests, so the same IIIF identifiers.
    assert [p.sha256 for p in plate.photographs] == [
        catalogue.photos["plate"],
        catalogue.photos["plate_png"],
    ]
    assert plate.photographs[0].licence == "http://creativecommons.org/licenses/by/4.0/"
    assert plate.photographs[0].attribution == "Photo © Stoke Museum"
    store = ImageStore(second.store_dir)
    original = store.original_path(plate.photographs[1].sha256, "png")
    assert hashlib.sha256(original.read_bytes()).hexdigest() == catalogue.photos["plate_png"]
    assert wares["J-1"].institution.name == "Jingdezhen Ceramic University"
    assert wares["J-1"].collection is None
    state = load_state(second)
    assert list(state) == [f"{live_server}/oai||lido"]

    # The next harvest asks only for what changed since; an update arrives.
    time.sleep(1.1)
    with session_factory() as session:
        ware = session.get(Ware, catalogue.wares["vase"])
        upsert_ware(
            session,
            institution=ware.institution,
            accession_number="J-1",
            fields={"title_en": "Meiping vase with lotus scroll"},
        )
        session.commit()
    second_run = harvest(second, second_factory, options)
    assert second_run.harvested_from is not None
    assert second_run.records == 1
    assert second_run.ingest.updated == 1
    assert _wares(second_factory)["J-1"].title_en == "Meiping vase with lotus scroll"

    # A ware withdrawn at the source is withdrawn here too, with an audit event.
    time.sleep(1.1)
    with session_factory() as session:
        ware = session.get(Ware, catalogue.wares["plate"])
        upsert_ware(
            session,
            institution=ware.institution,
            accession_number="S-1",
            fields={"status": "draft"},
        )
        session.commit()
    third = harvest(second, second_factory, options)
    assert (third.deleted, third.withdrawn) == (1, 1)
    assert _wares(second_factory)["S-1"].status is WareStatus.DRAFT
    with second_factory() as session:
        actors = session.scalars(
            select(AuditEvent.actor).where(AuditEvent.entity_id == plate.id)
        ).all()
    assert "oai-harvest" in actors

    # And nothing new is nothing to do (records of the last second may be seen again: harmless).
    fourth = harvest(second, second_factory, options)
    assert (fourth.ingest.created, fourth.ingest.updated, fourth.withdrawn) == (0, 0, 0)


def test_dublin_core_harvest(app, catalogue, live_server, second_instance):
    second, second_factory = second_instance
    options = HarvestOptions(
        endpoint=f"{live_server}/oai",
        metadata_prefix="oai_dc",
        set_spec=f"institution:{catalogue.institution_id}",
        status="submitted",
    )
    report = harvest(second, second_factory, options)
    assert report.ingest.created == 1
    plate = _wares(second_factory)["S-1"]
    assert plate.status is WareStatus.SUBMITTED
    assert plate.title_zh == "柳树图案盘"
    assert plate.institution.name == "Stoke Museum"
    assert (plate.year_earliest, plate.year_latest) == (1815, 1825)
    assert [c.maker.name for c in plate.makers] == ["Josiah Spode"]
    assert {p.sha256 for p in plate.photographs} == {
        catalogue.photos["plate"],
        catalogue.photos["plate_png"],
    }


def test_unreachable_or_hostile_remotes_fail_cleanly(second_instance):
    second, second_factory = second_instance
    with pytest.raises(HarvestError):
        harvest(second, second_factory, HarvestOptions(endpoint="http://127.0.0.1:9/oai"))
    with pytest.raises(HarvestError):
        harvest(second, second_factory, HarvestOptions(endpoint="file:///etc/passwd"))
    with pytest.raises(HarvestError, match="DTD"):
        parse_xml(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    record, links = dc_to_record(
        parse_xml(
            b'<dc xmlns="http://purl.org/dc/elements/1.1/"><title>Bowl</title>'
            b"<identifier>B-7</identifier>"
            b"<identifier>https://example.org/img/b7.jpg</identifier></dc>"
        ),
        "oai:example.org:1",
    )
    assert record.accession_number == "B-7"
    assert [link.url for link in links] == ["https://example.org/img/b7.jpg"]


def test_fetches_stay_on_the_partners_hosts(app, catalogue, live_server):
    port = live_server.rsplit(":", 1)[1]

    @app.get("/test/elsewhere")
    def elsewhere():  # type: ignore[no-untyped-def]
        return redirect(f"http://localhost:{port}/iiif/3/{catalogue.photos['plate']}/info.json")

    loopback = frozenset({"127.0.0.1"})
    info, name = fetch(
        f"{live_server}/iiif/3/{catalogue.photos['plate']}/info.json", loopback, 5, 10**6
    )
    assert b"ImageService3" in info and name == "info.json"
    with pytest.raises(HarvestError, match="not a host"):
        fetch(f"http://localhost:{port}/oai?verb=Identify", loopback, 5, 10**6)
    with pytest.raises(HarvestError, match="not a host"):
        fetch(f"{live_server}/test/elsewhere", loopback, 5, 10**6)
    # (A small answer, so the server has sent it all before the client stops reading.)
    with pytest.raises(HarvestError, match="larger than"):
        fetch(f"{live_server}/iiif/3/{catalogue.photos['plate']}/info.json", loopback, 5, 100)
    options = HarvestOptions(endpoint=f"{live_server}/oai", image_hosts=("IIIF.example.org",))
    assert options.allowed_image_hosts() == {"127.0.0.1", "iiif.example.org"}


def test_potbank_ingest_oai_harvests_through_the_cli(app, catalogue, live_server, tmp_path):
    from click.testing import CliRunner

    from web.cli import main

    home = tmp_path / "harvester"
    env = {"POTBANK_HOME": str(home), "POTBANK_DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}"}
    source = f"oai:{live_server}/oai"
    args = ["ingest", source, "--set", f"institution:{catalogue.institution_id}"]
    first = CliRunner().invoke(main, args, env=env)
    assert first.exit_code == 0, first.output
    found = CliRunner().invoke(main, ["search", "willow", "--json"], env=env)
    assert [row["accession_number"] for row in json.loads(found.output)["results"]] == ["S-1"]
    missing = CliRunner().invoke(main, ["ingest", str(tmp_path / "nothing.csv")], env=env)
    assert missing.exit_code == 2 and "does not exist" in missing.output
