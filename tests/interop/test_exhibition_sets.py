"""Published exhibitions appear as OAI-PMH sets holding the public wares they show."""

from __future__ import annotations

from archive.exhibiting import ItemDraft, SectionDraft, save_exhibition, set_exhibition_status
from archive.exhibitions import ExhibitionStatus
from tests.interop.test_oai import OAI, _error, _oai


def _exhibition(session_factory, catalogue, *, publish: bool) -> None:
    with session_factory() as session:
        exhibition = save_exhibition(
            session,
            None,
            {"slug": "willow", "title_en": "The Willow pattern", "intro_en": "Blue and white."},
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


def test_a_published_exhibition_is_a_set_of_its_public_wares(app, catalogue, session_factory):
    _exhibition(session_factory, catalogue, publish=True)
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
    _exhibition(session_factory, catalogue, publish=False)
    client = app.test_client()
    sets = _oai(client, verb="ListSets")
    assert "exhibition:willow" not in [s.findtext(f"{OAI}setSpec") for s in sets.iter(f"{OAI}set")]
    code = _error(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="exhibition:willow")
    assert code == "noRecordsMatch"
