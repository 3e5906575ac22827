"""The ware form: which fields it has, how they are read from a request, and what is wrong.

Fields are described once here and the template draws them in this order, so adding a field
is one line. Labels go through the translation function when shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from archive.catalogue import MakerCredit
from archive.models import MakerRole, Ware
from archive.working_copies import form_values

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
RIGHTS_PATTERN = re.compile(
    r"^https?://(creativecommons\.org/(licenses|publicdomain)/|rightsstatements\.org/vocab/)"
    r"[\w./-]+$"
)
# Offered in the form's suggestion list; any Creative Commons or rightsstatements.org URI is valid.
COMMON_RIGHTS = (
    "http://creativecommons.org/publicdomain/zero/1.0/",
    "http://creativecommons.org/licenses/by/4.0/",
    "http://creativecommons.org/licenses/by-sa/4.0/",
    "http://creativecommons.org/licenses/by-nc/4.0/",
    "http://rightsstatements.org/vocab/InC-EDU/1.0/",
    "http://rightsstatements.org/vocab/NoC-NC/1.0/",
    "http://rightsstatements.org/vocab/CNE/1.0/",
)
# Blank maker rows under the typed ones; the form's script adds more, as many as are needed.
MAKER_ROWS = 1


@dataclass(frozen=True)
class FieldSpec:
    """One input of the ware form."""

    name: str
    label: str
    kind: str = "text"  # text, textarea, year, number
    max_length: int = 300
    lang: str | None = None
    group: str = "record"


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title_en", "Title (English)", lang="en", max_length=1000, group="titles"),
    FieldSpec("title_zh", "Title (Chinese)", lang="zh", max_length=1000, group="titles"),
    FieldSpec("object_type", "Object type", max_length=200),
    FieldSpec("place", "Place of production"),
    FieldSpec("date_text", "Date as written"),
    FieldSpec("year_earliest", "Earliest year (negative for BCE)", kind="year"),
    FieldSpec("year_latest", "Latest year (negative for BCE)", kind="year"),
    FieldSpec("period", "Period, dynasty or reign"),
    FieldSpec("material", "Body or material"),
    FieldSpec("technique", "Technique or decoration"),
    FieldSpec("pattern", "Pattern"),
    FieldSpec("marks", "Marks and inscriptions", kind="textarea", max_length=5000),
    FieldSpec("dimensions_text", "Dimensions as written", max_length=500),
    FieldSpec("height_cm", "Height (cm)", kind="number"),
    FieldSpec("width_cm", "Width (cm)", kind="number"),
    FieldSpec("depth_cm", "Depth (cm)", kind="number"),
    FieldSpec("diameter_cm", "Diameter (cm)", kind="number"),
    FieldSpec(
        "description_en",
        "Description (English)",
        kind="textarea",
        lang="en",
        max_length=20000,
        group="descriptions",
    ),
    FieldSpec(
        "description_zh",
        "Description (Chinese)",
        kind="textarea",
        lang="zh",
        max_length=20000,
        group="descriptions",
    ),
    FieldSpec("credit_line", "Credit line", kind="textarea", max_length=2000, group="rights"),
    FieldSpec("provenance", "Provenance", kind="textarea", max_length=20000, group="rights"),
    FieldSpec("rights", "Rights statement (licence URI)", group="rights"),
)


@dataclass
class MakerRow:
    """One maker line of the form, as typed."""

    name: str = ""
    role: str = MakerRole.MAKER.value
    qualifier: str = ""


@dataclass
class WareForm:
    """The form's values as typed, what they mean, and what is wrong with them."""

    accession_number: str = ""
    collection: str = ""
    institution: str = ""
    values: dict[str, str] = field(default_factory=dict)
    makers: list[MakerRow] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def maker_rows(self) -> list[MakerRow]:
        """The typed makers plus blank rows to add more."""
        return [*self.makers, *(MakerRow() for _ in range(MAKER_ROWS))]

    def typed(self) -> dict[str, Any]:
        """The form as typed, keyed like the history's snapshots: what a working copy keeps."""
        return {
            "accession_number": self.accession_number,
            "collection": self.collection,
            **{spec.name: self.values.get(spec.name, "") for spec in FIELDS},
            "makers": [[row.name, row.role, row.qualifier] for row in self.makers],
        }

    @classmethod
    def of_typed(cls, typed: dict[str, Any], institution: str) -> WareForm:
        """The form refilled from ``typed`` (a working copy), as the curator left it."""
        return cls(
            accession_number=str(typed.get("accession_number") or ""),
            collection=str(typed.get("collection") or ""),
            institution=institution,
            values={spec.name: str(typed.get(spec.name) or "") for spec in FIELDS},
            makers=[MakerRow(*(str(part or "") for part in row[:3])) for row in typed["makers"]]
            if isinstance(typed.get("makers"), list)
            else [],
        )

    @classmethod
    def of_ware(cls, ware: Ware) -> WareForm:
        """The form filled from a stored ware."""
        return cls.of_typed(form_values(ware), ware.institution.name)


def typed_version(version: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """An earlier version of the record (a history snapshot, ``archive.restoring``) in the
    form's shape, over ``current`` (the record now, same shape) for what the version does
    not name: what a restore puts into a working copy."""
    typed = dict(current)
    for key in ("accession_number", "collection", *(spec.name for spec in FIELDS)):
        if key in version:
            typed[key] = "" if version[key] is None else str(version[key])
    if isinstance(version.get("makers"), list):
        typed["makers"] = [
            [str(part or "") for part in [*row, "", "", ""][:3]] for row in version["makers"]
        ]
    return typed


def typed_data(typed: dict[str, Any]) -> MultiDict[str, str]:
    """``typed`` (a working copy) as the request data ``read_form`` reads, to check it again."""
    data: MultiDict[str, str] = MultiDict()
    for key, value in typed.items():
        if key == "makers":
            for row in value if isinstance(value, list) else []:
                name, role, qualifier = [*row, "", "", ""][:3]
                data.add("maker_name", str(name or ""))
                data.add("maker_role", str(role or MakerRole.MAKER.value))
                data.add("maker_qualifier", str(qualifier or ""))
        else:
            data.add(key, str(value or ""))
    return data


def clean_text(value: str | None) -> str:
    """Text as stored: control characters removed, outer whitespace trimmed."""
    return _CONTROL.sub("", value or "").strip()


def read_form(data: MultiDict[str, str]) -> WareForm:
    """Read and check the submitted ware form; ``errors`` is empty when it can be saved."""
    form = WareForm(
        accession_number=clean_text(data.get("accession_number")),
        collection=clean_text(data.get("collection"))[:200],
        institution=clean_text(data.get("institution"))[:200],
    )
    if not form.accession_number:
        form.errors["accession_number"] = "The accession number is required."
    elif len(form.accession_number) > 100:
        form.errors["accession_number"] = "The accession number is too long (100 at most)."
    for spec in FIELDS:
        raw = clean_text(data.get(spec.name))
        form.values[spec.name] = raw
        form.fields[spec.name] = _parse(spec, raw, form.errors)
    if not (form.fields["title_en"] or form.fields["title_zh"]):
        form.errors["title_en"] = "A title in English or Chinese is required."
    earliest, latest = form.fields["year_earliest"], form.fields["year_latest"]
    if earliest is not None and latest is not None and earliest > latest:
        form.errors["year_latest"] = "The latest year is before the earliest."
    rights = form.fields["rights"]
    if rights and not RIGHTS_PATTERN.match(rights):
        form.errors["rights"] = (
            "Use a Creative Commons or rightsstatements.org URI, "
            "e.g. http://creativecommons.org/licenses/by/4.0/"
        )
    form.makers = _read_makers(data, form.errors)
    return form


def _parse(spec: FieldSpec, raw: str, errors: dict[str, str]) -> Any:
    if len(raw) > spec.max_length:
        errors[spec.name] = f"Too long: {spec.max_length:,} characters at most."
        return None
    if not raw:
        return None
    if spec.kind == "year":
        if not re.fullmatch(r"-?[0-9]{1,4}", raw):
            errors[spec.name] = "A whole year, such as 1736 or -200 for 200 BCE."
            return None
        return int(raw)
    if spec.kind == "number":
        try:
            number = float(raw)
        except ValueError:
            errors[spec.name] = "A number of centimetres, such as 49.5."
            return None
        if not 0 < number < 100_000:
            errors[spec.name] = "A positive number of centimetres."
            return None
        return number
    return raw


def _read_makers(data: MultiDict[str, str], errors: dict[str, str]) -> list[MakerRow]:
    names = data.getlist("maker_name")
    roles = data.getlist("maker_role")
    qualifiers = data.getlist("maker_qualifier")
    rows = []
    for index, name in enumerate(names[:50]):
        name = clean_text(name)[:300]
        if not name:
            continue
        role = roles[index] if index < len(roles) else MakerRole.MAKER.value
        if role not in {member.value for member in MakerRole}:
            errors["makers"] = "Choose a role for each maker."
            role = MakerRole.MAKER.value
        qualifier = clean_text(qualifiers[index] if index < len(qualifiers) else "")[:100]
        rows.append(MakerRow(name, role, qualifier))
    return rows


def credits_of(rows: list[MakerRow], maker_for: Any) -> list[MakerCredit]:
    """The form's makers as credits; ``maker_for`` finds or creates a Maker by name."""
    return [
        MakerCredit(maker_for(row.name), MakerRole(row.role), row.qualifier or None) for row in rows
    ]


MAKER_ROLES = tuple(role.value for role in MakerRole)
