"""Linked Art: every public door's document valid against the Linked Art schemas and context,
what each carries, content negotiation, the export, and absence of everything unpublished."""

from __future__ import annotations

import csv
import gzip
import json
import re

import pytest
from click.testing import CliRunner

from archive.catalogue import upsert_ware
from archive.models import Maker, Ware
from archive.store import ImageStore
from tests.interop.conftest import add_ware, willow_exhibition
from tests.interop.linked_art_checks import DATA, assert_linked_art, schema_errors
from web.cli_interop import export_command
from web.linked_art import vocabulary
from web.linked_art.documents import CONTEXT, exhibition_activity

LD = 'application/ld+json;profile="https://linked.art/ns/v1/linked-art.json"'
AAT = "http://vocab.getty.edu/aat/"


def _get(client, url: str, **headers) -> dict:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.get_data(as_text=True))
    assert response.headers["Content-Type"] == LD
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = json.loads(response.data)
    assert_linked_art(document)
    return document


def _path(uri: str) -> str:
    return uri.removeprefix("http://localhost")


def _aat(entries: list[dict]) -> set[str]:
    return {entry["id"].removeprefix(AAT) for entry in entries}


def _statements(document: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for text in document.get("referred_to_by", []):
        kind = text["classified_as"][0]["_label"]
        found.setdefault(kind, []).append(text["content"])
    return found


@pytest.fixture
def more_wares(settings, session_factory, catalogue) -> dict[str, int]:
    """A bowl with words the AAT table knows, a ware with no photograph, a draft-only maker."""
    store = ImageStore(settings.store_dir)
    with session_factory() as session:
        bowl, _ = add_ware(
            session,
            store,
            "S-3",
            {
                "title_en": "Tea bowl",
                "object_type": "bowl",
                "material": "ceramic; glass",
                "year_earliest": -200,
                "year_latest": -100,
                "height_cm": 7.5,
            },
            makers=(("Ann Potter", "decorator"), ("Stoke Works", "manufacturer")),
        )
        hidden, _ = add_ware(
            session,
            store,
            "S-4",
            {"title_en": "Hidden", "status": "draft", "place": "Secret kiln site"},
            institution="Draft-only Museum",
            collection="Draft-only collection",
            makers=(("Unseen Maker", "maker"),),
        )
        session.commit()
        makers = {m.name: m.id for m in session.query(Maker)}
        return {
            "bowl": bowl.id,
            "hidden": hidden.id,
            "hidden_institution": hidden.institution_id,
            "hidden_collection": hidden.collection_id or 0,
            "spode": makers["Josiah Spode"],
            "ann": makers["Ann Potter"],
            "unseen": makers["Unseen Maker"],
        }


def test_object_document_carries_the_record(app, catalogue, more_wares):
    client = app.test_client()
    plate = _get(client, f"/linked-art/object/{catalogue.wares['plate']}")
    assert plate["id"] == f"http://localhost/linked-art/object/{catalogue.wares['plate']}"
    assert plate["type"] == "HumanMadeObject"
    names = {n["language"][0]["_label"]: n["content"] for n in plate["identified_by"][:2]}
    assert names == {
        "English (language)": "Willow pattern plate",
        "Chinese (language)": "柳树图案盘",
    }
    (accession,) = [i for i in plate["identified_by"] if i["type"] == "Identifier"]
    assert accession["content"] == "S-1"
    assert _aat(accession["classified_as"]) == {"300312355"}
    production = plate["produced_by"]
    assert production["timespan"]["begin_of_the_begin"] == "1815-01-01T00:00:00Z"
    assert production["timespan"]["end_of_the_end"] == "1825-12-31T23:59:59Z"
    assert production["timespan"]["identified_by"][0]["content"] == "about 1820"
    (part,) = production["part"]
    assert part["_label"] == "manufacturer"
    assert part["carried_out_by"][0]["_label"] == "Josiah Spode"
    (place,) = production["took_place_at"]
    assert place["_label"] == "Stoke-on-Trent"
    statements = _statements(plate)
    assert statements["Description"] == ["A plate printed in underglaze blue.", "釉下青花印花盘。"]
    # "plate" and "earthenware" have no AAT id in any shipped vocabulary: text, not a guess.
    assert statements["Type of Work"] == ["plate"]
    assert statements["Materials Statement"] == ["earthenware"]
    assert "made_of" not in plate
    assert statements["Rights Statement"] == ["http://creativecommons.org/publicdomain/zero/1.0/"]
    assert statements["Inscription Statement"] == ["SPODE impressed"]
    (diameter,) = plate["dimension"]
    assert diameter["value"] == 25.0 and _aat(diameter["classified_as"]) == {"300055624"}
    assert diameter["unit"]["id"] == AAT + "300379098"
    assert len(plate["representation"]) == 2
    image = plate["representation"][0]["digitally_shown_by"][0]
    assert image["access_point"][0]["id"].endswith("/full/max/0/default.jpg")
    assert image["conforms_to"][0]["id"] == "http://iiif.io/api/image"
    manifest = plate["subject_of"][1]["digitally_carried_by"][0]["access_point"][0]["id"]
    assert manifest.endswith(f"/iiif/3/manifests/ware/{catalogue.wares['plate']}")
    # The manifest points back at the Linked Art document, with its profile.
    see_also = client.get(_path(manifest)).get_json()["seeAlso"]
    (linked,) = [entry for entry in see_also if entry["id"] == plate["id"]]
    assert linked["profile"] == CONTEXT and linked["format"] == "application/ld+json"

    # Every document the object points at is served, valid, and says the same names.
    maker = _get(client, _path(part["carried_out_by"][0]["id"]))
    assert maker["type"] == "Group"  # a manufacturer with no recorded kind: a firm
    assert _get(client, _path(place["id"]))["_label"] == "Stoke-on-Trent"
    collection = _get(client, _path(plate["member_of"][0]["id"]))
    assert collection["_label"] == "Blue and white"
    assert _aat(collection["classified_as"]) == {"300025976"}
    institution = _get(client, _path(plate["current_custodian"][0]["id"]))
    assert institution["type"] == "Group" and institution["_label"] == "Stoke Museum"


def test_aat_classification_years_bce_and_roles(app, catalogue, more_wares):
    client = app.test_client()
    bowl = _get(client, f"/linked-art/object/{more_wares['bowl']}")
    assert _aat(bowl["classified_as"]) == {"300411641", "300203596"}
    assert all(c["classified_as"][0]["id"] == AAT + "300435443" for c in bowl["classified_as"])
    assert _aat(bowl["made_of"]) == {"300235507", "300010797"}
    assert "Type of Work" not in _statements(bowl)
    span = bowl["produced_by"]["timespan"]
    assert span["begin_of_the_begin"] == "-0200-01-01T00:00:00Z"
    assert span["end_of_the_end"] == "-0100-12-31T23:59:59Z"
    assert [p["_label"] for p in bowl["produced_by"]["part"]] == ["decorator", "manufacturer"]
    assert bowl["dimension"][0]["value"] == 7.5
    # No photograph: no representation and no manifest link (it would answer 404).
    assert "representation" not in bowl
    assert len(bowl["subject_of"]) == 1
    decorator = _get(client, f"/linked-art/person/{more_wares['ann']}")
    assert decorator["type"] == "Person" and decorator["_label"] == "Ann Potter"
    # The other door of a maker points at its document.
    moved = client.get(f"/linked-art/group/{more_wares['ann']}")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"/linked-art/person/{more_wares['ann']}")
    # A Chinese-titled ware made at a glossary place: the place has both names.
    vase = _get(client, f"/linked-art/object/{catalogue.wares['vase']}")
    assert vase["identified_by"][0]["language"][0]["id"] == AAT + "300388113"
    place = _get(client, _path(vase["produced_by"]["took_place_at"][0]["id"]))
    contents = {n["content"] for n in place["identified_by"]}
    assert {"景德镇", "Jingdezhen"} <= contents


def test_unpublished_is_absent_from_every_door(app, catalogue, more_wares, session_factory):
    client = app.test_client()
    doors = [
        f"/linked-art/object/{catalogue.wares['draft']}",
        f"/linked-art/object/{more_wares['hidden']}",
        f"/linked-art/person/{more_wares['unseen']}",
        f"/linked-art/group/{more_wares['unseen']}",
        f"/linked-art/institution/{more_wares['hidden_institution']}",
        f"/linked-art/set/{more_wares['hidden_collection']}",
        "/linked-art/place/Secret%20kiln%20site",
        "/linked-art/object/999999",
        "/linked-art/person/999999",
    ]
    for door in doors:
        response = client.get(door)
        assert response.status_code == 404, door
        assert response.get_json()["error"]["code"] == "not_found"
    # Withdrawing a published ware closes its door and its only maker's.
    with session_factory() as session:
        plate = session.get(Ware, catalogue.wares["plate"])
        upsert_ware(
            session,
            institution=plate.institution,
            accession_number=plate.accession_number,
            fields={"status": "draft"},
        )
        session.commit()
    assert client.get(f"/linked-art/object/{catalogue.wares['plate']}").status_code == 404
    assert client.get(f"/linked-art/group/{more_wares['spode']}").status_code == 404
    page = client.get(f"/wares/{catalogue.wares['plate']}", headers={"Accept": LD})
    assert page.status_code == 404


def test_content_negotiation_on_the_ware_page(app, catalogue, more_wares):
    client = app.test_client()
    url = f"/wares/{catalogue.wares['plate']}"
    for accept in ("application/ld+json", LD, "application/ld+json, text/html;q=0.5"):
        response = client.get(url, headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["Content-Type"] == LD
        assert "Accept" in response.headers["Vary"]
        assert response.headers["Content-Location"] == (
            f"/linked-art/object/{catalogue.wares['plate']}"
        )
        assert_linked_art(json.loads(response.data))
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for accept in (browser, "*/*", "text/html, application/ld+json;q=0.5"):
        page = client.get(url, headers={"Accept": accept})
        assert page.mimetype == "text/html", accept
        assert "Accept" in page.headers["Vary"]


def _reuse_links(page: str) -> str:
    """The ware page's "reuse" paragraphs (reuse this record; compare and gather), together."""
    return "".join(re.findall(r'<p class="reuse">.*?</p>', page, re.S))


def test_reuse_links_on_the_ware_page(app, catalogue, more_wares):
    client = app.test_client()
    with_photo = client.get(f"/wares/{catalogue.wares['plate']}").get_data(as_text=True)
    reuse = _reuse_links(with_photo)
    assert f"/iiif/3/manifests/ware/{catalogue.wares['plate']}" in reuse
    assert f"/linked-art/object/{catalogue.wares['plate']}" in reuse
    alternate = '<link rel="alternate" type="application/ld+json" href="/linked-art/object/'
    assert alternate + f'{catalogue.wares["plate"]}">' in with_photo
    without = client.get(f"/wares/{more_wares['bowl']}").get_data(as_text=True)
    reuse = _reuse_links(without)
    assert "/iiif/3/manifests/" not in without
    assert f"/linked-art/object/{more_wares['bowl']}" in reuse
    assert client.get(f"/iiif/3/manifests/ware/{more_wares['bowl']}").status_code == 404
    zh = {"Accept-Language": "zh-CN,zh;q=0.9"}
    chinese = client.get(f"/wares/{more_wares['bowl']}", headers=zh).get_data(as_text=True)
    assert "Linked Art 关联数据（JSON-LD）" in chinese


def test_media_types_gzip_and_preflight(app, catalogue):
    client = app.test_client()
    url = f"/linked-art/object/{catalogue.wares['plate']}"
    plain = client.get(url, headers={"Accept": "application/json"})
    assert plain.headers["Content-Type"] == "application/json"
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()
    preflight = client.options(
        url,
        headers={
            "Origin": "https://viewer.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept",
        },
    )
    assert preflight.status_code == 200
    assert "Accept" in preflight.headers["Access-Control-Allow-Headers"]
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]


def test_export_linked_art(app, catalogue, more_wares, settings):
    env = {"POTBANK_HOME": str(settings.home), "POTBANK_DATABASE_URL": settings.database_url}
    args = ["--collection", str(catalogue.collection_id), "--format", "linked-art"]
    result = CliRunner().invoke(export_command, args, env=env)
    assert result.exit_code == 0, result.output
    graph = json.loads(result.output)
    assert graph["@context"] == CONTEXT
    labels = []
    for document in graph["@graph"]:
        assert_linked_art({"@context": CONTEXT, **document})
        labels.append(document["_label"])
    # Published wares of the collection only: the plate and the bowl, not the draft.
    assert sorted(labels) == ["Tea bowl", "Willow pattern plate"]
    client = app.test_client()
    download = client.get(f"/export/collections/{catalogue.collection_id}.linked-art.json")
    assert download.status_code == 200 and download.mimetype == "application/ld+json"
    assert len(download.get_json()["@graph"]) == 2


def test_exhibition_hook_builds_a_valid_activity(app, catalogue):
    with app.test_request_context("/"):
        from archive.models import Institution
        from web.views.context import db_session

        host = db_session().get(Institution, catalogue.institution_id)
        document = exhibition_activity(
            "http://localhost/linked-art/activity/1",
            title_en="Willow and its makers",
            title_zh="柳树图案及其制作者",
            year_from=2026,
            year_to=2027,
            place="Stoke-on-Trent",
            organisers=[host],
            page_url="http://localhost/exhibitions/1",
            description_zh="展览。",
        )
    assert_linked_art(document)
    assert _aat(document["classified_as"]) == {"300054766"}
    assert document["carried_out_by"][0]["_label"] == "Stoke Museum"


def test_schema_check_is_not_a_formality():
    bad = {"@context": CONTEXT, "id": "http://x/1", "type": "HumanMadeObject", "_label": "x"}
    assert schema_errors(bad) == []
    bad["produced_by"] = {"type": "Production", "took_place_at": [{"_label": "no id"}]}
    assert schema_errors(bad)


def _vocabulary_ids() -> dict[str, str]:
    """AAT number -> label, from the Linked Art project's vocabulary pages and AAT label list."""
    known = {
        key.removeprefix("aat:"): label
        for key, label in json.loads((DATA / "aat_labels.json").read_text()).items()
    }
    for page in ("vocab_required.md", "vocab_recommended.md"):
        for row in re.finditer(
            r"^\| ([^|]+?)\s*\| aat:(\d+)", (DATA / page).read_text(), re.MULTILINE
        ):
            known.setdefault(row.group(2), row.group(1))
            known[row.group(2) + "/model"] = row.group(1)
    return known


def test_every_aat_id_is_one_the_linked_art_project_publishes():
    known = _vocabulary_ids()
    for term in vocabulary.STRUCTURAL_TERMS:
        assert term.label in (known.get(term.number), known.get(term.number + "/model")), term
    with vocabulary.TERMS_PATH.open(encoding="utf-8") as handle:
        rows = [line for line in handle if not line.startswith("#")]
    for row in csv.DictReader(rows, delimiter="\t"):
        assert known.get(row["aat"]) == row["label"], row


def _label_words(label: str) -> set[str]:
    """An AAT label's head word, singular and plural: "bowls (vessels)" -> {bowls, bowl}."""
    head = re.sub(r"\s*\(.*\)$", "", label).lower()
    return {head, head.removesuffix("s")}


def test_shipped_glossary_aat_ids_name_one_of_the_entrys_english_words():
    from index.glossary import default_glossary

    known = _vocabulary_ids()
    with_ids = [entry for entry in default_glossary().entries if entry.aat]
    assert len(with_ids) >= 5
    for entry in with_ids:
        label = known.get(entry.aat)
        assert label is not None, entry
        assert _label_words(label) & {e.lower() for e in entry.en}, (entry, label)
    # The glossary's ids reach the catalogue's vocabulary and the Linked Art classification.
    from index import vocabulary as catalogue_vocabulary

    assert catalogue_vocabulary.build().term("胸像").aat_id == "300047457"
    assert [t.number for t in vocabulary.terms_for("portrait bust", "object_type")] == ["300047457"]


def test_a_curators_aat_id_classifies_wares():
    from index import vocabulary as catalogue_vocabulary

    before = catalogue_vocabulary.current()
    assert vocabulary.terms_for("钾玻璃", "material") == []
    curated = catalogue_vocabulary.curated_term(
        "material", "potash glass", "钾玻璃", None, "300010662"
    )
    catalogue_vocabulary.set_current(catalogue_vocabulary.Vocabulary([], [curated]))
    try:
        assert [t.number for t in vocabulary.terms_for("钾玻璃", "material")] == ["300010662"]
        assert [t.number for t in vocabulary.terms_for("potash glass", "material")] == ["300010662"]
        # Another kind of word, or a word the shipped table knows, is not taken from it.
        assert vocabulary.terms_for("钾玻璃", "object_type") == []
        assert vocabulary.terms_for("glass", "material")[0].number == "300010797"
    finally:
        catalogue_vocabulary.set_current(before)


def test_glossary_aat_column_is_read(tmp_path):
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text(
        "# test\nzh\ten\tcategory\tyear_from\tyear_to\tsource\taat\n"
        "瓷\tporcelain\tware\t\t\tx\taat:300010662\n"
        "梅瓶\tmeiping\tform\t\t\tx\t\n",
        encoding="utf-8",
    )
    terms = vocabulary.catalogue_terms(vocabulary.TERMS_PATH, glossary)
    assert terms[("material", "porcelain")].uri == AAT + "300010662"
    assert terms[("material", "瓷")].label == "porcelain"
    assert ("object_type", "meiping") not in terms
    assert terms[("object_type", "碗")].number == "300203596"
    without = tmp_path / "old.tsv"
    without.write_text("zh\ten\tcategory\n瓷\tporcelain\tware\n", encoding="utf-8")
    assert ("material", "porcelain") not in vocabulary.catalogue_terms(
        vocabulary.TERMS_PATH, without
    )


def test_a_published_exhibition_is_a_linked_art_activity(app, catalogue, session_factory):
    willow_exhibition(
        session_factory, catalogue, publish=True, title_zh="柳树图案", intro_zh="青花。"
    )
    document = _get(app.test_client(), "/linked-art/activity/willow")
    assert_linked_art(document)
    assert document["type"] == "Activity"
    assert _aat(document["classified_as"]) == {"300054766"}
    names = {n["content"] for n in document["identified_by"]}
    assert {"The Willow pattern", "柳树图案"} <= names
    assert document["subject_of"][0]["digitally_carried_by"][0]["access_point"][0]["id"].endswith(
        "/exhibitions/willow"
    )
    # Its organiser is the institution of the public ware it shows, not of the draft.
    assert [host["_label"] for host in document["carried_out_by"]] == ["Stoke Museum"]


def test_a_draft_exhibition_has_no_linked_art(app, catalogue, session_factory):
    willow_exhibition(session_factory, catalogue, publish=False)
    assert app.test_client().get("/linked-art/activity/willow").status_code == 404
    assert app.test_client().get("/linked-art/activity/nothing").status_code == 404
