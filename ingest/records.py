"""What a mapped source row becomes before it reaches the catalogue, and how a row fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingest.normalise.makers import MakerCredit


class RowError(ValueError):
    """A source row that cannot be taken; ``field`` names the culprit when one does."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class PhotoReference:
    """A photograph a row points at, with its credit."""

    filename: str
    photographer: str | None = None
    licence: str | None = None
    attribution: str | None = None


@dataclass
class SourceRecord:
    """One ware as mapped from a source row, ready for the catalogue."""

    accession_number: str
    institution: str | None
    collection: str | None
    fields: dict[str, Any]
    makers: list[MakerCredit] = field(default_factory=list)
    photos: list[PhotoReference] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestProblem:
    """A reported, skipped row or image."""

    line: int
    accession_number: str | None
    field: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "accession_number": self.accession_number,
            "field": self.field,
            "reason": self.reason,
        }
