"""Catalogue values in the reader's language on pages, facets, chips and in the API; filters in
either language."""

from __future__ import annotations

import json

from click.testing import CliRunner
from flask.testing import FlaskClient

from tests.web.conftest import Catalogue
from web.cli import main

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


def test_facets_and_chips_in_chinese(client: FlaskClient, catalogue: Catalogue) -> None:
    page = client.get("/?q=", headers=CHINESE).get_data(as_text=True)
    assert '<span class="facet__value">瓶</span>' in page  # object type "vase"
    assert '<span class="facet__value">瓷</span>' in page  # material "porcelain"
    assert '<span class="facet__value">18 世纪</span>' in page
    chips = client.get("/?q=&object_type=vase", headers=CHINESE).get_data(as_text=True)
    assert '<span class="chip__label">器物类型：</span> 瓶' in chips


def test_filters_in_either_language(client: FlaskClient, catalogue: Catalogue) -> None:
    for value in ("vase", "瓶", "花瓶"):
        body = client.get(f"/api/v1/search?q=&object_type={value}").get_json()
        assert [r["id"] for r in body["results"]] == [catalogue.vase], value
    body = client.get("/api/v1/search?q=&material=炻器").get_json()
    assert [r["id"] for r in body["results"]] == [catalogue.teapot]


def test_api_gives_en_zh_pairs(client: FlaskClient, catalogue: Catalogue) -> None:
    body = client.get("/api/v1/search?q=").get_json()
    materials = {f["value"]: f["label"] for f in body["facets"]["material"]}
    assert materials["porcelain"] == {"en": "porcelain", "zh": "瓷"}
    photo = {f["value"]: f["label"] for f in body["facets"]["has_photo"]}
    assert photo["yes"] == {"en": "With photograph", "zh": "有照片"}
    vase = next(r for r in body["results"] if r["id"] == catalogue.vase)
    assert vase["labels"]["object_type"] == {"en": "vase", "zh": "瓶"}
    record = client.get(f"/api/v1/wares/{catalogue.vase}").get_json()
    assert record["labels"]["place"] == {"en": "Jingdezhen", "zh": "景德镇"}
    assert record["labels"]["period"] == {"en": "Qing Dynasty", "zh": "清"}
    assert record["institution"]["label"]["en"] == "Capital Museum, Beijing"


def test_ware_page_in_chinese(client: FlaskClient, catalogue: Catalogue) -> None:
    page = client.get(f"/wares/{catalogue.vase}", headers=CHINESE).get_data(as_text=True)
    assert "景德镇" in page and "<dd>瓷</dd>" in page


def test_vocabulary_report_lists_unknown_values(settings, catalogue: Catalogue) -> None:
    env = {"POTBANK_HOME": str(settings.home), "POTBANK_DATABASE_URL": settings.database_url}
    result = CliRunner().invoke(main, ["vocabulary", "report", "--json"], env=env)
    assert result.exit_code == 0, result.output
    rows = {(row["field"], row["value"]): row["wares"] for row in json.loads(result.output)}
    assert rows[("collection", "Chinese ceramics")] == 2
    assert ("institution", "Capital Museum, Beijing") in rows
    assert ("object_type", "vase") not in rows and ("material", "Porcelain") not in rows
    text = CliRunner().invoke(main, ["vocabulary", "report"], env=env).output
    assert "Chinese ceramics" in text.splitlines()[1] or "Chinese ceramics" in text
