"""Mapping profiles: the built-in potbank and cmoa profiles on real records, user TOML files."""

from __future__ import annotations

import json

import pytest

from ingest.mapping import map_record
from ingest.native import TEMPLATE_COLUMNS, template_csv
from ingest.profiles import ProfileError, builtin_profiles, load_profile, parse_profile
from ingest.records import RowError
from tests.conftest import REPO_ROOT, shared_data_or_skip


def _cmoa_records(limit: int | None = None) -> list[dict]:
    path = shared_data_or_skip("cmoa", "cmoa-ceramics.jsonl")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for _, line in zip(range(limit or 10**9), handle, strict=False)]


def test_builtin_profiles():
    assert {"potbank", "cmoa"} <= set(builtin_profiles())


def test_native_template_is_the_potbank_profile_and_the_documented_columns():
    profile = load_profile("potbank")
    assert tuple(profile.fields) == TEMPLATE_COLUMNS
    assert template_csv().rstrip("\r\n").split(",") == list(TEMPLATE_COLUMNS)
    docs = (REPO_ROOT / "docs" / "ingest.md").read_text(encoding="utf-8")
    assert all(f"`{column}`" in docs for column in TEMPLATE_COLUMNS)


def test_cmoa_record_with_makers_roles_dates_and_inches():
    [record] = [r for r in _cmoa_records() if r["accession_number"] == "2003.58.1.7.3"]
    mapped = map_record(load_profile("cmoa"), record, "published")
    assert mapped.institution == "Carnegie Museum of Art"
    assert mapped.collection == "Decorative Arts and Design"
    assert [(m.name, m.role, m.nationality, m.kind) for m in mapped.makers] == [
        ("Sharon Merrill Design", "designer", "American", "organization"),
        ("Vernon Kilns", "manufacturer", "American", "organization"),
    ]
    fields = mapped.fields
    assert (fields["date_text"], fields["year_earliest"], fields["year_latest"]) == (
        "c. 1950",
        1945,
        1955,
    )
    assert fields["object_type"] == "plate"
    assert fields["material"] == "earthenware"
    assert (fields["height_cm"], fields["width_cm"], fields["depth_cm"]) == (1.6, 14.6, 14.6)
    assert fields["dimensions_text"].endswith("(1.6 x 14.6 x 14.6 cm)")
    assert fields["rights"] == "http://creativecommons.org/publicdomain/zero/1.0/"
    assert mapped.raw["unmapped"]["web_url"].startswith("http://collection.cmoa.org/")
    assert mapped.raw["row"]["creator"] == record["creator"]


def test_cmoa_hedged_roles_become_qualifiers():
    records = [
        r for r in _cmoa_records() if any(c["role"] == "possibly by" for c in r["creator"] or [])
    ]
    mapped = map_record(load_profile("cmoa"), records[0], "published")
    assert any(m.qualifier == "possibly" for m in mapped.makers)


def test_every_ceramics_record_maps_or_says_why():
    profile = load_profile("cmoa")
    for record in _cmoa_records():
        try:
            mapped = map_record(profile, record, "published")
        except RowError as error:
            assert error.field and error.reason
            continue
        assert mapped.accession_number == record["accession_number"]
        unread = {"id", "web_url", "images", "date_acquired", "physical_location"}
        assert unread <= set(mapped.raw["unmapped"]) | {k for k, v in record.items() if not v}


def test_unrecognised_date_is_kept_and_reported_not_guessed():
    row = {"accession_number": "A", "title_en": "Jug", "date_text": "undated"}
    mapped = map_record(load_profile("potbank"), row, "published")
    assert mapped.fields["date_text"] == "undated"
    assert mapped.fields["year_earliest"] is None
    assert mapped.warnings == [("date_text", "date not recognised, kept as text: 'undated'")]


def test_dates_without_years_are_parsed_and_mixed_titles_split():
    row = {"accession_number": "A", "title_en": "Plum vase 梅瓶", "date_text": "清 康熙"}
    fields = map_record(load_profile("potbank"), row, "published").fields
    assert (fields["title_en"], fields["title_zh"]) == ("Plum vase", "梅瓶")
    assert (fields["year_earliest"], fields["year_latest"]) == (1662, 1722)
    assert fields["period"]


def test_dimension_text_in_centimetres_beside_the_source_text():
    row = {"accession_number": "A", "title_en": "Vase", "dimensions": "H. 10 1/2 in. (26.7 cm)"}
    fields = map_record(load_profile("potbank"), row, "published").fields
    assert fields["height_cm"] == 26.7
    assert fields["dimensions_text"] == "H. 10 1/2 in. (26.7 cm)"


def test_user_profile_from_a_toml_file(tmp_path):
    path = tmp_path / "museum.toml"
    path.write_text(
        """
[profile]
name = "museum"
delimiter = ";"

[defaults]
institution = "Gladstone Pottery Museum"

[fields]
accession_number = "Object number"
title = ["Name", "Object name"]
makers = "Maker"
date_text = "Date"
dimensions = "Size"
material = { source = "Description", vocabulary = "bodies" }

[vocabularies]
bodies = ["bone china", "earthenware", "china"]
""",
        encoding="utf-8",
    )
    profile = load_profile(path)
    assert profile.delimiter == ";"
    row = {
        "Object number": "GPM.1",
        "Name": "",
        "Object name": "Teapot 茶壶",
        "Maker": "Minton & Co. (manufacturer)",
        "Date": "1850s",
        "Size": "H. 12 cm",
        "Description": "A teapot of bone china, gilded.",
        "Shelf": "B4",
    }
    mapped = map_record(profile, row, "draft")
    assert mapped.institution == "Gladstone Pottery Museum"
    assert (mapped.fields["title_en"], mapped.fields["title_zh"]) == ("Teapot", "茶壶")
    assert mapped.fields["material"] == "bone china"
    assert mapped.fields["status"] == "draft"
    assert (mapped.fields["year_earliest"], mapped.fields["year_latest"]) == (1850, 1859)
    assert [(m.name, m.role) for m in mapped.makers] == [("Minton & Co.", "manufacturer")]
    assert mapped.raw["unmapped"] == {"Shelf": "B4"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fields": {"title_en": "t"}}, "accession number"),
        ({"fields": {"accession_number": "a", "colour": "c"}}, "unknown field 'colour'"),
        ({"fields": {"accession_number": "a"}, "extra": {}}, "unknown tables"),
        ({"fields": {"accession_number": 3}}, "string or a list"),
        ({"fields": {"accession_number": "a"}, "dimensions": {"unit": "mm"}}, "unit"),
        ({"fields": {"accession_number": "a", "material": {"vocabulary": "x"}}}, "vocabularies"),
        ({"fields": {"accession_number": "a"}, "makers": {"name": "n"}}, "source and name"),
        ({"fields": {"accession_number": "a"}, "profile": {"encoding": "klingon"}}, "encoding"),
    ],
)
def test_profile_mistakes_are_explained(data, message):
    with pytest.raises(ProfileError, match=message):
        parse_profile(data)


def test_unknown_profile_name_lists_the_builtin_ones(tmp_path):
    with pytest.raises(ProfileError, match="potbank"):
        load_profile("nope")
    broken = tmp_path / "broken.toml"
    broken.write_text("[fields\n")
    with pytest.raises(ProfileError, match="not a valid TOML"):
        load_profile(broken)


def test_downloadable_template_file_matches_the_template():
    shipped = REPO_ROOT / "ingest" / "profiles" / "potbank-template.csv"
    assert shipped.read_bytes().decode("utf-8") == template_csv()
