"""Words in each search mode: with CLIP they also search the photographs; without it, a visual
search by words is refused with a plain reason. CLIP here is a tiny randomly initialised model run
by the real loading and embedding code over the real search facade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from archive.settings import Settings
from index.embedders import ClipEmbedder
from index.service import SearchService
from index.sync import IndexSync
from tests.conftest import TINY
from tests.web.conftest import Catalogue
from web.app import create_app
from web.views.context import app_state


@pytest.fixture
def clip_client(
    settings: Settings,
    catalogue: Catalogue,
    session_factory: sessionmaker[Session],
    tiny_checkpoint: Path,
) -> Iterator[FlaskClient]:
    """A client of an app whose indexes and search read words with a tiny real CLIP."""
    clip = ClipEmbedder(TINY, str(tiny_checkpoint))
    with session_factory() as session:
        IndexSync(settings, clip).rebuild(session)
    app = create_app(
        settings, testing=True, search=SearchService(settings, session_factory, embedder=clip)
    )
    yield app.test_client()
    app_state(app).close()


@pytest.mark.slow
def test_the_page_searches_records_and_photographs_when_clip_reads_words(
    clip_client: FlaskClient, catalogue: Catalogue
) -> None:
    page = clip_client.get("/?q=vase").get_data(as_text=True)
    # The teapot has a photograph but not the word: CLIP's side found it.
    assert f'href="/wares/{catalogue.vase}"' in page
    assert f'href="/wares/{catalogue.teapot}"' in page
    assert '<select class="keyword__mode" id="mode" name="mode">' in page
    assert '<option value="hybrid" selected>' in page


@pytest.mark.slow
def test_photographs_only_searches_by_description(
    clip_client: FlaskClient, catalogue: Catalogue
) -> None:
    body = clip_client.get("/api/v1/search?q=blue+moon+flask&mode=visual").get_json()
    assert body["mode"] == "visual" and body["embedder"]["kind"] == "clip"
    assert {r["id"] for r in body["results"]} == {catalogue.vase, catalogue.teapot}
    assert {tuple(r["sources"]) for r in body["results"]} == {("clip-text",)}
    page = clip_client.get("/?q=blue+moon+flask&mode=visual").get_data(as_text=True)
    assert '<option value="visual" selected>' in page


@pytest.mark.slow
def test_the_api_says_which_side_found_each_result(
    clip_client: FlaskClient, catalogue: Catalogue
) -> None:
    body = clip_client.get("/api/v1/search?q=vase&mode=hybrid").get_json()
    assert body["mode"] == "hybrid"
    sources = {r["id"]: r["sources"] for r in body["results"]}
    assert sources[catalogue.vase] == ["keyword", "clip-text"]
    assert sources[catalogue.teapot] == ["clip-text"]


@pytest.mark.slow
def test_records_only_and_sorted_searches_stay_keyword(
    clip_client: FlaskClient, catalogue: Catalogue
) -> None:
    body = clip_client.get("/api/v1/search?q=vase&mode=keyword").get_json()
    assert body["mode"] == "keyword"
    assert [(r["id"], r["sources"]) for r in body["results"]] == [(catalogue.vase, ["keyword"])]
    page = clip_client.get("/?q=vase&mode=keyword").get_data(as_text=True)
    assert f'href="/wares/{catalogue.teapot}"' not in page
    # Only the records can be sorted by title or date, so a sorted search reads them alone.
    sorted_page = clip_client.get("/?q=vase&sort=title").get_data(as_text=True)
    assert f'href="/wares/{catalogue.vase}"' in sorted_page
    assert f'href="/wares/{catalogue.teapot}"' not in sorted_page


def test_without_clip_words_search_the_records_and_visual_is_explained(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = client.get("/?q=vase").get_data(as_text=True)
    assert 'name="mode"' not in page
    assert f'href="/wares/{catalogue.vase}"' in page
    assert f'href="/wares/{catalogue.teapot}"' not in page
    body = client.get("/api/v1/search?q=vase").get_json()
    assert body["mode"] == "keyword" and body["embedder"]["kind"] == "descriptor"
    refused = client.get("/?q=vase&mode=visual")
    assert refused.status_code == 400
    assert "searching photographs by words needs CLIP" in refused.get_data(as_text=True)
    api = client.get("/api/v1/search?q=vase&mode=visual")
    assert api.status_code == 400 and "needs CLIP" in api.get_json()["error"]["message"]
