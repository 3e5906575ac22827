"""The native ``potbank`` CSV template (docs/architecture.md) mapped to source records."""

from __future__ import annotations

import re

from ingest.normalise import parse_makers
from ingest.records import PhotoReference, RowError, SourceRecord

TEMPLATE_COLUMNS: tuple[str, ...] = (
    "accession_number",
    "institution",
    "collection",
    "title_en",
    "title_zh",
    "object_type",
    "makers",
    "place",
    "date_text",
    "year_earliest",
    "year_latest",
    "period",
    "material",
    "technique",
    "pattern",
    "marks",
    "dimensions",
    "description_en",
    "description_zh",
    "credit_line",
    "provenance",
    "rights",
    "images",
    "photographer",
    "image_licence",
    "image_attribution",
    "status",
)

# Template columns that go straight into the ware field of the same name.
_TEXT_FIELDS = (
    "title_en",
    "title_zh",
    "object_type",
    "place",
    "date_text",
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
)
_STATUSES = {"draft", "submitted", "published", "rejected"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_COLUMNS = 200


def map_native_row(row: dict[str, str], default_status: str = "published") -> SourceRecord:
    """Map one template row to a SourceRecord, or raise RowError saying which field is wrong."""
    if len(row) > _MAX_COLUMNS:
        raise RowError(f"the row has {len(row)} columns; the template has {len(TEMPLATE_COLUMNS)}")
    cells = {key.strip(): _clean(value) for key, value in row.items()}
    accession = cells.get("accession_number", "")
    if not accession:
        raise RowError("the accession number is missing", "accession_number")
    if not (cells.get("title_en") or cells.get("title_zh")):
        raise RowError("a title in English or Chinese is required", "title_en")
    fields: dict[str, object] = {name: cells.get(name) or None for name in _TEXT_FIELDS}
    fields["dimensions_text"] = cells.get("dimensions") or None
    fields["year_earliest"] = _year(cells, "year_earliest")
    fields["year_latest"] = _year(cells, "year_latest")
    earliest, latest = fields["year_earliest"], fields["year_latest"]
    if isinstance(earliest, int) and isinstance(latest, int) and earliest > latest:
        raise RowError(f"year_earliest {earliest} is after year_latest {latest}", "year_earliest")
    status = (cells.get("status") or default_status).lower()
    if status not in _STATUSES:
        raise RowError(f"unknown status {status!r}: use one of {sorted(_STATUSES)}", "status")
    fields["status"] = status
    credit = {
        "photographer": cells.get("photographer") or None,
        "licence": cells.get("image_licence") or None,
        "attribution": cells.get("image_attribution") or None,
    }
    photos = [PhotoReference(name, **credit) for name in _split(cells.get("images", ""))]
    extra = {key: value for key, value in cells.items() if key not in TEMPLATE_COLUMNS and value}
    return SourceRecord(
        accession_number=accession,
        institution=cells.get("institution") or None,
        collection=cells.get("collection") or None,
        fields=fields,
        makers=parse_makers(cells.get("makers")),
        photos=photos,
        raw={"row": {key: value for key, value in cells.items() if value}, "unmapped": extra},
    )


def _clean(value: str | None) -> str:
    return _CONTROL.sub("", value or "").strip()


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _year(cells: dict[str, str], name: str) -> int | None:
    text = cells.get(name, "")
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise RowError(
            f"{name} must be a whole year (negative for BCE), not {text!r}", name
        ) from None
