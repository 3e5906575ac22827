"""parse_dimensions and from_inches on catalogue forms and the museum's inch numbers."""

from __future__ import annotations

import json

import pytest

from ingest.normalise import Dimensions, from_inches, inches_text, parse_dimensions
from tests.conftest import shared_data_or_skip


def measures(result: Dimensions) -> tuple[float | None, ...]:
    return result.height_cm, result.width_cm, result.depth_cm, result.diameter_cm


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("H. 10 1/2 in. (26.7 cm)", (26.7, None, None, None)),
        ("H. 10-1/2 in.", (26.7, None, None, None)),
        ("H. 9 ½ in.", (24.1, None, None, None)),
        ("H. 9½ in.", (24.1, None, None, None)),
        ("H. 5/8 x Diam. 3 in.", (1.6, None, None, 7.6)),
        ("2 1/8 x 2 1/8 x 2 in.", (5.4, 5.4, 5.1, None)),
        ("2x3 in.", (5.1, 7.6, None, None)),
        ("H. 2 1/8 x W. 2 1/8 x D. 2 in. (5.4 x 5.4 x 5.1 cm)", (5.4, 5.4, 5.1, None)),
        ("H. 1 3/4 x W. 15 7/16 x D. 12 13/16 in. (4.4 x 39.2 x 32.5 cm)", (4.4, 39.2, 32.5, None)),
        ("H. 1 1/8 x Diam. 8 7/8 in. (2.9 x 22.5 cm)", (2.9, None, None, 22.5)),
        ("Diam. 15 cm", (None, None, None, 15.0)),
        ("Height: 30 mm; Diameter: 12.5 cm", (3.0, None, None, 12.5)),
        ("H. 10 cm W. 5 cm", (10.0, 5.0, None, None)),
        ("26.7 × 15 × 10 cm", (26.7, 15.0, 10.0, None)),
        ("高 26.7 厘米", (26.7, None, None, None)),
        ("高26.7厘米 口径12.3厘米", (26.7, None, None, 12.3)),
        ("通高 45 公分，腹径 30 公分", (45.0, None, None, 30.0)),
        ("Length 1.2 m", (None, 120.0, None, None)),
    ],
)
def test_parse_dimensions(text: str, expected: tuple[float | None, ...]) -> None:
    result = parse_dimensions(text)
    assert measures(result) == pytest.approx(expected)
    assert result.text == text
    assert result.problems == ()


def test_stated_metric_equivalents_win_over_conversion() -> None:
    # 10 1/2 in. is 26.67 cm; the catalogue's own 26.7 is kept.
    assert parse_dimensions("H. 10 1/2 in. (26.7 cm)").height_cm == 26.7
    assert parse_dimensions("H. 10 1/2 in. (267 mm)").height_cm == pytest.approx(26.7)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("10 x 20", "no unit for 10 x 20"),
        ("26.7 cm", "no label for 26.7 cm"),
    ],
)
def test_unknowns_are_reported_not_guessed(text: str, problem: str) -> None:
    result = parse_dimensions(text)
    assert measures(result) == (None, None, None, None)
    assert result.problems == (problem,)


@pytest.mark.parametrize("text", ["", None, "dimensions unavailable"])
def test_nothing_to_parse(text: str | None) -> None:
    assert measures(parse_dimensions(text)) == (None, None, None, None)


@pytest.mark.parametrize(
    ("inches", "text"),
    [(2.0, "2"), (2.125, "2 1/8"), (7.812, "7 13/16"), (0.5625, "9/16"), (15.4375, "15 7/16")],
)
def test_inches_text(inches: float, text: str) -> None:
    assert inches_text(inches) == text


def test_from_inches_converts_and_writes_the_text() -> None:
    result = from_inches(2.125, 2.125, 2.0, 0.0)
    assert measures(result) == (5.4, 5.4, 5.1, None)
    assert result.text == "H. 2 1/8 x W. 2 1/8 x D. 2 in. (5.4 x 5.4 x 5.1 cm)"
    assert result.problems == ()


def test_from_inches_zero_means_not_measured() -> None:
    result = from_inches(0.0, 0.0, 0.0, 0.0)
    assert measures(result) == (None, None, None, None)
    assert result.problems == ("no measurements (all zero or missing)",)
    assert from_inches(None, None, None, None).problems == result.problems


def test_from_inches_reports_swapped_and_implausible_values() -> None:
    # CMOA 91.5.1, a dish "1.437 in. high and 1 in. across".
    dish = from_inches(1.437, 0.0, 0.0, 1.0, object_type="Dish")
    assert dish.problems == (
        "a flat ware recorded at least as high as it is wide: swapped or mistyped values",
    )
    assert dish.height_cm == 3.6
    # The same numbers for a vase are unremarkable.
    assert from_inches(1.437, 0.0, 0.0, 1.0, object_type="vase").problems == ()
    assert from_inches(-2.0, 3.0, 0.0, 0.0).problems == ("implausible height: -2.0 in.",)


# --- the shared data -------------------------------------------------------------------------


def _records() -> list[dict]:
    path = shared_data_or_skip("cmoa", "cmoa-ceramics.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_cmoa_inches_round_trip_through_the_written_text() -> None:
    """What from_inches writes, parse_dimensions reads back to the same centimetres."""
    for record in _records():
        written = from_inches(
            record["item_height"],
            record["item_width"],
            record["item_depth"],
            record["item_diameter"],
        )
        assert measures(parse_dimensions(written.text)) == measures(written), written.text


def test_cmoa_problems_are_found() -> None:
    records = _records()
    unmeasured = [
        r["accession_number"]
        for r in records
        if "no measurements"
        in " ".join(
            from_inches(
                r["item_height"], r["item_width"], r["item_depth"], r["item_diameter"]
            ).problems
        )
    ]
    swapped = {
        r["accession_number"]
        for r in records
        if from_inches(
            r["item_height"], r["item_width"], r["item_depth"], r["item_diameter"], r["title"]
        ).problems
    }
    assert len(unmeasured) == 55
    assert {"91.5.1", "91.5.2", "19.1.10", "1997.64", "86.43.1"} <= swapped
