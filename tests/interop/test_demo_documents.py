"""The demo collection's IIIF documents, ingested the way ``potbank demo`` does it, have the
structure the specifications require (the issue's definition of done)."""

from __future__ import annotations

import csv

from ingest.pipeline import IngestOptions, ingest_native_csv
from tests.conftest import REPO_ROOT
from tests.interop.structure import check_info, check_manifest

SAMPLES = REPO_ROOT / "samples"


def test_demo_manifests_and_info_validate(app, settings, session_factory, tmp_path):
    source = SAMPLES / "chinesenotes" / "wares.csv"
    with source.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if row["images"]][:3]
        columns = reader.fieldnames
    subset = tmp_path / "demo.csv"
    with subset.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    options = IngestOptions(images_dir=source.parent / "images", actor="demo")
    report = ingest_native_csv(settings, session_factory, subset, options)
    assert report.created == 3 and report.photos_added >= 3, report.problems

    client = app.test_client()

    def get(url: str) -> dict:
        return client.get(url.removeprefix("http://localhost")).get_json()

    # Walk down from the top Collection, as a IIIF harvester would.
    manifests = []
    for institution in get("/iiif/3/collections")["items"]:
        for collection in get(institution["id"])["items"]:
            assert collection["type"] == "Collection"
            manifests += [item["id"] for item in get(collection["id"])["items"]]
    assert len(manifests) == 3
    for manifest_id in manifests:
        manifest = get(manifest_id)
        check_manifest(manifest, "http://localhost")
        assert set(manifest["label"]) == {"en", "zh"}
        assert manifest["rights"].startswith("http://creativecommons.org/")
        for canvas in manifest["items"]:
            service = canvas["items"][0]["items"][0]["body"]["service"][0]["id"]
            info = get(service + "/info.json")
            check_info(info)
            assert (info["width"], info["height"]) == (canvas["width"], canvas["height"])
