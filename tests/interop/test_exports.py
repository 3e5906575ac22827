"""Exports of a collection, an institution or a search: CSV (formula-safe), JSON, LIDO, DC."""

from __future__ import annotations

import csv
import io
import json
import re

import click
import pytest
from click.testing import CliRunner

from archive.store import ImageStore
from index.sync import IndexSync
from ingest.oai_harvest import parse_xml
from tests.interop.conftest import add_ware
from tests.interop.xml_schemas import assert_valid
from web.cli_interop import export_command, ingest_oai
from web.exports import CSV_COLUMNS, spreadsheet_safe

LIDO = "{http://www.lido-schema.org}"
DC = "{http://purl.org/dc/elements/1.1/}"


@pytest.fixture
def hostile(settings, session_factory, catalogue):
    """A published ware of the collection whose text a spreadsheet would run as formulas."""
    with session_factory() as session:
        ware, _ = add_ware(
            session,
            ImageStore(settings.store_dir),
            "=1+1",
            {"title_en": '=HYPERLINK("http://evil")', "marks": "@SUM(A1)", "place": "-2+3"},
        )
        session.commit()
        return ware.id


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_spreadsheet_safe():
    for dangerous in ("=A1", "+1", "-1+1", "@x", "\tx", "\rx"):
        assert spreadsheet_safe(dangerous) == "'" + dangerous
    assert spreadsheet_safe("Willow") == "Willow"
    assert spreadsheet_safe(-200) == -200


def test_spreadsheet_safe_full_width_and_spaced_signs():
    # Spreadsheets in CJK locales evaluate the full-width and small forms, and skip leading spaces.
    for dangerous in (
        "\uff1dSUM(A1)",
        "\uff0b1",
        "\uff0d1",
        "\uff20x",
        "\ufe66A1",
        "\ufe62 1",
        "\u2212 1",
        " =A1",
        "\u3000\uff1dA1",
        "\nx",
    ):
        assert spreadsheet_safe(dangerous) == "'" + dangerous, dangerous
    for harmless in ("青花", "\uff21BC", " Willow", "1-2"):
        assert spreadsheet_safe(harmless) == harmless


def test_collection_csv_is_formula_safe(app, catalogue, hostile):
    client = app.test_client()
    response = client.get(f"/export/collections/{catalogue.collection_id}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    rows = _rows(text)
    assert list(rows[0]) == list(CSV_COLUMNS)
    # The draft of the same collection is not exported.
    assert {row["accession_number"] for row in rows} == {"S-1", "'=1+1"}
    evil = next(row for row in rows if row["accession_number"] == "'=1+1")
    assert evil["title_en"] == '\'=HYPERLINK("http://evil")'
    assert evil["marks"] == "'@SUM(A1)"
    assert evil["place"] == "'-2+3"
    plate = next(row for row in rows if row["accession_number"] == "S-1")
    assert plate["makers"] == "Josiah Spode (manufacturer)"
    assert plate["year_earliest"] == "1815"
    assert plate["iiif_manifest"].endswith(f"/iiif/3/manifests/ware/{catalogue.wares['plate']}")
    assert plate["image_urls"].count("/original") == 2


def test_collection_json_lido_and_dc(app, catalogue):
    client = app.test_client()
    base = f"/export/collections/{catalogue.collection_id}"
    document = json.loads(client.get(f"{base}.json").data)
    assert document["count"] == 1
    assert document["wares"][0]["accession_number"] == "S-1"
    lido_bytes = client.get(f"{base}.lido.xml").data
    assert_valid(lido_bytes)
    lido = parse_xml(lido_bytes)
    assert lido.tag == f"{LIDO}lidoWrap"
    assert [e.text for e in lido.iter(f"{LIDO}workID")] == ["S-1"]
    dc = parse_xml(client.get(f"{base}.dc.xml").data)
    assert [e.text for e in dc.iter(f"{DC}title")] == ["Willow pattern plate", "柳树图案盘"]
    institution = client.get(f"/export/institutions/{catalogue.institution_id}.csv")
    assert len(_rows(institution.get_data(as_text=True))) == 1
    assert client.get(f"{base}.pdf").status_code == 404
    assert client.get("/export/collections/9999.csv").status_code == 404


def test_search_export(app, catalogue, settings, session_factory):
    with session_factory() as session:
        IndexSync(settings).rebuild(session)
    client = app.test_client()
    response = client.get("/api/v1/export", query_string={"q": "willow", "format": "json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [w["accession_number"] for w in response.get_json()["wares"]] == ["S-1"]
    csv_text = client.get("/api/v1/export?q=plate").get_data(as_text=True)
    assert [row["accession_number"] for row in _rows(csv_text)] == ["S-1"]
    bad = client.get("/api/v1/export", query_string={"q": "willow", "format": "pdf"})
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "bad_request"
    assert client.get("/api/v1/export").status_code == 400


def test_export_command(catalogue, settings, tmp_path):
    env = {"POTBANK_HOME": str(settings.home), "POTBANK_DATABASE_URL": settings.database_url}
    runner = CliRunner()
    args = ["--collection", str(catalogue.collection_id), "--base-url", "https://pots.example/"]
    result = runner.invoke(export_command, args, env=env)
    assert result.exit_code == 0, result.output
    (row,) = _rows(result.output)
    assert row["url"] == f"https://pots.example/wares/{catalogue.wares['plate']}"
    target = tmp_path / "stoke.xml"
    args = [
        "--institution",
        str(catalogue.institution_id),
        "--format",
        "lido",
        "--output",
        str(target),
    ]
    result = runner.invoke(export_command, args, env=env)
    assert result.exit_code == 0, result.output
    assert parse_xml(target.read_bytes()).tag == f"{LIDO}lidoWrap"
    assert_valid(target.read_bytes())
    assert runner.invoke(export_command, [], env=env).exit_code == 2
    missing = runner.invoke(export_command, ["--collection", "9999"], env=env)
    assert missing.exit_code == 1 and "no such collection" in missing.output


def test_ingest_oai_hook(catalogue, live_server, tmp_path, monkeypatch, capsys):
    home = tmp_path / "harvester"
    url = f"sqlite:///{home / 'potbank.sqlite3'}"
    from archive.db import upgrade_database

    upgrade_database(url)
    monkeypatch.setenv("POTBANK_HOME", str(home))
    monkeypatch.setenv("POTBANK_DATABASE_URL", url)
    ingest_oai(f"oai:{live_server}/oai", metadata_prefix="oai_dc")
    assert "2 created" in capsys.readouterr().out
    with pytest.raises(click.ClickException, match="cannot harvest"):
        ingest_oai("oai:http://127.0.0.1:9/oai")


def test_pages_link_to_every_export_format(app, catalogue, settings, session_factory):
    with session_factory() as session:
        IndexSync(settings).rebuild(session)
    client = app.test_client()
    pages = (
        f"/collections/{catalogue.collection_id}",
        f"/institutions/{catalogue.institution_id}",
        "/?q=willow&mode=keyword",
    )
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        links = re.findall(r'href="([^"]*(?:/export/|/api/v1/export)[^"]*)"', html)
        assert len(links) == 5, page
        for link in links:
            response = client.get(link.replace("&amp;", "&"))
            assert response.status_code == 200, link
            assert "attachment" in response.headers["Content-Disposition"]
