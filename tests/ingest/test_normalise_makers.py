"""parse_makers, normalise_role and maker_key on literal credits and the museum's maker list."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict

import pytest

from ingest.normalise import MakerCredit, maker_key, normalise_role, parse_makers
from ingest.normalise.makers import ROLES
from tests.conftest import shared_data_or_skip


def test_parses_the_native_template_form() -> None:
    assert parse_makers(
        "Minton & Co. (manufacturer); Christopher Dresser (attributed designer)"
    ) == [
        MakerCredit("Minton & Co.", "manufacturer"),
        MakerCredit("Christopher Dresser", "designer", "attributed"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wedgwood", [MakerCredit("Wedgwood")]),
        ("  Enoch  Wood and Sons ", [MakerCredit("Enoch Wood and Sons")]),
        ("John Flaxman (Modeler)", [MakerCredit("John Flaxman", "designer")]),
        ("Daisy Makeig-Jones (painter)", [MakerCredit("Daisy Makeig-Jones", "decorator")]),
        ("Wedgwood (Manufacturer)", [MakerCredit("Wedgwood", "manufacturer")]),
        ("designed by Christopher Dresser", [MakerCredit("Christopher Dresser", "designer")]),
        (
            "Attributed to Wedgwood (manufacturer)",
            [MakerCredit("Wedgwood", "manufacturer", "attributed")],
        ),
        ("Spode (possibly by)", [MakerCredit("Spode", "maker", "possibly")]),
        ("after John Flaxman", [MakerCredit("John Flaxman", "maker", "after")]),
        ("Tiffany & Co. (retailer)", [MakerCredit("Tiffany & Co.", "maker", "retailer")]),
        # A parenthesis that is not a role belongs to the name.
        ("Minton (Stoke-on-Trent)", [MakerCredit("Minton (Stoke-on-Trent)")]),
        ("John Smith (Leeds Pottery)", [MakerCredit("John Smith (Leeds Pottery)")]),
        ("Robert (Bob) Smith (gilder)", [MakerCredit("Robert (Bob) Smith", "decorator")]),
        ("景德镇窑", [MakerCredit("景德镇窑")]),
        (
            "William Hackwood (modeler)\nWedgwood and Bentley (manufacturer)",
            [
                MakerCredit("William Hackwood", "designer"),
                MakerCredit("Wedgwood and Bentley", "manufacturer"),
            ],
        ),
        ("; ;", []),
        ("", []),
        (None, []),
    ],
)
def test_parse_makers(text: str | None, expected: list[MakerCredit]) -> None:
    assert parse_makers(text) == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, ("maker", None)),
        ("", ("maker", None)),
        ("manufacturer", ("manufacturer", None)),
        ("Manufacturer", ("manufacturer", None)),
        ("designer", ("designer", None)),
        ("designers", ("designer", None)),
        ("modeler", ("designer", None)),
        ("attributed modeller", ("designer", "attributed")),
        ("attributed designer", ("designer", "attributed")),
        ("possible designer", ("designer", "possibly")),
        ("decorator", ("decorator", None)),
        ("painter", ("decorator", None)),
        ("gilder", ("decorator", None)),
        ("attributed decorator", ("decorator", "attributed")),
        ("ceramicist", ("maker", None)),
        ("artist", ("maker", None)),
        ("attributed to", ("maker", "attributed")),
        ("possibly by", ("maker", "possibly")),
        ("probably by", ("maker", "probably")),
        ("school of", ("maker", "school of")),
        ("studio of", ("maker", "workshop of")),
        ("formerly attributed to", ("maker", "formerly attributed")),
        ("retailer", ("maker", "retailer")),
        ("publisher?", ("maker", "publisher")),
    ],
)
def test_normalise_role(role: str | None, expected: tuple[str, str | None]) -> None:
    assert normalise_role(role) == expected


@pytest.mark.parametrize(
    "variants",
    [
        ["Josiah Wedgwood & Sons", "JOSIAH WEDGWOOD AND SONS", "Josiah Wedgwood and Sons, Ltd."],
        ["Josiah Wedgwood & Sons Ltd.", "Josiah Wedgwood and Sons Limited"],
        ["Josiah Wedgwood & Company", "Josiah Wedgwood & Co."],
        ["Enoch  Wood and Sons", "Enoch Wood & Sons"],
        ["W. T. Copeland and Sons", "W.T. Copeland & Sons"],
        ["Sèvres", "Sevres", "SÈVRES"],
        ["Chamberlain's Worcester", "Chamberlains Worcester", "Chamberlain’s Worcester"],
        ["The Leeds Pottery", "Leeds Pottery"],
        ["景德镇窑", "景德镇 窑"],
    ],
)
def test_maker_key_merges_spelling_variants(variants: list[str]) -> None:
    assert len({maker_key(name) for name in variants}) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Josiah Wedgwood", "Josiah Wedgwood & Sons"),
        ("Enoch Wood", "Enoch Wood and Sons"),
        ("James Clews", "James and Ralph Clews"),
        ("Wedgwood", "Wedgwood and Bentley"),
        ("Minton & Co.", "Minton"),
        ("John Meir and Son", "John Meir and Sons"),
        ("Worcester Porcelain Factory", "Royal Worcester Porcelain Company"),
    ],
)
def test_maker_key_keeps_different_makers_apart(first: str, second: str) -> None:
    assert maker_key(first) != maker_key(second)


def test_maker_key_is_stable_text() -> None:
    assert maker_key("Josiah Wedgwood and Sons, Ltd.") == "josiah wedgwood and sons"


# --- the shared data -------------------------------------------------------------------------


def _cmoa_creators() -> list[dict]:
    path = shared_data_or_skip("cmoa", "cmoa-all.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [creator for line in handle for creator in json.loads(line)["creator"] or []]


def test_cmoa_roles_all_map_to_catalogue_roles() -> None:
    for creator in _cmoa_creators():
        role, _ = normalise_role(creator["role"])
        assert role in ROLES, creator["role"]


def test_cmoa_maker_names_merge_only_true_variants() -> None:
    """Of the museum's ~6,000 distinct maker names, only spelling variants share a key."""
    by_key: dict[str, set[str]] = defaultdict(set)
    for creator in _cmoa_creators():
        if creator["full_name"]:
            by_key[maker_key(creator["full_name"])].add(creator["full_name"])
    merged = sorted(sorted(names) for names in by_key.values() if len(names) > 1)
    assert merged == [["Jan Muller", "Jan Müller"], ["Marc Newson", "Marc Newson, Ltd."]]
    assert len(by_key) > 5900


def test_cmoa_ceramics_credits_read_back_from_the_template() -> None:
    """The museum's credits written as "Name (role)" in the native template parse to the same
    normalised credit as the museum's structured role."""
    path = shared_data_or_skip("cmoa", "cmoa-ceramics.jsonl")
    for line in path.read_text(encoding="utf-8").splitlines():
        for creator in json.loads(line)["creator"] or []:
            name = " ".join(creator["full_name"].split())
            written = f"{name} ({creator['role'] or 'maker'})"
            expected = MakerCredit(name, *normalise_role(creator["role"]))
            assert parse_makers(written) == [expected], written
