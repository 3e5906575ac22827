"""Field mapping profiles: TOML files that say which source field feeds which catalogue field.

Built-in profiles live in ``ingest/profiles/`` (``potbank``: the native template; ``cmoa``: the
Carnegie Museum of Art's records). Profiles a curator saves from the bulk upload's mapping screen
live in the instance's ``profiles/`` folder (never the repository) and are found by name just
like the built-in ones; any other TOML file in the same format can be given by path. The format is
documented in docs/ingest.md.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
# Under an instance's home: the profiles its curators saved.
SAVED_PROFILES = "profiles"
# A saved profile's name: also its file name, so nothing that could be a path.
PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

# Catalogue fields a profile may fill, and what each expects from its source.
PLAIN_TARGETS = (
    "accession_number",
    "institution",
    "collection",
    "title_en",
    "title_zh",
    "object_type",
    "place",
    "period",
    "material",
    "technique",
    "pattern",
    "marks",
    "description_en",
    "description_zh",
    "credit_line",
    "provenance",
    "rights",
    "photographer",
    "image_licence",
    "image_attribution",
    "status",
)
# Targets the mapper interprets: split by language, parsed as dates, makers, sizes or file lists.
PARSED_TARGETS = (
    "title",
    "description",
    "makers",
    "date_text",
    "year_earliest",
    "year_latest",
    "dimensions",
    "images",
)
TARGETS = PLAIN_TARGETS + PARSED_TARGETS
_RULE_KEYS = {"source", "vocabulary", "fallback"}
_MAKER_KEYS = {"source", "name", "role", "nationality", "kind"}
_DIMENSION_KEYS = {"unit", "height", "width", "depth", "diameter"}
_UNITS = ("in",)


class ProfileError(ValueError):
    """A profile that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class FieldRule:
    """Where one catalogue field comes from: the first non-empty of ``sources`` (dotted paths
    into nested records), or the longest ``vocabulary`` term found in them, else ``fallback``."""

    sources: tuple[str, ...]
    vocabulary: re.Pattern[str] | None = None
    fallback: str | None = None


@dataclass(frozen=True)
class MakerRule:
    """Makers as a list of objects (``source``), with the keys of their name, role and details."""

    source: str
    name: str
    role: str | None = None
    nationality: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class DimensionRule:
    """Dimensions as separate numbers in inches, one source field per measure."""

    unit: str
    measures: dict[str, str]


@dataclass(frozen=True)
class Profile:
    """A loaded mapping profile."""

    name: str
    description: str
    fields: dict[str, FieldRule]
    defaults: dict[str, str] = field(default_factory=dict)
    makers: MakerRule | None = None
    dimensions: DimensionRule | None = None
    delimiter: str | None = None
    encoding: str = "utf-8"
    max_columns: int = 200

    def source_keys(self) -> set[str]:
        """Top-level source keys the profile reads (everything else is kept as unmapped)."""
        paths = [path for rule in self.fields.values() for path in rule.sources]
        paths += [rule.fallback for rule in self.fields.values() if rule.fallback]
        if self.makers:
            paths.append(self.makers.source)
        if self.dimensions:
            paths += self.dimensions.measures.values()
        # A column whose own name has a dot ("Obj. No.") is read whole, so both forms count.
        return {path.split(".")[0] for path in paths} | set(paths)


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped with Potbank."""
    return sorted(path.stem for path in PROFILES_DIR.glob("*.toml"))


def saved_profiles_dir(home: Path) -> Path:
    """Where an instance keeps the profiles its curators saved."""
    return home / SAVED_PROFILES


def saved_profiles(home: Path | None) -> list[str]:
    """Names of the profiles saved in the instance at ``home`` (a built-in name always wins)."""
    if home is None or not saved_profiles_dir(home).is_dir():
        return []
    builtin = set(builtin_profiles())
    return sorted(
        path.stem
        for path in saved_profiles_dir(home).glob("*.toml")
        if PROFILE_NAME.match(path.stem) and path.stem not in builtin
    )


def profile_names(home: Path | None) -> list[str]:
    """Every profile usable by name: the built-in ones, then the instance's saved ones."""
    return builtin_profiles() + saved_profiles(home)


def load_profile(name_or_path: str | Path, home: Path | None = None) -> Profile:
    """A built-in profile by name, one saved in the instance at ``home`` by name, or a user's
    TOML file by path."""
    text = str(name_or_path)
    if text in builtin_profiles():
        path = PROFILES_DIR / f"{text}.toml"
    elif text in saved_profiles(home):
        assert home is not None
        path = saved_profiles_dir(home) / f"{text}.toml"
    else:
        path = Path(text)
    if not path.is_file():
        raise ProfileError(
            f"no mapping profile {text!r}: use one of {', '.join(profile_names(home))} "
            "or the path of a .toml profile"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ProfileError(f"{path}: not a valid TOML file ({error})") from None
    return parse_profile(data, default_name=path.stem)


def check_profile_name(name: str) -> str:
    """``name`` if a profile may be saved under it, else a ProfileError saying why."""
    if not PROFILE_NAME.match(name):
        raise ProfileError(
            "a profile name is 1 to 40 lower-case letters, digits, - or _, starting with a "
            "letter or digit"
        )
    if name in builtin_profiles():
        raise ProfileError(f"{name!r} is a built-in profile: choose another name")
    return name


def column_profile(name: str, description: str, columns: dict[str, str]) -> dict[str, Any]:
    """A profile's tables from a column → target assignment (the mapping screen's result);
    columns feeding one target are tried in the order given. Checked by ``parse_profile``."""
    fields: dict[str, list[str]] = {}
    for column, target in columns.items():
        if target:
            fields.setdefault(target, []).append(column)
    data: dict[str, Any] = {
        "profile": {"name": name, "description": description},
        "fields": {
            target: sources[0] if len(sources) == 1 else sources
            for target, sources in fields.items()
        },
    }
    parse_profile(data, default_name=name)
    return data


def profile_toml(data: dict[str, Any]) -> str:
    """Profile tables (strings and lists of strings) as TOML in the built-in files' layout.

    A JSON string is a valid TOML basic string (the same escapes), so names from any
    spreadsheet, quotes and all, are written safely as keys and values."""
    lines = ["# Saved from the bulk upload's mapping screen; edit freely (docs/ingest.md)."]
    for table, values in data.items():
        lines += ["", f"[{table}]"]
        for key, value in values.items():
            written = (
                "[" + ", ".join(_toml_string(item) for item in value) + "]"
                if isinstance(value, list)
                else _toml_string(str(value))
            )
            lines.append(f"{_toml_key(key)} = {written}")
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def save_profile(home: Path, data: dict[str, Any]) -> Path:
    """Write a profile (checked first) into the instance's saved profiles, replacing one of the
    same name atomically, and return its path."""
    name = check_profile_name(str(data["profile"]["name"]))
    text = profile_toml(data)
    parse_profile(tomllib.loads(text), default_name=name)
    folder = saved_profiles_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    partial = folder / f".{name}.toml.tmp"
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path


def parse_profile(data: dict[str, Any], default_name: str = "custom") -> Profile:
    """Check and convert a profile's TOML tables; every mistake is a ProfileError."""
    unknown = set(data) - {"profile", "fields", "defaults", "makers", "dimensions", "vocabularies"}
    if unknown:
        raise ProfileError(f"unknown tables in the profile: {', '.join(sorted(unknown))}")
    meta = _table(data, "profile")
    vocabularies = {
        name: tuple(_strings(terms, f"vocabularies.{name}"))
        for name, terms in _table(data, "vocabularies").items()
    }
    fields = {
        target: _field_rule(target, rule, vocabularies)
        for target, rule in _table(data, "fields").items()
    }
    defaults = {str(k): str(v) for k, v in _table(data, "defaults").items()}
    for target in [*fields, *defaults]:
        if target not in TARGETS:
            raise ProfileError(f"unknown field {target!r}: use one of {', '.join(TARGETS)}")
    if "accession_number" not in fields:
        raise ProfileError("the profile must say where the accession number comes from")
    return Profile(
        name=str(meta.get("name", default_name)),
        description=str(meta.get("description", "")),
        fields=fields,
        defaults=defaults,
        makers=_maker_rule(_table(data, "makers")),
        dimensions=_dimension_rule(_table(data, "dimensions")),
        delimiter=meta.get("delimiter"),
        encoding=_encoding(meta.get("encoding", "utf-8")),
        max_columns=int(meta.get("max_columns", 200)),
    )


def _encoding(name: Any) -> str:
    try:
        return codecs.lookup(str(name)).name
    except LookupError:
        raise ProfileError(f"unknown encoding {name!r} (e.g. utf-8, cp1252, gb18030)") from None


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ProfileError(f"[{name}] must be a table")
    return value


def _strings(value: Any, where: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ProfileError(f"{where} must be a string or a list of strings")
    return items


def _field_rule(target: str, rule: Any, vocabularies: dict[str, tuple[str, ...]]) -> FieldRule:
    if not isinstance(rule, dict):
        return FieldRule(tuple(_strings(rule, f"fields.{target}")))
    unknown = set(rule) - _RULE_KEYS
    if unknown:
        raise ProfileError(f"fields.{target}: unknown keys {', '.join(sorted(unknown))}")
    vocabulary = None
    if "vocabulary" in rule:
        if rule["vocabulary"] not in vocabularies:
            raise ProfileError(f"fields.{target}: no [vocabularies] list {rule['vocabulary']!r}")
        # Longest terms first, so "sugar bowl" wins over "bowl" where both match; a plural counts.
        terms = sorted(vocabularies[rule["vocabulary"]], key=len, reverse=True)
        alternatives = "|".join(re.escape(term.lower()) for term in terms)
        vocabulary = re.compile(rf"\b({alternatives})(?:s|es)?\b")
    fallback = rule.get("fallback")
    return FieldRule(
        tuple(_strings(rule.get("source", []), f"fields.{target}.source")),
        vocabulary,
        str(fallback) if fallback else None,
    )


def _maker_rule(table: dict[str, Any]) -> MakerRule | None:
    if not table:
        return None
    unknown = set(table) - _MAKER_KEYS
    if unknown or "source" not in table or "name" not in table:
        raise ProfileError("[makers] needs source and name (and may have role, nationality, kind)")
    return MakerRule(**{key: str(value) for key, value in table.items()})


def _dimension_rule(table: dict[str, Any]) -> DimensionRule | None:
    if not table:
        return None
    unknown = set(table) - _DIMENSION_KEYS
    unit = table.get("unit")
    if unknown or unit not in _UNITS:
        raise ProfileError(
            '[dimensions] needs unit = "in" and any of height, width, depth, diameter'
            ' (for text with its own units map the "dimensions" field instead)'
        )
    return DimensionRule(
        str(unit), {key: str(value) for key, value in table.items() if key != "unit"}
    )
