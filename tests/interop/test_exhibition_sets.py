"""Published exhibitions appear as OAI-PMH sets holding the public wares they show."""

from __future__ import annotations

from tests.interop.conftest import willow_exhibition
from tests.interop.test_oai import OAI, _error, _oai


def test_a_published_exhibition_is_a_set_of_its_public_wares(app, catalogue, session_factory):
    willow_exhibition(session_factory, catalogue, publish=True)
    client = app.test_client()
    sets = _oai(client, verb="ListSets")
    specs = {
        s.findtext(f"{OAI}setSpec"): s.findtext(f"{OAI}setName") for s in sets.iter(f"{OAI}set")
    }
    assert specs["exhibition:willow"] == "The Willow pattern"
    listed = _oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="exhibition:willow")
    headers = list(listed.iter(f"{OAI}header"))
    assert len(headers) == 1
    assert headers[0].findtext(f"{OAI}identifier").endswith(f"/{catalogue.wares['plate']}")
    assert "exhibition:willow" in [e.text for e in headers[0].findall(f"{OAI}setSpec")]


def test_a_draft_exhibition_is_no_set(app, catalogue, session_factory):
    willow_exhibition(session_factory, catalogue, publish=False)
    client = app.test_client()
    sets = _oai(client, verb="ListSets")
    assert "exhibition:willow" not in [s.findtext(f"{OAI}setSpec") for s in sets.iter(f"{OAI}set")]
    code = _error(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="exhibition:willow")
    assert code == "noRecordsMatch"
