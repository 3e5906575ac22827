"""Profiles built from a file's columns: first guesses, the TOML written for them (any column
name, quotes, dots and Chinese included, read back the same), names refused, saved profiles
found by name but never shadowing a built-in one."""

from __future__ import annotations

import pytest

from ingest.mapping import guess_targets, map_record, profile_columns
from ingest.profiles import (
    ProfileError,
    builtin_profiles,
    column_profile,
    load_profile,
    profile_names,
    save_profile,
    saved_profiles_dir,
)

BUILTIN = [load_profile(name) for name in builtin_profiles()]


def test_guesses_come_from_field_names_builtin_profiles_and_common_names():
    columns = ["Object No.", "title_en", "Title", "medium", "创作年代", "年代", "Photo", "Misc"]
    guesses = guess_targets(columns, BUILTIN)
    assert guesses == {
        "Object No.": "accession_number",
        "title_en": "title_en",
        # A mixed title would compete with the English one already mapped.
        "Title": "",
        "medium": "material",  # the cmoa profile reads it
        "创作年代": "",
        "年代": "date_text",
        "Photo": "images",
        "Misc": "",
    }


def test_a_column_profile_round_trips_through_toml_whatever_the_column_names(tmp_path):
    columns = {
        'Obj. "No."': "accession_number",
        "名称": "title",
        "Made by\\": "makers",
        "Also title": "title",
        "Ignored": "",
    }
    data = column_profile("tricky", 'A "museum" export', columns)
    path = save_profile(tmp_path, data)
    assert path == saved_profiles_dir(tmp_path) / "tricky.toml"
    profile = load_profile("tricky", tmp_path)
    assert profile.description == 'A "museum" export'
    assert profile.fields["title"].sources == ("名称", "Also title")
    assert profile_columns(profile, list(columns)) == {**columns, "Ignored": ""}
    # A column whose name holds a dot is read whole, not as a path into nested records.
    row = {'Obj. "No."': "X-1", "名称": "青花碗", "Made by\\": "Spode", "Ignored": "z"}
    record = map_record(profile, row, "draft")
    assert record.accession_number == "X-1" and record.fields["title_zh"] == "青花碗"
    assert record.raw["unmapped"] == {"Ignored": "z"}


@pytest.mark.parametrize("name", ["", "../x", "Upper", "a b", "x" * 41, "potbank", "cmoa"])
def test_bad_or_builtin_names_are_refused(tmp_path, name):
    data = {"profile": {"name": name}, "fields": {"accession_number": "id"}}
    with pytest.raises(ProfileError):
        save_profile(tmp_path, data)
    assert not list(tmp_path.rglob("*.toml"))


def test_a_mapping_without_an_accession_number_is_refused():
    with pytest.raises(ProfileError, match="accession number"):
        column_profile("x", "", {"Title": "title"})


def test_saved_profiles_are_listed_after_the_builtin_ones(tmp_path):
    save_profile(tmp_path, column_profile("museum-x", "", {"id": "accession_number"}))
    # A file named like a built-in profile, put there by hand, never replaces it.
    (saved_profiles_dir(tmp_path) / "potbank.toml").write_text('[fields]\naccession_number = "x"')
    assert profile_names(tmp_path) == [*builtin_profiles(), "museum-x"]
    assert load_profile("potbank", tmp_path).fields["accession_number"].sources == (
        "accession_number",
    )
    assert profile_names(None) == builtin_profiles()
