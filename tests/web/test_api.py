"""The JSON API: shapes, errors, escaping."""

from __future__ import annotations

import io

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from archive.settings import Settings
from tests.conftest import make_image_bytes
from tests.index.visual_images import unrelated_bytes
from tests.web.conftest import XSS, Catalogue
from web.app import create_app
from web.views.context import app_state


def test_search_returns_results_facets_and_embedder(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    response = client.get("/api/v1/search?q=vase")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["mode"] == "keyword"
    result = body["results"][0]
    assert result["id"] == catalogue.vase
    assert result["title"] == "Flat Sided Vase with Eight Buddhist Emblems"
    assert result["title_zh"] == "八吉祥纹抱月瓶"
    assert result["makers"][0]["name"] == "Josiah Wedgwood and Sons"
    assert result["makers"][0]["role"] == "manufacturer"
    assert result["date"] == "Qianlong Reign, Qing Dynasty"
    assert result["thumbnail"].endswith(f"/images/{catalogue.vase_front}/thumb.jpg")
    assert result["sources"] == ["keyword"] and isinstance(result["score"], float)
    assert body["facets"]["material"] == [
        {"value": "porcelain", "count": 1, "label": {"en": "porcelain", "zh": "瓷"}}
    ]
    # A value the vocabulary lacks is named as written in both languages.
    name = "Josiah Wedgwood and Sons"
    assert body["facets"]["maker"] == [
        {"value": name, "count": 1, "label": {"en": name, "zh": name}}
    ]
    assert body["embedder"]["name"] == "potbank-descriptor-v2"
    assert body["suggestion"] is None and body["message"] is None


def test_an_empty_query_lists_every_published_ware(client: FlaskClient) -> None:
    assert client.get("/api/v1/search?q=").get_json()["total"] == 3


def test_search_filters_and_suggestions(client: FlaskClient) -> None:
    body = client.get("/api/v1/search?q=&material=stoneware").get_json()
    assert [r["title"][:6] for r in body["results"]] == ["Teapot"]
    body = client.get("/api/v1/search?q=&material=porcelain&year_from=1700&year_to=1800").get_json()
    assert [r["title"][:10] for r in body["results"]] == ["Flat Sided"]
    assert client.get("/api/v1/search?q=&year_from=1800").get_json()["total"] == 0
    # A misspelling of a word in the catalogue finds nothing but suggests the word.
    body = client.get("/api/v1/search?q=wedgewood").get_json()
    assert body["suggestion"] == "wedgwood" and body["total"] == 0
    body = client.get("/api/v1/search?q=title:(").get_json()
    assert "Unmatched brackets were ignored." in body["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=vase&page=abc", "page must be a whole number"),
        ("q=vase&page=0", "page must be between"),
        ("q=vase&per_page=1000", "per_page must be between"),
        ("q=vase&mode=telepathy", "mode must be one of"),
        ("q=vase&sort=colour", "sort must be one of"),
        ("q=vase&colour=blue", "unknown parameter 'colour'"),
        ("", "give a query in q"),
        ("q=vase&mode=visual", "searching photographs by words needs CLIP"),
        ("q=&mode=visual", "a visual search needs words"),
        ("q=vase&year_from=1800s", "year_from must be a whole number"),
        ("q=vase&year_to=99999", "year_to must be between"),
        ("q=" + "x" * 501, "longer than 500"),
    ],
)
def test_bad_search_parameters_are_400_json(client: FlaskClient, query: str, message: str) -> None:
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and message in error["message"]


def test_image_search_takes_a_multipart_photograph_without_csrf(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    # The vase's own photograph, as a visitor's JPEG. (Another seed's drawing shares the
    # fixtures' ellipses, which the keypoint shapes do not always tell apart from the teapot's.)
    vase = make_image_bytes((600, 400), (30, 60, 150), seed=1, quality=60)
    response = client.post(
        "/api/v1/search/image",
        data={"image": (io.BytesIO(vase), "pot.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    body = response.get_json()
    # Only close matches are listed: the blue vase, not the brown teapot (the whole
    # photographed collection is not a result).
    assert body["mode"] == "visual" and body["total"] == 1 and not body["nothing_close"]
    [result] = body["results"]
    assert result["id"] == catalogue.vase
    assert result["match"]["reason"] in ("same", "form", "look")
    assert result["match"]["explanation"]["en"] and result["match"]["explanation"]["zh"]


def test_image_search_errors(client: FlaskClient) -> None:
    missing = client.post("/api/v1/search/image", data={})
    assert missing.status_code == 400
    assert "multipart field 'image'" in missing.get_json()["error"]["message"]
    bad = client.post(
        "/api/v1/search/image",
        data={"image": (io.BytesIO(b"GIF89a-not-really"), "x.gif")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "image_rejected"


def test_image_search_view_filter_and_nothing_close(
    client: FlaskClient, settings: Settings, catalogue: Catalogue
) -> None:
    def post(data: bytes, query: str = "", **form: str) -> Response:
        return client.post(
            f"/api/v1/search/image{query}",
            data={"image": (io.BytesIO(data), "q.jpg"), **form},
            content_type="multipart/form-data",
        )

    # The vase's base photograph shows its mark (the record describes one): "find this mark"
    # searches such photographs only, and answers with the photograph that matched.
    base = next((settings.store_dir / "originals").rglob(f"{catalogue.vase_base}.*")).read_bytes()
    for response in (post(base, "?view=mark"), post(base, view="mark")):
        [result] = response.get_json()["results"]
        assert result["id"] == catalogue.vase and result["match"]["photograph"]["view"] == "base"
    # A photograph of nothing in the collection: no results, and a message saying so.
    for language, words in (
        ("en", "matches your photograph closely"),
        ("zh", "没有与您的照片相近"),
    ):
        body = client.post(
            "/api/v1/search/image",
            data={"image": (io.BytesIO(unrelated_bytes()), "q.jpg")},
            content_type="multipart/form-data",
            headers={"Accept-Language": language},
        ).get_json()
        assert body["total"] == 0 and body["nothing_close"] and words in body["message"]
    vase = make_image_bytes((600, 400), (30, 60, 150), seed=1)
    wrong = post(vase, "?view=base")
    assert (
        wrong.status_code == 400 and "view must be one of" in wrong.get_json()["error"]["message"]
    )


def test_ware_record(client: FlaskClient, catalogue: Catalogue) -> None:
    body = client.get(f"/api/v1/wares/{catalogue.vase}").get_json()
    assert body["id"] == catalogue.vase and body["accession_number"] == "CN-0001"
    assert body["year_earliest"] == 1736 and body["height_cm"] == 49.5
    assert body["institution"]["name"] == "Capital Museum, Beijing"
    assert body["collection"]["id"] == catalogue.collection
    first, second = body["photographs"]
    assert first["sha256"] == catalogue.vase_front and first["licence_label"] == "CC BY 2.5"
    assert first["attribution"] == "Photo: Alex Amies, chinesenotes.com, CC BY 2.5"
    assert second["view"] == "base"
    assert first["original"].endswith(f"/images/{catalogue.vase_front}/original")


def test_maker_record(client: FlaskClient, catalogue: Catalogue) -> None:
    body = client.get(f"/api/v1/makers/{catalogue.maker}").get_json()
    assert body["name"] == "Josiah Wedgwood and Sons" and body["active_from"] == 1759
    assert body["ware_count"] == 2
    assert {w["id"] for w in body["wares"]} == {catalogue.vase, catalogue.teapot}


def test_the_root_lists_the_endpoints(client: FlaskClient) -> None:
    body = client.get("/api/v1/").get_json()
    assert body["endpoints"]["ware"] == "http://localhost/api/v1/wares/<id>"
    assert "material" in body["facets"]


def test_status_reports_embedder_and_counts(client: FlaskClient) -> None:
    body = client.get("/api/v1/status").get_json()
    assert body["embedder"]["kind"] == "descriptor"
    assert body["counts"] == {"wares": 3, "photographs": 3, "makers": 1, "institutions": 1}


@pytest.mark.parametrize(
    "url",
    ["/api/v1/wares/{draft}", "/api/v1/wares/999999", "/api/v1/makers/{hidden}", "/api/v1/nope"],
)
def test_unknown_and_unpublished_are_404_json(
    client: FlaskClient, catalogue: Catalogue, url: str
) -> None:
    response = client.get(url.format(draft=catalogue.draft, hidden=catalogue.hidden_maker))
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_is_405_json(client: FlaskClient) -> None:
    response = client.delete("/api/v1/status")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


class _ExplodingSearch:
    """Fault injection, not a stand-in for search: every search raises."""

    def __getattr__(self, _name: str) -> object:
        def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("index exploded at /secret/path")

        return broken


def test_an_unexpected_failure_is_500_json_never_a_page(
    settings: Settings, catalogue: Catalogue
) -> None:
    app = create_app(settings, testing=True, search=_ExplodingSearch())
    try:
        client = app.test_client()
        response = client.get("/api/v1/search?q=vase")
        assert response.status_code == 500 and response.mimetype == "application/json"
        assert response.get_json()["error"]["code"] == "internal_server_error"
        assert "/secret/path" not in response.get_data(as_text=True)
        page = client.get("/?q=vase")
        assert page.status_code == 500 and "Something went wrong" in page.get_data(as_text=True)
        assert "/secret/path" not in page.get_data(as_text=True)
    finally:
        app_state(app).close()


def test_record_text_is_inert_in_json(client: FlaskClient, catalogue: Catalogue) -> None:
    response = client.get(f"/api/v1/wares/{catalogue.teapot}")
    raw = response.get_data(as_text=True)
    assert "<" not in raw and ">" not in raw
    assert "\\u003cscript\\u003e" in raw
    assert response.get_json()["title"] == f"Teapot {XSS}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    search = client.get("/api/v1/search?q=teapot").get_json()["results"][0]
    # The index's highlight survives as markup; the record's text inside it does not.
    assert search["snippet"].startswith("<mark>Teapot</mark> &lt;script&gt;")


def test_an_upload_over_the_limit_is_413_json(app: Flask, client: FlaskClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = client.post(
        "/api/v1/search/image",
        data={"image": (io.BytesIO(make_image_bytes((2000, 2000), fmt="PNG")), "big.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
