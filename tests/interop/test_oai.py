"""The OAI-PMH 2.0 provider, checked by an independent client (Sickle) over real HTTP, and every
error condition of the specification on the request that should raise it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sickle import Sickle
from sickle.oaiexceptions import (
    BadArgument,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoRecordsMatch,
)

from archive.catalogue import get_or_create_institution, upsert_ware
from archive.models import Ware
from ingest.oai_harvest import parse_xml
from tests.interop.xml_schemas import schema_errors

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
LIDO = "{http://www.lido-schema.org}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DC_ELEMENTS = [
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
    "rights",
]


def _oai(client, **arguments) -> ET.Element:
    response = client.get("/oai", query_string=arguments)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    return parse_xml(response.data)


def _error(client, **arguments) -> str:
    root = _oai(client, **arguments)
    error = root.find(f"{OAI}error")
    assert error is not None, ET.tostring(root, encoding="unicode")
    return error.get("code")


def _withdraw(session_factory, ware_id: int) -> None:
    with session_factory() as session:
        ware = session.get(Ware, ware_id)
        upsert_ware(
            session,
            institution=ware.institution,
            accession_number=ware.accession_number,
            fields={"status": "draft"},
        )
        session.commit()


def test_sickle_harvests_every_verb(app, catalogue, live_server, session_factory):
    app.config["OAI_PAGE_SIZE"] = 1
    sickle = Sickle(f"{live_server}/oai")
    identify = sickle.Identify()
    assert identify.protocolVersion == "2.0"
    assert identify.deletedRecord == "transient"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.baseURL == f"{live_server}/oai"

    prefixes = {f.metadataPrefix for f in sickle.ListMetadataFormats()}
    assert prefixes == {"oai_dc", "lido"}

    sets = {s.setSpec: s.setName for s in sickle.ListSets()}
    institution_set = f"institution:{catalogue.institution_id}"
    collection_set = f"{institution_set}:collection:{catalogue.collection_id}"
    assert sets[institution_set] == "Stoke Museum"
    assert sets[collection_set] == "Blue and white"
    assert len(sets) == 3

    # One record a page: Sickle follows the resumption tokens.
    records = list(sickle.ListRecords(metadataPrefix="oai_dc"))
    assert len(records) == 2
    by_title = {r.metadata["title"][0]: r for r in records}
    plate = by_title["Willow pattern plate"]
    assert plate.header.identifier == f"oai:potbank.local:wares/{catalogue.wares['plate']}"
    assert set(plate.header.setSpecs) == {institution_set, collection_set}
    assert "柳树图案盘" in plate.metadata["title"]
    assert set(plate.metadata) == set(DC_ELEMENTS)

    lido = sickle.GetRecord(identifier=plate.header.identifier, metadataPrefix="lido")
    assert lido.xml.find(f".//{LIDO}workID").text == "S-1"

    headers = list(sickle.ListIdentifiers(metadataPrefix="lido", set=collection_set))
    assert [h.identifier for h in headers] == [plate.header.identifier]

    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(list(sickle.ListIdentifiers(metadataPrefix="oai_dc", **{"from": past}))) == 2
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListIdentifiers(metadataPrefix="oai_dc", **{"from": future}))
    with pytest.raises(IdDoesNotExist):
        sickle.GetRecord(identifier="oai:potbank.local:wares/999999", metadataPrefix="oai_dc")
    with pytest.raises(CannotDisseminateFormat):
        sickle.GetRecord(identifier=plate.header.identifier, metadataPrefix="marc21")
    with pytest.raises(BadArgument):
        list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": "yesterday"}))

    # A withdrawn ware is answered as deleted, so harvesters drop it as well.
    _withdraw(session_factory, catalogue.wares["plate"])
    headers = {h.identifier: h for h in sickle.ListIdentifiers(metadataPrefix="oai_dc")}
    assert headers[plate.header.identifier].deleted
    assert len(headers) == 2
    deleted = sickle.GetRecord(identifier=plate.header.identifier, metadataPrefix="oai_dc")
    assert deleted.deleted


def test_dublin_core_uses_both_languages(app, catalogue):
    client = app.test_client()
    identifier = f"oai:potbank.local:wares/{catalogue.wares['plate']}"
    root = _oai(client, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    dc = root.find(".//{http://www.openarchives.org/OAI/2.0/oai_dc/}dc")
    titles = {e.get(XML_LANG): e.text for e in dc.findall(f"{DC}title")}
    assert titles == {"en": "Willow pattern plate", "zh": "柳树图案盘"}
    assert {e.text for e in dc.findall(f"{DC}language")} == {"en", "zh"}
    assert dc.find(f"{DC}creator").text == "Josiah Spode (manufacturer)"
    assert {e.text for e in dc.findall(f"{DC}date")} == {"about 1820", "1815/1825"}
    assert {e.text for e in dc.findall(f"{DC}type")} == {"PhysicalObject", "StillImage"}


def test_lido_record_carries_the_catalogue(app, catalogue):
    client = app.test_client()
    identifier = f"oai:potbank.local:wares/{catalogue.wares['plate']}"
    root = _oai(client, verb="GetRecord", identifier=identifier, metadataPrefix="lido")
    lido = root.find(f".//{LIDO}lido")
    assert lido.find(f"{LIDO}lidoRecID").text == identifier
    order = [child.tag.removeprefix(LIDO) for child in lido]
    assert order == ["lidoRecID", "descriptiveMetadata", "administrativeMetadata"]
    assert lido.find(f".//{LIDO}objectWorkType/{LIDO}term").text == "plate"
    event = lido.find(f".//{LIDO}event")
    assert event.find(f"{LIDO}eventType/{LIDO}term").text == "Production"
    assert event.find(f".//{LIDO}roleActor/{LIDO}term").text == "manufacturer"
    assert event.find(f".//{LIDO}earliestDate").text == "1815"
    assert lido.find(f".//{LIDO}measurementValue").text == "25"
    links = [e.text for e in lido.iter(f"{LIDO}linkResource")]
    assert f"http://localhost/images/{catalogue.photos['plate']}/original" in links
    assert f"http://localhost/iiif/3/{catalogue.photos['plate']}" in links


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Dance"}, "badVerb"),
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2020-13-40"}, "badArgument"),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2020-01-01",
                "until": "2020-01-02T00:00:00Z",
            },
            "badArgument",
        ),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2021-01-01",
                "until": "2020-01-01",
            },
            "badArgument",
        ),
        (
            {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "resumptionToken": "forged.token"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "any"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "identifier": "oai:x:1", "metadataPrefix": "oai_dc"},
            "idDoesNotExist",
        ),
        ({"verb": "ListMetadataFormats", "identifier": "nope"}, "idDoesNotExist"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "1990-01-01"},
            "noRecordsMatch",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "nonesuch"}, "noRecordsMatch"),
    ],
)
def test_error_codes(app, catalogue, arguments, code):
    assert _error(app.test_client(), **arguments) == code


def test_repeated_argument_and_post(app, catalogue):
    client = app.test_client()
    response = client.get("/oai?verb=Identify&verb=Identify")
    assert parse_xml(response.data).find(f"{OAI}error").get("code") == "badVerb"
    response = client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=lido")
    root = parse_xml(response.data)
    assert root.find(f"{OAI}error").get("code") == "badArgument"
    # Error answers to bad arguments do not echo them in <request>.
    assert root.find(f"{OAI}request").attrib == {}
    posted = client.post("/oai", data={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert len(parse_xml(posted.data).findall(f".//{OAI}header")) == 2


@pytest.mark.parametrize(
    "dates",
    [
        {"from": "2020-13-40"},
        {"until": "yesterday"},
        {"from": "2020-01-01", "until": "2020-01-02T00:00:00Z"},
        {"from": "2021-01-01", "until": "2020-01-01"},
    ],
)
def test_bad_dates_are_not_echoed(app, catalogue, dates):
    # Found only after the arguments were read: <request> must still carry the base URL alone.
    root = _oai(app.test_client(), verb="ListIdentifiers", metadataPrefix="oai_dc", **dates)
    assert root.find(f"{OAI}error").get("code") == "badArgument"
    assert root.find(f"{OAI}request").attrib == {}
    assert root.find(f"{OAI}request").text == "http://localhost/oai"


def test_every_response_is_checked_against_the_schemas(app, catalogue):
    checks = app.extensions["oai_schema_checks"]
    client = app.test_client()
    _oai(client, verb="Identify")
    _oai(client, verb="ListRecords", metadataPrefix="lido")
    assert checks.checked == 2 and not checks.failures
    # The schemas do look inside records: a LIDO record missing its work type is refused.
    body = client.get("/oai", query_string={"verb": "ListRecords", "metadataPrefix": "lido"}).data
    broken = re.sub(rb"<lido:objectWorkTypeWrap>.*?</lido:objectWorkTypeWrap>", b"", body)
    assert broken != body
    assert any(
        "objectWorkTypeWrap" in error or "classificationWrap" in error
        for error in schema_errors(broken)
    )
    echoed = body.replace(b"<request", b'<request from="2020-13-40"', 1)
    assert any("UTCdatetimeType" in error for error in schema_errors(echoed))


def test_token_from_another_verb_or_tampered_is_refused(app, catalogue):
    app.config["OAI_PAGE_SIZE"] = 1
    client = app.test_client()
    root = _oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.find(f".//{OAI}resumptionToken")
    assert token.get("completeListSize") == "2" and token.get("cursor") == "0"
    assert _error(client, verb="ListRecords", resumptionToken=token.text) == "badResumptionToken"
    encoded, signature = token.text.split(".")
    tampered = encoded[:-2] + ("AA" if encoded[-2:] != "AA" else "BB") + "." + signature
    assert _error(client, verb="ListIdentifiers", resumptionToken=tampered) == "badResumptionToken"
    last = _oai(client, verb="ListIdentifiers", resumptionToken=token.text)
    final = last.find(f".//{OAI}resumptionToken")
    assert final.text is None and final.get("cursor") == "1"


def test_deleted_records_and_empty_repository(app, catalogue, session_factory):
    client = app.test_client()
    identifier = f"oai:potbank.local:wares/{catalogue.wares['plate']}"
    draft = f"oai:potbank.local:wares/{catalogue.wares['draft']}"
    # A ware that was never published does not exist for harvesters.
    assert _error(client, verb="GetRecord", identifier=draft, metadataPrefix="oai_dc") == (
        "idDoesNotExist"
    )
    _withdraw(session_factory, catalogue.wares["plate"])
    root = _oai(client, verb="GetRecord", identifier=identifier, metadataPrefix="lido")
    header = root.find(f".//{OAI}header")
    assert header.get("status") == "deleted"
    assert root.find(f".//{OAI}metadata") is None
    assert _error(client, verb="ListMetadataFormats", identifier=identifier) == "noMetadataFormats"
    _withdraw(session_factory, catalogue.wares["vase"])
    assert _error(client, verb="ListSets") == "noSetHierarchy"
    assert _error(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="x") == (
        "noSetHierarchy"
    )


def test_repository_identifier_from_configuration(app, catalogue, session_factory):
    app.config["OAI_REPOSITORY_ID"] = "archive.example.org"
    client = app.test_client()
    root = _oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    identifiers = [e.text for e in root.iter(f"{OAI}identifier")]
    assert all(i.startswith("oai:archive.example.org:wares/") for i in identifiers)
    with session_factory() as session:
        get_or_create_institution(session, "Empty Institution")
        session.commit()
    identify = _oai(client, verb="Identify")
    scheme = identify.find(
        ".//{http://www.openarchives.org/OAI/2.0/oai-identifier}sampleIdentifier"
    )
    assert scheme.text == "oai:archive.example.org:wares/1"
