"""English and Chinese: the browser's preference by default, a switch that is remembered, and
records in the reader's language first."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import Catalogue
from web.views.language import COOKIE
from web.views.searching import facet_value_label

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}


def _page(client: FlaskClient, path: str, **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_english_is_the_default(client: FlaskClient) -> None:
    page = _page(client, "/")
    assert '<html lang="en">' in page and "Search the collection" in page
    assert 'hreflang="zh-Hans"' in page and ">中文</a>" in page


def test_a_chinese_browser_gets_chinese(client: FlaskClient) -> None:
    page = _page(client, "/", **CHINESE)
    assert '<html lang="zh-Hans">' in page
    assert "检索藏品" in page and "Search the collection" not in page
    assert ">English</a>" in page


def test_the_switch_is_remembered_and_beats_the_browser(client: FlaskClient) -> None:
    response = client.get("/language/zh?next=/about%3Fx%3D1")
    assert response.status_code == 303 and response.headers["Location"] == "/about?x=1"
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.value == "zh" and cookie.http_only
    assert "关于 Potbank" in _page(client, "/about")
    client.get("/language/en?next=/")
    assert "About Potbank" in _page(client, "/about", **CHINESE)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "about"]
)
def test_the_switch_only_returns_to_this_site(client: FlaskClient, target: str) -> None:
    response = client.get("/language/zh", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_an_unknown_language_changes_nothing(client: FlaskClient) -> None:
    client.get("/language/fr?next=/")
    assert client.get_cookie(COOKIE) is None


def test_pages_vary_by_language_but_images_do_not(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = client.get("/")
    assert {"Cookie", "Accept-Language"} <= set(page.vary)
    image = client.get(f"/images/{catalogue.vase_front}/thumb.jpg")
    image.close()
    assert image.status_code == 200 and "Accept-Language" not in image.vary


def test_records_put_the_readers_language_first(client: FlaskClient, catalogue: Catalogue) -> None:
    english = _page(client, f"/wares/{catalogue.vase}")
    assert 'lang="en">Flat Sided Vase with Eight Buddhist Emblems</h1>' in english
    assert '<p class="record__title-alt" lang="zh">八吉祥纹抱月瓶</p>' in english
    chinese = _page(client, f"/wares/{catalogue.vase}", **CHINESE)
    assert 'lang="zh">八吉祥纹抱月瓶</h1>' in chinese
    assert "<title>八吉祥纹抱月瓶" in chinese
    # In the record itself (the head's citation metadata also carries the English text).
    record = chinese[chinese.index("<main") :]
    assert record.index("青花八吉祥纹抱月瓶。") < record.index("A moon flask painted")
    assert "<dt>产地</dt>" in chinese and "<dt>Place of production</dt>" in english


def test_counts_dates_and_errors_are_translated(client: FlaskClient, catalogue: Catalogue) -> None:
    results = _page(client, "/?q=vase", **CHINESE)
    assert "“vase”的检索结果：1 件器物" in results
    refused = client.get("/?q=vase&page=zero", headers=CHINESE).get_data(as_text=True)
    assert "page 必须是整数" in refused
    missing = client.get("/wares/999999", headers=CHINESE)
    assert missing.status_code == 404 and "未找到" in missing.get_data(as_text=True)


def test_the_api_stays_english(client: FlaskClient) -> None:
    body = client.get("/api/v1/search?q=vase&page=zero", headers=CHINESE).get_json()
    assert body["error"]["message"] == "page must be a whole number, not 'zero'"


@pytest.mark.parametrize(
    ("value", "english", "chinese"),
    [
        ("18th century", "18th century", "18 世纪"),
        ("3rd century BCE", "3rd century BCE", "公元前 3 世纪"),
    ],
)
def test_centuries_are_written_in_the_readers_language(
    app: Flask, value: str, english: str, chinese: str
) -> None:
    with app.test_request_context("/"):
        assert facet_value_label("century", value) == english
        assert facet_value_label("material", "porcelain") == "porcelain"
    with app.test_request_context("/", headers=CHINESE):
        assert facet_value_label("century", value) == chinese
        assert facet_value_label("has_photo", "yes") == "有照片"


def test_pages_say_which_search_is_active_in_the_readers_language(client: FlaskClient) -> None:
    assert "以图检索比较颜色、纹理和形状" in _page(client, "/", **CHINESE)
    # The API keeps the reason, for whoever runs the archive.
    body = client.get("/api/v1/status", headers=CHINESE).get_json()
    assert body["embedder"]["reason"].startswith("CLIP not configured")
