"""The OpenAPI document matches the API: every route is described, every described response is
triggered here, and every body fits its schema."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import make_image_bytes
from tests.web.conftest import Catalogue
from tests.web.schema_check import problems

PREFIX = "/api/v1"
Call = Callable[[FlaskClient, Catalogue, Flask], TestResponse]


def _image(client: FlaskClient, data: bytes, query: str = "") -> TestResponse:
    return client.post(
        f"{PREFIX}/search/image{query}",
        data={"image": (io.BytesIO(data), "pot.jpg")},
        content_type="multipart/form-data",
    )


def _too_large(client: FlaskClient, _catalogue: Catalogue, app: Flask) -> TestResponse:
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    return _image(client, make_image_bytes((1500, 1500), fmt="PNG"))


# One request for each documented (path, method, status).
TRIGGERS: dict[tuple[str, str, str], Call] = {
    ("/", "get", "200"): lambda c, _, __: c.get(f"{PREFIX}/"),
    ("/search", "get", "200"): lambda c, _, __: c.get(
        f"{PREFIX}/search?q=vase&mode=hybrid&page=1&per_page=5&sort=relevance"
        "&material=porcelain&year_from=1700&year_to=1800"
    ),
    ("/search", "get", "400"): lambda c, _, __: c.get(f"{PREFIX}/search?q=vase&sort=colour"),
    ("/search/image", "post", "200"): lambda c, _, __: _image(
        c, make_image_bytes(), "?q=vase&per_page=2"
    ),
    ("/search/image", "post", "400"): lambda c, _, __: _image(c, b"not a photograph"),
    ("/search/image", "post", "413"): _too_large,
    ("/export", "get", "200"): lambda c, _, __: c.get(f"{PREFIX}/export?q=vase&format=json"),
    ("/export", "get", "400"): lambda c, _, __: c.get(f"{PREFIX}/export?q=vase&format=pdf"),
    ("/wares/{ware_id}", "get", "200"): lambda c, cat, _: c.get(f"{PREFIX}/wares/{cat.vase}"),
    ("/wares/{ware_id}", "get", "404"): lambda c, cat, _: c.get(f"{PREFIX}/wares/{cat.draft}"),
    ("/makers/{maker_id}", "get", "200"): lambda c, cat, _: c.get(f"{PREFIX}/makers/{cat.maker}"),
    ("/makers/{maker_id}", "get", "404"): lambda c, cat, _: c.get(
        f"{PREFIX}/makers/{cat.hidden_maker}"
    ),
    ("/status", "get", "200"): lambda c, _, __: c.get(f"{PREFIX}/status"),
    ("/openapi.json", "get", "200"): lambda c, _, __: c.get(f"{PREFIX}/openapi.json"),
}


def _spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _documented(spec: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (path, method, status)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }


def test_the_document_is_openapi_3_and_points_at_the_api(client: FlaskClient) -> None:
    spec = _spec(client)
    assert spec["openapi"].startswith("3.")
    assert spec["servers"] == [{"url": "http://localhost/api/v1"}]


def test_every_route_of_the_api_is_described(app: Flask, client: FlaskClient) -> None:
    spec = _spec(client)
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(PREFIX)) or "/", method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX + "/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    described = {
        (path, method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
    }
    assert routes == described


def test_every_described_response_is_exercised() -> None:
    # The triggers below cover the document exactly: a new route or status needs a trigger.
    from web.openapi import openapi_document

    assert _documented(openapi_document("http://localhost/api/v1")) == set(TRIGGERS)


@pytest.mark.parametrize("key", sorted(TRIGGERS), ids=lambda key: " ".join(key))
def test_each_response_matches_its_schema(
    app: Flask, client: FlaskClient, catalogue: Catalogue, key: tuple[str, str, str]
) -> None:
    spec = _spec(client)
    path, method, status = key
    response = TRIGGERS[key](client, catalogue, app)
    assert str(response.status_code) == status, response.get_data(as_text=True)
    documented = spec["paths"][path][method]["responses"][status]["content"]
    assert response.mimetype in documented
    body = response.get_json()
    schema = documented[response.mimetype]["schema"]
    assert problems(body, schema, spec) == []


def test_the_search_parameters_are_the_ones_the_api_accepts(client: FlaskClient) -> None:
    spec = _spec(client)
    documented = {p["name"] for p in spec["paths"]["/search"]["get"]["parameters"]}
    for name in documented:
        # Any documented parameter is known (a bad value may still be refused).
        response = client.get(f"{PREFIX}/search?q=&{name}=1")
        assert "unknown parameter" not in response.get_data(as_text=True), name
    assert (
        "unknown parameter"
        in client.get(f"{PREFIX}/search?q=&colour=1").get_json()["error"]["message"]
    )


def test_the_checker_catches_drift(client: FlaskClient) -> None:
    spec = _spec(client)
    schema = {"$ref": "#/components/schemas/Error"}
    assert problems({"error": {"code": "x", "message": "y"}}, schema, spec) == []
    assert problems({"error": {"code": "x"}}, schema, spec) == ["$.error: missing 'message'"]
    assert problems({"error": {"code": 1, "message": "y", "extra": 2}}, schema, spec) == [
        "$.error.code: 1 is not ['string']",
        "$.error: 'extra' is not documented",
    ]
