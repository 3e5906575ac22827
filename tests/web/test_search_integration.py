"""The pages and the API over the real search facade and indexes built from the catalogue."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from archive.settings import Settings
from tests.web.conftest import Catalogue, csrf_token
from web.app import create_app
from web.views.context import app_state


def test_keyword_search_finds_published_wares_in_either_language(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    english = client.get("/?q=emblems").get_data(as_text=True)
    assert f'href="/wares/{catalogue.vase}"' in english and "<mark>" in english
    chinese = client.get("/?q=抱月瓶").get_data(as_text=True)
    assert f'href="/wares/{catalogue.vase}"' in chinese
    assert "Secret draft bowl" not in client.get("/?q=secret").get_data(as_text=True)


def test_facets_from_the_index_filter_the_results(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = client.get("/?q=").get_data(as_text=True)
    assert "3 wares" in page
    assert '<span class="facet__value">With photograph</span>' in page
    link = re.search(r'href="(\?q=&amp;material=stoneware)"', page)
    assert link, "no material facet link for stoneware"
    filtered = client.get("/" + link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "1 ware" in filtered and f'href="/wares/{catalogue.teapot}"' in filtered


def test_a_date_range_keeps_wares_whose_dates_overlap_it(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    body = client.get("/api/v1/search?q=&year_from=1700&year_to=1750").get_json()
    assert [result["id"] for result in body["results"]] == [catalogue.vase]
    assert client.get("/api/v1/search?q=&year_from=1800").get_json()["total"] == 0


def test_a_malformed_query_is_answered_not_crashed(client: FlaskClient) -> None:
    response = client.get('/?q=vase AND ((("')
    assert response.status_code == 200
    api = client.get('/api/v1/search?q=vase AND ((("')
    assert api.status_code == 200 and api.get_json()["total"] >= 0


def test_record_text_stays_escaped_through_the_real_index(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = client.get("/?q=teapot").get_data(as_text=True)
    assert f'href="/wares/{catalogue.teapot}"' in page
    assert "<script>alert" not in page and "<img src=x" not in page
    body = client.get("/api/v1/search?q=described").get_json()
    assert body["results"] and "<script>" not in (body["results"][0]["snippet"] or "")


def test_search_by_photograph_finds_the_ware_it_shows(
    client: FlaskClient, settings: Settings, catalogue: Catalogue
) -> None:
    original = next((settings.store_dir / "originals").rglob(f"{catalogue.vase_front}.*"))
    photo = original.read_bytes()
    response = client.post(
        "/search/image",
        data={"image": (io.BytesIO(photo), "vase.jpg"), "csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    first = re.search(r'<a class="card__link" href="/wares/(\d+)[?"]', page)
    assert first and int(first.group(1)) == catalogue.vase
    api = client.post(
        "/api/v1/search/image",
        data={"image": (io.BytesIO(photo), "vase.jpg")},
        content_type="multipart/form-data",
    ).get_json()
    assert api["mode"] == "visual" and api["results"][0]["id"] == catalogue.vase
    assert api["results"][0]["sources"] == ["visual"]


def test_ware_page_shows_similar_wares_and_the_active_embedder(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = client.get(f"/wares/{catalogue.vase}").get_data(as_text=True)
    similar = page.split("Visually similar wares", 1)[1]
    assert f'href="/wares/{catalogue.teapot}?photo=' in similar
    status = client.get("/api/v1/status").get_json()
    assert status["embedder"]["kind"] == "descriptor" and status["embedder"]["name"]
    # The page says which search is active in plain words; the model's name is for the API.
    assert "compares colour, texture and shape" in client.get("/").get_data(as_text=True)


def test_a_fresh_instance_without_indexes_still_answers(
    settings: Settings, catalogue: Catalogue
) -> None:
    application = create_app(settings, testing=True)
    try:
        client = application.test_client()
        assert client.get("/?q=vase").status_code == 200
        assert client.get(f"/wares/{catalogue.vase}").status_code == 200
        assert client.get("/api/v1/search?q=vase").status_code == 200
    finally:
        app_state(application).close()


def test_search_says_what_a_chinese_query_was_also_searched_as(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    body = client.get("/api/v1/search?q=抱月瓶").get_json()
    assert [r["id"] for r in body["results"]] == [catalogue.vase]
    assert {"term": "抱月瓶", "also": ["宝月瓶", "moon flask", "baoyueping"]} in body["expansions"]
    english = client.get("/?q=抱月瓶").get_data(as_text=True)
    also = '宝月瓶{sep}<span lang="en">moon flask</span>{sep}<span lang="en">baoyueping</span>'
    assert "抱月瓶 also searched as: " + also.format(sep=", ") in english
    chinese = client.get("/?q=抱月瓶", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "“抱月瓶”同时搜索了：" + also.format(sep="、") in chinese
    # Traditional characters and pinyin find the same ware.
    for query in ("寶月瓶", "baoyue ping", "bàoyuèpíng"):
        found = client.get(f"/api/v1/search?q={query}").get_json()
        assert [r["id"] for r in found["results"]] == [catalogue.vase], query
