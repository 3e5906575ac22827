"""Dimensions as catalogues write them, in centimetres: "H. 10 1/2 in. (26.7 cm)",
"2 1/8 x 2 1/8 x 2 in.", "高 26.7 厘米", "Diam. 15 cm", and the museum's separate inch numbers.

Unlabelled values follow the catalogue convention height × width × depth. Where a text gives both
inches and their metric equivalent, the stated centimetres are used rather than a re-conversion.
A value without a unit or a label that says which measure it is stays unknown: nothing is guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction

CM_PER_UNIT = {"in": 2.54, "ft": 30.48, "cm": 1.0, "mm": 0.1, "m": 100.0}
UNIT_WORDS = {
    "in": "in",
    "inch": "in",
    "inches": "in",
    '"': "in",
    "″": "in",
    "ft": "ft",
    "feet": "ft",
    "foot": "ft",
    "cm": "cm",
    "centimeter": "cm",
    "centimeters": "cm",
    "centimetre": "cm",
    "centimetres": "cm",
    "厘米": "cm",
    "公分": "cm",
    "mm": "mm",
    "millimeter": "mm",
    "millimeters": "mm",
    "millimetre": "mm",
    "millimetres": "mm",
    "毫米": "mm",
    "m": "m",
    "米": "m",
}
LABEL_WORDS = {
    "h": "height",
    "ht": "height",
    "height": "height",
    "high": "height",
    "高": "height",
    "通高": "height",
    "w": "width",
    "width": "width",
    "wide": "width",
    "l": "width",
    "length": "width",
    "long": "width",
    "宽": "width",
    "长": "width",
    "d": "depth",
    "depth": "depth",
    "deep": "depth",
    "深": "depth",
    "厚": "depth",
    "diam": "diameter",
    "dia": "diameter",
    "diameter": "diameter",
    "ø": "diameter",
    "⌀": "diameter",
    "径": "diameter",
    "直径": "diameter",
    "口径": "diameter",
    "腹径": "diameter",
}
POSITIONS = ("height", "width", "depth")
# Flat tableware is wider than it is high; the opposite in a record means swapped fields. (Tiles
# and plaques are measured upright, and a covered dish can be as tall as it is wide.)
FLAT_TYPES = ("plate", "dish", "saucer", "platter", "charger")
NOT_FLAT = ("lid", "cover")
PLAUSIBLE_MAX_INCHES = 400.0


def _alternatives(words: dict[str, str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_ASCII_WORDS = {w: v for w, v in LABEL_WORDS.items() if w.isascii()}
_OTHER_WORDS = {w: v for w, v in LABEL_WORDS.items() if not w.isascii()}
TOKEN = re.compile(
    rf"""
    (?P<number>\d+/\d+|\d+(?:\.\d+)?(?:(?:\s+|-)\d+/\d+)?)
    |(?P<unit>(?<![a-z])(?:{_alternatives(UNIT_WORDS)})(?![a-z])\.?)
    |(?P<label>(?<![a-z])(?:{_alternatives(_ASCII_WORDS)})(?![a-z])\.?|{_alternatives(_OTHER_WORDS)})
    |(?P<by>(?<![a-z])x(?![a-z])|×|\bby\b)
    |(?P<open>\()
    |(?P<close>\))
    |(?P<separator>[;,\n]|\band\b)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Dimensions:
    """Measurements in centimetres (None when not known), the text they came from, and any
    problems noticed on the way (zero, negative or swapped values)."""

    text: str
    height_cm: float | None = None
    width_cm: float | None = None
    depth_cm: float | None = None
    diameter_cm: float | None = None
    problems: tuple[str, ...] = ()


@dataclass
class _Group:
    """Values written together ("2 x 3 x 4 in."), with their labels and shared unit."""

    values: list[tuple[str | None, float]] = field(default_factory=list)
    unit: str | None = None
    metric: list[float] | None = None  # the stated metric equivalents in a following parenthesis
    in_parenthesis: bool = False


def _number(text: str) -> float:
    """10, 10.5, 10 1/2, 10-1/2 or 1/2 as a float."""
    whole, _, fraction = re.sub(r"(\d)-(\d+/)", r"\1 \2", text).partition(" ")
    if "/" in whole:
        whole, fraction = "0", whole
    value = float(whole)
    if fraction:
        numerator, denominator = fraction.split("/")
        value += int(numerator) / int(denominator) if int(denominator) else 0.0
    return value


def _normalise(text: str) -> str:
    """Fold width, vulgar fractions (9½ → 9 1/2) and case."""
    spaced = re.sub(r"(?<=\d)(?=[\u00bc-\u00be\u2150-\u215e])", " ", text)
    return unicodedata.normalize("NFKC", spaced).replace("\u2044", "/").lower()


def _groups(text: str) -> list[_Group]:
    """Read the text's groups of values, attaching metric equivalents to the inches they follow."""
    groups: list[_Group] = []
    current = _Group()
    label: str | None = None

    def close() -> None:
        nonlocal current
        if current.values:
            groups.append(current)
        current = _Group(in_parenthesis=current.in_parenthesis)

    for match in TOKEN.finditer(_normalise(text)):
        kind, token = match.lastgroup, match.group(0)
        if kind == "label":
            if current.unit:
                close()
            label = LABEL_WORDS[token.rstrip(".")]
        elif kind == "number":
            if current.unit:
                close()
            current.values.append((label, _number(token)))
            label = None
        elif kind == "unit" and current.values:
            current.unit = UNIT_WORDS[token.rstrip(".")]
        elif kind == "open":
            close()
            current.in_parenthesis = True
        elif kind == "close":
            inner = current if current.values else None
            current = _Group()
            previous = groups[-1] if groups else None
            if (
                inner
                and previous
                and previous.unit in ("in", "ft")
                and inner.unit in ("cm", "mm", "m")
                and len(inner.values) == len(previous.values)
            ):
                previous.metric = [value * CM_PER_UNIT[inner.unit] for _, value in inner.values]
            elif inner:
                groups.append(inner)
        elif kind == "separator":
            close()
    close()
    return [group for group in groups if not group.in_parenthesis or group.unit]


def parse_dimensions(text: str | None) -> Dimensions:
    """Parse a dimensions text into centimetres; the first value given for a measure wins."""
    original = (text or "").strip()
    found: dict[str, float] = {}
    problems: list[str] = []
    for group in _groups(original):
        if group.unit is None:
            problems.append(f"no unit for {' x '.join(f'{v:g}' for _, v in group.values)}")
            continue
        labelled = all(label for label, _ in group.values)
        if not labelled and len(group.values) == 1:
            problems.append(f"no label for {group.values[0][1]:g} {group.unit}")
            continue
        for position, (label, value) in enumerate(group.values):
            measure = label or (POSITIONS[position] if position < len(POSITIONS) else None)
            if measure is None or measure in found:
                continue
            if group.metric:
                found[measure] = round(group.metric[position], 2)
            else:
                found[measure] = round(value * CM_PER_UNIT[group.unit], 1)
    return Dimensions(
        original,
        height_cm=found.get("height"),
        width_cm=found.get("width"),
        depth_cm=found.get("depth"),
        diameter_cm=found.get("diameter"),
        problems=tuple(problems),
    )


def inches_text(value: float) -> str:
    """Inches as catalogues write them, to the nearest sixteenth: 7.812 → "7 13/16"."""
    fraction = Fraction(round(value * 16), 16)
    whole, rest = divmod(fraction, 1)
    if not rest:
        return str(whole)
    return f"{whole} {rest}" if whole else str(rest)


def _inches_text(inches: dict[str, float | None], centimetres: dict[str, float | None]) -> str:
    """The measured values as "H. 2 1/8 x Diam. 3 in. (5.4 x 7.6 cm)"."""
    measured = [measure for measure, value in centimetres.items() if value is not None]
    if not measured:
        return ""
    labels = {"height": "H.", "width": "W.", "depth": "D.", "diameter": "Diam."}
    written = " x ".join(f"{labels[m]} {inches_text(inches[m] or 0.0)}" for m in measured)
    metric = " x ".join(f"{centimetres[m]:.1f}" for m in measured)
    return f"{written} in. ({metric} cm)"


def from_inches(
    height: float | None,
    width: float | None,
    depth: float | None,
    diameter: float | None,
    object_type: str | None = None,
) -> Dimensions:
    """Dimensions from separate inch numbers (CMOA's item_height, ...): 0 or None is "not
    measured". Problems are reported: nothing measured, negative or implausible values, and a
    flat ware (plate, dish, ...) at least as high as it is wide, which means swapped or mistyped
    fields."""
    measures = {"height": height, "width": width, "depth": depth, "diameter": diameter}
    problems = []
    centimetres: dict[str, float | None] = {}
    for measure, inches in measures.items():
        if inches is None or inches == 0:
            centimetres[measure] = None
        elif inches < 0 or inches > PLAUSIBLE_MAX_INCHES:
            problems.append(f"implausible {measure}: {inches} in.")
            centimetres[measure] = None
        else:
            centimetres[measure] = round(inches * CM_PER_UNIT["in"], 1)
    if all(value is None for value in centimetres.values()):
        problems.append("no measurements (all zero or missing)")
    breadth = max((centimetres[m] or 0.0) for m in ("width", "depth", "diameter"))
    kind = (object_type or "").lower()
    flat = any(word in kind for word in FLAT_TYPES) and not any(word in kind for word in NOT_FLAT)
    if flat and centimetres["height"] and breadth and centimetres["height"] >= breadth:
        problems.append(
            "a flat ware recorded at least as high as it is wide: swapped or mistyped values"
        )
    return Dimensions(
        _inches_text(measures, centimetres),
        height_cm=centimetres["height"],
        width_cm=centimetres["width"],
        depth_cm=centimetres["depth"],
        diameter_cm=centimetres["diameter"],
        problems=tuple(problems),
    )
