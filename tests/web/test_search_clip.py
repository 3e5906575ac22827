"""Words through CLIP's text tower on the page and in the API, with the real search facade and a
tiny randomly initialised CLIP (the real loading and embedding code, no downloaded weights)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from archive.settings import Settings
from index.embedders import ClipEmbedder
from index.service import SearchService
from index.sync import IndexSync
from tests.conftest import TINY
from tests.web.conftest import Catalogue
from web.app import create_app
from web.views.context import app_state

pytestmark = pytest.mark.slow


def test_words_search_photographs_on_the_page_and_in_the_api(
    settings: Settings,
    catalogue: Catalogue,
    session_factory: sessionmaker[Session],
    tiny_checkpoint: Path,
) -> None:
    clip = ClipEmbedder(TINY, str(tiny_checkpoint))
    with session_factory() as session:
        IndexSync(settings, clip).rebuild(session)
    app = create_app(
        settings, testing=True, search=SearchService(settings, session_factory, embedder=clip)
    )
    try:
        client = app.test_client()
        page = client.get("/?q=emblems").get_data(as_text=True)
        assert '<option value="hybrid" selected>' in page
        hybrid = client.get("/api/v1/search?q=emblems&mode=hybrid").get_json()
        assert hybrid["mode"] == "hybrid" and hybrid["embedder"]["kind"] == "clip"
        sources = {r["id"]: set(r["sources"]) for r in hybrid["results"]}
        assert sources[catalogue.vase] == {"keyword", "clip-text"}
        # Random weights rank arbitrarily, but CLIP's side reaches every photographed ware.
        assert catalogue.teapot in sources
        visual = client.get("/api/v1/search?q=a+blue+moon+flask&mode=visual").get_json()
        assert visual["mode"] == "visual"
        assert {r["id"] for r in visual["results"]} == {catalogue.vase, catalogue.teapot}
        assert all(r["sources"] == ["clip-text"] for r in visual["results"])
        assert client.get("/?q=a+blue+moon+flask&mode=visual").status_code == 200
    finally:
        app_state(app).close()
