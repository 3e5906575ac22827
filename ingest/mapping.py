"""Apply a mapping profile to one source row: catalogue fields, normalised, or a RowError.

Normalisation happens here: titles and descriptions split into English and Chinese, dates into
text plus earliest/latest years (an unrecognised date keeps its text and is reported, never
guessed), makers with roles, dimensions in centimetres beside their source text. Every source
field the profile does not read is kept in the raw record under ``unmapped``.
"""

from __future__ import annotations

import re
from typing import Any

from archive.catalogue import WARE_FIELDS
from archive.models import Ware
from archive.portable_text import column_length
from ingest.normalise import (
    from_inches,
    normalise_role,
    parse_date,
    parse_dimensions,
    parse_makers,
    split_languages,
)
from ingest.normalise.dimensions import Dimensions
from ingest.normalise.languages import HAN_PATTERN
from ingest.profiles import PLAIN_TARGETS, TARGETS, Profile
from ingest.records import MakerMention, PhotoReference, RowError, SourceRecord

# Ware fields copied as they are from the profile's plain targets (status is checked on its own).
_WARE_TEXT = tuple(t for t in PLAIN_TARGETS if t in WARE_FIELDS and t != "status")
STATUSES = ("draft", "submitted", "published", "rejected")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO_YEAR = re.compile(r"^([+-]?\d{1,4})(?:-\d{1,2}-\d{1,2}(?:[T ].*)?)?$")
_MEASURES = ("height", "width", "depth", "diameter")


def map_record(profile: Profile, row: dict[str, Any], default_status: str) -> SourceRecord:
    """Map one source row with ``profile``, or raise RowError naming the field at fault."""
    if len(row) > profile.max_columns:
        raise RowError(f"the row has {len(row)} columns; at most {profile.max_columns} are read")
    values = {target: _value(row, rule) for target, rule in profile.fields.items()}
    for target, default in profile.defaults.items():
        values[target] = values.get(target) or default
    accession = values.get("accession_number") or ""
    if not accession:
        raise RowError("the accession number is missing", "accession_number")
    if len(accession) > 100:
        raise RowError("the accession number is longer than 100 characters", "accession_number")
    warnings: list[tuple[str, str]] = []
    fields: dict[str, Any] = {name: values.get(name) or None for name in _WARE_TEXT}
    _split_language_pair(fields, values, "title")
    _split_language_pair(fields, values, "description")
    if not (fields["title_en"] or fields["title_zh"]):
        raise RowError("a title in English or Chinese is required", "title_en")
    _set_dates(fields, values, warnings)
    dimensions = _dimensions(profile, row, values, fields["object_type"])
    if dimensions is not None:
        fields["dimensions_text"] = dimensions.text or None
        for measure in _MEASURES:
            fields[f"{measure}_cm"] = getattr(dimensions, f"{measure}_cm")
        if dimensions.text:
            warnings += [("dimensions", problem) for problem in dimensions.problems]
    status = (values.get("status") or default_status).lower()
    if status not in STATUSES:
        raise RowError(f"unknown status {status!r}: use one of {sorted(STATUSES)}", "status")
    fields["status"] = status
    credit = {
        "photographer": values.get("photographer") or None,
        "licence": values.get("image_licence") or None,
        "attribution": values.get("image_attribution") or None,
    }
    photos = [PhotoReference(name, **credit) for name in _split(values.get("images") or "")]
    _fit_to_catalogue(accession, fields, warnings)
    read = profile.source_keys()
    return SourceRecord(
        accession_number=accession,
        institution=values.get("institution") or None,
        collection=values.get("collection") or None,
        fields=fields,
        makers=_makers(profile, row, values),
        photos=photos,
        raw={
            "row": {key: value for key, value in row.items() if _present(value)},
            "unmapped": {k: v for k, v in row.items() if k not in read and _present(v)},
        },
        warnings=warnings,
    )


def _fit_to_catalogue(
    accession: str, fields: dict[str, Any], warnings: list[tuple[str, str]]
) -> None:
    """Cut text longer than the catalogue keeps, with a warning on the row (the database would
    otherwise keep it whole on SQLite and refuse the row on PostgreSQL); an accession number
    that long cannot be cut, so the row is refused."""
    table = Ware.__table__
    limit = column_length(table, "accession_number")  # type: ignore[arg-type]
    if limit and len(accession) > limit:
        raise RowError(
            f"the accession number is longer than {limit} characters", "accession_number"
        )
    for name, value in list(fields.items()):
        limit = column_length(table, name)  # type: ignore[arg-type]
        if isinstance(value, str) and limit and len(value) > limit:
            fields[name] = value[:limit]
            warnings.append(
                (name, f"{len(value):,} characters: cut to the {limit:,} the catalogue keeps")
            )


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _lookup(row: dict[str, Any], path: str) -> Any:
    """The value at a dotted path ("creator.0.full_name") in a nested record, or None; a key
    that is the whole path ("Obj. No." in a spreadsheet's header) is read as it is."""
    if path in row:
        return row[path]
    value: Any = row
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _text(value: Any) -> str:
    """A source value as clean text: lists joined with "; ", control characters removed."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(text for item in value if (text := _text(item)))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _CONTROL.sub("", str(value)).strip()


def _value(row: dict[str, Any], rule: Any) -> str:
    texts = [_text(_lookup(row, path)) for path in rule.sources]
    if rule.vocabulary is not None:
        for text in texts:
            found = rule.vocabulary.search(text.lower())
            if found:
                return found.group(1)
        return _text(_lookup(row, rule.fallback)).lower() if rule.fallback else ""
    return next((text for text in texts if text), "")


def _split_language_pair(fields: dict[str, Any], values: dict[str, str], name: str) -> None:
    """Fill ``<name>_en``/``<name>_zh`` from a mixed ``<name>`` source, and move Chinese text
    found in the English field to the Chinese one when that is empty."""
    english, chinese = fields[f"{name}_en"], fields[f"{name}_zh"]
    mixed = values.get(name) or ""
    if mixed:
        split_en, split_zh = split_languages(mixed)
        english, chinese = english or split_en or None, chinese or split_zh or None
    elif english and not chinese and HAN_PATTERN.search(english):
        split_en, split_zh = split_languages(english)
        english, chinese = split_en or None, split_zh or None
    fields[f"{name}_en"], fields[f"{name}_zh"] = english, chinese


def _year(values: dict[str, str], name: str) -> int | None:
    text = values.get(name) or ""
    if not text:
        return None
    match = _ISO_YEAR.match(text.strip())
    if match is None:
        raise RowError(f"{name} must be a whole year (negative for BCE), not {text!r}", name)
    return int(match.group(1))


def _set_dates(
    fields: dict[str, Any], values: dict[str, str], warnings: list[tuple[str, str]]
) -> None:
    earliest, latest = _year(values, "year_earliest"), _year(values, "year_latest")
    if earliest is not None and latest is not None and earliest > latest:
        raise RowError(f"year_earliest {earliest} is after year_latest {latest}", "year_earliest")
    text = values.get("date_text") or ""
    fields["date_text"] = text[:300] or None
    if text:
        parsed = parse_date(text)
        fields["period"] = fields["period"] or parsed.period
        if earliest is None and latest is None:
            earliest, latest = parsed.earliest, parsed.latest
            if earliest is None and latest is None:
                warnings.append(("date_text", f"date not recognised, kept as text: {text!r}"))
    fields["year_earliest"], fields["year_latest"] = earliest, latest


def _dimensions(
    profile: Profile, row: dict[str, Any], values: dict[str, str], object_type: str | None
) -> Dimensions | None:
    text = values.get("dimensions") or ""
    if text:
        return parse_dimensions(text)
    rule = profile.dimensions
    if rule is None:
        return None
    numbers: dict[str, float | None] = {}
    for measure in _MEASURES:
        raw = _lookup(row, rule.measures[measure]) if measure in rule.measures else None
        try:
            numbers[measure] = float(raw) if _present(raw) else None
        except (TypeError, ValueError):
            raise RowError(f"{measure} must be a number, not {raw!r}", "dimensions") from None
    return from_inches(
        numbers["height"], numbers["width"], numbers["depth"], numbers["diameter"], object_type
    )


def _makers(profile: Profile, row: dict[str, Any], values: dict[str, str]) -> list[MakerMention]:
    mentions = [
        MakerMention(credit.name, credit.role, credit.qualifier)
        for credit in parse_makers(values.get("makers"))
    ]
    rule = profile.makers
    entries = _lookup(row, rule.source) if rule else None
    if rule is None or not isinstance(entries, list):
        return mentions
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        name = " ".join(_text(entry.get(rule.name)).split())
        if not name:
            continue
        role, qualifier = normalise_role(_text(entry.get(rule.role)) if rule.role else "")
        nationality = _text(entry.get(rule.nationality)) if rule.nationality else ""
        kind = _text(entry.get(rule.kind)).lower() if rule.kind else ""
        mentions.append(MakerMention(name, role, qualifier, nationality or None, kind or None))
    return mentions


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


# Column names people give catalogue fields beyond the fields' own names and the columns the
# built-in profiles read; compared as words (lower case, punctuation as spaces).
_COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "accession_number": (
        "accession",
        "accession no",
        "object number",
        "object no",
        "obj no",
        "inventory number",
        "inventory no",
        "inv no",
        "registration number",
        "catalogue number",
        "identifier",
        "id",
        "藏品编号",
        "编号",
    ),
    "title": ("title", "name", "object name", "标题", "名称", "题名"),
    "makers": ("maker", "artist", "creator", "manufacturer", "factory", "potter", "作者", "窑口"),
    "date_text": ("date", "dating", "dated", "production date", "date made", "年代", "时代"),
    "year_earliest": ("earliest", "year from", "date from", "start year", "begin year"),
    "year_latest": ("latest", "year to", "date to", "end year"),
    "object_type": ("type", "object type", "classification", "category", "form", "器型", "类别"),
    "material": ("materials", "medium", "body", "材质", "质地"),
    "place": ("origin", "place made", "place of production", "country", "region", "产地"),
    "description": ("description", "notes", "remarks", "说明", "描述"),
    "dimensions": ("size", "measurements", "尺寸"),
    "images": ("image", "photo", "photos", "photograph", "photographs", "file", "filename"),
    "rights": ("rights statement", "copyright", "license", "licence"),
    "collection": ("department",),
    "technique": ("techniques", "decoration", "工艺"),
    "marks": ("mark", "inscription", "inscriptions", "款识"),
}


def _words(name: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", name.lower()).split())


def _known_columns(profiles: list[Profile]) -> dict[str, str]:
    """Column name (as words) → target: the targets' own names, the plain columns the given
    profiles read, then the synonyms; the first claim on a name wins."""
    known: dict[str, str] = {}
    for target in TARGETS:
        known.setdefault(_words(target), target)
    for profile in profiles:
        for target, rule in profile.fields.items():
            if rule.vocabulary is None:
                for source in rule.sources:
                    known.setdefault(_words(source), target)
    for target, names in _COLUMN_SYNONYMS.items():
        for name in names:
            known.setdefault(_words(name), target)
    return known


def guess_targets(columns: list[str], profiles: list[Profile]) -> dict[str, str]:
    """A first guess at the target of each column ("" for none), from column names and the
    columns ``profiles`` (the built-in ones) read; no target is guessed for two columns."""
    known = _known_columns(profiles)
    taken: set[str] = set()
    guesses: dict[str, str] = {}
    for column in columns:
        target = known.get(_words(column), "")
        if target in taken:
            target = ""
        # The language pairs: a mixed "title" column would compete with "title_en" for a row.
        if target in ("title", "description") and {f"{target}_en", f"{target}_zh"} & taken:
            target = ""
        guesses[column] = target
        if target:
            taken.add(target)
    return guesses


def profile_columns(profile: Profile, columns: list[str]) -> dict[str, str]:
    """The target ``profile`` gives each of ``columns`` ("" where it reads none of them), so a
    chosen profile can be shown, and changed, on the mapping screen."""
    assigned: dict[str, str] = dict.fromkeys(columns, "")
    for target, rule in profile.fields.items():
        if rule.vocabulary is not None:
            continue
        for source in rule.sources:
            if source in assigned and not assigned[source]:
                assigned[source] = target
    return assigned
