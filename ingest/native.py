"""The native ``potbank`` CSV template (docs/ingest.md): its columns, the empty template a curator
downloads, and the mapping of one row (through the built-in ``potbank`` profile)."""

from __future__ import annotations

import functools

from ingest.mapping import map_record
from ingest.profiles import Profile, load_profile
from ingest.records import SourceRecord

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


@functools.cache
def native_profile() -> Profile:
    """The built-in ``potbank`` profile (loaded once)."""
    return load_profile("potbank")


def map_native_row(row: dict[str, str], default_status: str = "published") -> SourceRecord:
    """Map one template row to a SourceRecord, or raise RowError saying which field is wrong."""
    return map_record(native_profile(), row, default_status)


def template_csv() -> str:
    """The empty template a curator fills in: the header row (UTF-8, comma-separated)."""
    return ",".join(TEMPLATE_COLUMNS) + "\r\n"
