"""Tools students use: cite a ware, compare wares side by side, and the lightbox."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

from flask.testing import FlaskClient

from tests.web.conftest import Catalogue


def _text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_a_ware_page_offers_citations_with_its_stable_address_and_access_date(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = _text(client, f"/wares/{catalogue.vase}")
    url = f"http://localhost/wares/{catalogue.vase}"
    today = datetime.now(UTC).date()
    assert f"Accessed {today.isoformat()}" in page
    chicago = (
        "Josiah Wedgwood and Sons, “Flat Sided Vase with Eight Buddhist Emblems”, Qianlong Reign,"
        " Qing Dynasty, Porcelain, Capital Museum, Beijing, CN-0001. Potbank. Accessed"
    )
    assert chicago in page and url in page
    assert "Josiah Wedgwood and Sons. (Qianlong Reign, Qing Dynasty). Flat Sided Vase" in page
    assert f"@misc{{potbank-ware-{catalogue.vase}," in page
    assert "TY  - ART" in page and "ER  - " in page
    ris = client.get(f"/wares/{catalogue.vase}/cite.ris")
    assert ris.mimetype == "application/x-research-info-systems"
    lines = ris.get_data(as_text=True).split("\r\n")
    assert lines[0] == "TY  - ART" and f"UR  - {url}" in lines and "PY  - 1736–1795" in lines
    assert f"Y2  - {today.isoformat()}" in lines
    bib = client.get(f"/wares/{catalogue.vase}/cite.bib").get_data(as_text=True)
    assert "author = {{Josiah Wedgwood and Sons}}" in bib and "year = {1736–1795}" in bib
    assert client.get(f"/wares/{catalogue.draft}/cite.ris").status_code == 404


def test_a_ware_page_carries_metadata_reference_managers_read(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = _text(client, f"/wares/{catalogue.vase}")
    assert (
        '<meta name="citation_title" content="Flat Sided Vase with Eight Buddhist Emblems">' in page
    )
    assert '<meta name="citation_author" content="Josiah Wedgwood and Sons">' in page
    assert '<meta name="DC.identifier" content="http://localhost/wares/' in page
    assert 'class="Z3988" title="ctx_ver=Z39.88-2004&amp;' in page
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page)[1])
    assert data["@type"] == "VisualArtwork" and data["alternateName"] == "八吉祥纹抱月瓶"
    assert data["creator"] == [{"@type": "Person", "name": "Josiah Wedgwood and Sons"}]
    # A title holding markup cannot close the script element.
    teapot = _text(client, f"/wares/{catalogue.teapot}")
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', teapot, re.S)[1]
    assert "<" not in script and "\\u003cscript" in script


def test_compare_aligns_records_field_by_field(client: FlaskClient, catalogue: Catalogue) -> None:
    page = _text(client, f"/compare?ids={catalogue.vase},{catalogue.teapot}")
    assert page.count('class="compare__ware"') == 2
    row = re.search(r'<tr class="is-different"><th scope="row">Material</th>(.*?)</tr>', page)
    assert row and row[1] == "<td>Porcelain</td><td>Stoneware</td>"
    assert '<th scope="row">Institution</th><td>Capital Museum, Beijing</td>' in page
    assert "data-compare-viewer=" in page and "data-compare-zoom" in page


def test_compare_shows_only_public_wares_and_refuses_bad_lists(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = _text(client, f"/compare?ids={catalogue.vase},{catalogue.draft}")
    assert page.count('class="compare__ware"') == 1 and "Secret draft bowl" not in page
    _text(client, "/compare?ids=1,x", status=400)
    _text(client, "/compare?ids=1,2,3,4,5", status=400)
    added = client.get(f"/compare?ids={catalogue.vase}&add=/wares/{catalogue.teapot}")
    assert added.status_code == 302
    assert added.headers["Location"].endswith(f"ids={catalogue.vase},{catalogue.teapot}")


def test_a_shared_lightbox_link_reproduces_the_selection(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    ids = f"{catalogue.teapot},{catalogue.vase},{catalogue.draft}"
    page = _text(client, f"/lightbox?name=Blue+things&ids={ids}")
    assert "<h1" in page and "Blue things" in page and "2 wares" in page
    assert page.index(f'href="/wares/{catalogue.teapot}"') < page.index(
        f'href="/wares/{catalogue.vase}"'
    )
    assert "Secret draft bowl" not in page
    assert f'data-ids="{catalogue.teapot},{catalogue.vase}"' in page


def test_a_lightbox_exports_csv_json_and_a_iiif_collection(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    ids = f"{catalogue.vase},{catalogue.draft},{catalogue.bare}"
    rows = list(csv.reader(io.StringIO(_text(client, f"/lightbox/export.csv?ids={ids}"))))
    assert rows[0][:2] == ["id", "title"]
    assert [int(r[0]) for r in rows[1:]] == [catalogue.vase, catalogue.bare]
    document = json.loads(_text(client, f"/lightbox/export.json?name=Mine&ids={ids}"))
    assert document["name"] == "Mine" and document["count"] == 2
    collection = json.loads(_text(client, f"/lightbox/iiif.json?name=Mine&ids={ids}"))
    assert collection["type"] == "Collection" and collection["label"] == {"en": ["Mine"]}
    assert [item["type"] for item in collection["items"]] == ["Manifest", "Manifest"]
    assert collection["items"][0]["id"].endswith(f"/iiif/3/manifests/ware/{catalogue.vase}")
    _text(client, "/lightbox/export.csv?ids=drop+table", status=400)


def test_tools_speak_chinese(client: FlaskClient, catalogue: Catalogue) -> None:
    headers = {"Accept-Language": "zh-CN"}
    for url, words in (
        (f"/wares/{catalogue.vase}", "引用此器物"),
        (f"/compare?ids={catalogue.vase},{catalogue.teapot}", "比较器物"),
        (f"/lightbox?ids={catalogue.vase}", "我的选集"),
    ):
        assert words in client.get(url, headers=headers).get_data(as_text=True), url
