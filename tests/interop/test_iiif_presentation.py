"""IIIF Presentation API 3.0: the structure the specification requires of each document."""

from __future__ import annotations

from tests.interop.structure import PRESENTATION, check_manifest, language_map


def test_ware_manifest_structure_and_content(app, catalogue):
    client = app.test_client()
    ware_id = catalogue.wares["plate"]
    response = client.get(f"/iiif/3/manifests/ware/{ware_id}")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    manifest = response.get_json()
    check_manifest(manifest, "http://localhost")
    assert manifest["id"] == f"http://localhost/iiif/3/manifests/ware/{ware_id}"
    assert manifest["label"] == {"en": ["Willow pattern plate"], "zh": ["柳树图案盘"]}
    assert manifest["summary"]["zh"] == ["釉下青花印花盘。"]
    labels = {entry["label"]["en"][0]: entry for entry in manifest["metadata"]}
    assert labels["Accession number"]["value"] == {"none": ["S-1"]}
    assert labels["Maker"]["label"]["zh"] == ["制作者"]
    assert "Josiah Spode (manufacturer)" in labels["Maker"]["value"]["none"]
    assert manifest["rights"] == "http://creativecommons.org/publicdomain/zero/1.0/"
    assert "Stoke Museum" in manifest["requiredStatement"]["value"]["en"][0]
    assert manifest["homepage"][0]["id"] == f"http://localhost/wares/{ware_id}"
    assert manifest["seeAlso"][0]["id"] == f"http://localhost/api/v1/wares/{ware_id}"
    assert manifest["thumbnail"][0]["service"][0]["type"] == "ImageService3"
    assert len(manifest["items"]) == 2
    first = manifest["items"][0]
    assert (first["width"], first["height"]) == (800, 600)
    assert first["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    assert first["label"]["zh"] == ["照片 1（正面）"]
    sha = catalogue.photos["plate"]
    assert first["items"][0]["items"][0]["body"]["service"][0]["id"].endswith(sha)
    # Every image the manifest names is served.
    for canvas in manifest["items"]:
        body_url = canvas["items"][0]["items"][0]["body"]["id"]
        with client.get(body_url.removeprefix("http://localhost")) as image:
            assert image.status_code == 200
        with client.get(canvas["thumbnail"][0]["id"].removeprefix("http://localhost")) as thumb:
            assert thumb.status_code == 200
    ld = client.get(f"/iiif/3/manifests/ware/{ware_id}", headers={"Accept": "application/ld+json"})
    assert ld.headers["Content-Type"] == f'application/ld+json;profile="{PRESENTATION}"'


def test_manifest_only_for_published_wares(app, catalogue):
    client = app.test_client()
    assert client.get(f"/iiif/3/manifests/ware/{catalogue.wares['draft']}").status_code == 404
    assert client.get("/iiif/3/manifests/ware/999999").status_code == 404
    chinese = client.get(f"/iiif/3/manifests/ware/{catalogue.wares['vase']}").get_json()
    assert chinese["label"] == {"zh": ["青花缠枝莲纹梅瓶"]}


def test_collections(app, catalogue):
    client = app.test_client()
    collection = client.get(f"/iiif/3/collections/collection/{catalogue.collection_id}").get_json()
    assert collection["@context"] == PRESENTATION
    assert collection["type"] == "Collection"
    language_map(collection["label"])
    manifests = [item["id"] for item in collection["items"]]
    # The draft ware of the same collection is not listed.
    assert manifests == [f"http://localhost/iiif/3/manifests/ware/{catalogue.wares['plate']}"]
    assert all(item["type"] == "Manifest" for item in collection["items"])

    institution = client.get(
        f"/iiif/3/collections/institution/{catalogue.institution_id}"
    ).get_json()
    assert institution["type"] == "Collection"
    assert [item["type"] for item in institution["items"]] == ["Collection"]
    assert institution["items"][0]["id"] == collection["id"]

    top = client.get("/iiif/3/collections").get_json()
    assert {item["label"]["en"][0] for item in top["items"]} == {
        "Stoke Museum",
        "Jingdezhen Ceramic University",
    }
    for item in top["items"]:
        sub = client.get(item["id"].removeprefix("http://localhost")).get_json()
        for entry in sub["items"]:
            if entry["type"] == "Manifest":
                found = client.get(entry["id"].removeprefix("http://localhost")).get_json()
                check_manifest(found, "http://localhost")
    assert client.get("/iiif/3/collections/collection/999").status_code == 404


def test_wares_without_photographs_have_no_manifest(app, catalogue, settings, session_factory):
    from archive.store import ImageStore
    from tests.interop.conftest import add_ware

    with session_factory() as session:
        bare, _ = add_ware(session, ImageStore(settings.store_dir), "S-9", {"title_en": "Bare"})
        session.commit()
    client = app.test_client()
    # A Manifest must have at least one Canvas, so a ware with no photograph has none.
    assert client.get(f"/iiif/3/manifests/ware/{bare.id}").status_code == 404
    collection = client.get(f"/iiif/3/collections/collection/{catalogue.collection_id}")
    listed = [item["id"] for item in collection.get_json()["items"]]
    assert not any(item.endswith(f"/ware/{bare.id}") for item in listed)
