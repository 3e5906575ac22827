"""Words in each search mode: with CLIP they also search the photographs; without it, a visual
search by words is refused with a plain reason."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.web.conftest import Catalogue
from tests.web.fakes import FakeSearch


@pytest.fixture
def clip(fake_search: FakeSearch) -> FakeSearch:
    """The fake search service standing in for an instance where CLIP reads words."""
    fake_search.understands_words = True
    return fake_search


def test_the_page_searches_records_and_photographs_when_clip_reads_words(
    client: FlaskClient, clip: FakeSearch, catalogue: Catalogue
) -> None:
    page = client.get("/?q=vase").get_data(as_text=True)
    assert ("search", {"query": "vase", "mode": "hybrid"}) in clip.calls
    # The teapot has a photograph but not the word: CLIP's side found it.
    assert f'href="/wares/{catalogue.teapot}"' in page
    assert '<select class="keyword__mode" id="mode" name="mode">' in page
    assert '<option value="hybrid" selected>' in page


def test_photographs_only_searches_by_description(
    client: FlaskClient, clip: FakeSearch, catalogue: Catalogue
) -> None:
    body = client.get("/api/v1/search?q=blue+moon+flask&mode=visual").get_json()
    assert clip.calls[-1] == ("search", {"query": "blue moon flask", "mode": "visual"})
    assert body["mode"] == "visual"
    assert {tuple(r["sources"]) for r in body["results"]} == {("clip-text",)}
    page = client.get("/?q=blue+moon+flask&mode=visual").get_data(as_text=True)
    assert '<option value="visual" selected>' in page


def test_the_api_says_which_side_found_each_result(
    client: FlaskClient, clip: FakeSearch, catalogue: Catalogue
) -> None:
    body = client.get("/api/v1/search?q=vase&mode=hybrid").get_json()
    sources = {r["id"]: r["sources"] for r in body["results"]}
    assert sources[catalogue.vase] == ["keyword", "clip-text"]
    assert sources[catalogue.teapot] == ["clip-text"]


def test_records_only_and_sorted_searches_stay_keyword(
    client: FlaskClient, clip: FakeSearch
) -> None:
    client.get("/?q=vase&mode=keyword")
    assert clip.calls[-1][0] == "keyword"
    # Only the records can be sorted by title or date, so a sorted search reads them alone.
    client.get("/?q=vase&sort=title")
    assert clip.calls[-1][0] == "keyword" and clip.calls[-1][1]["sort"] == "title"


def test_without_clip_words_search_the_records_and_visual_is_explained(
    client: FlaskClient, fake_search: FakeSearch
) -> None:
    page = client.get("/?q=vase").get_data(as_text=True)
    assert fake_search.calls[-1][0] == "keyword"
    assert 'name="mode"' not in page
    refused = client.get("/?q=vase&mode=visual")
    assert refused.status_code == 400
    assert "searching photographs by words needs CLIP" in refused.get_data(as_text=True)
    api = client.get("/api/v1/search?q=vase&mode=visual")
    assert api.status_code == 400 and "needs CLIP" in api.get_json()["error"]["message"]
