"""What a mapped source row becomes before it reaches the catalogue, and how a row fails."""

from __future__ import annotations

from collections.abc import Iterable
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


@dataclass(frozen=True)
class MakerMention:
    """A maker as a mapped row credits them, with what the source says about the maker."""

    name: str
    role: str = "maker"
    qualifier: str | None = None
    nationality: str | None = None
    kind: str | None = None


@dataclass
class SourceRecord:
    """One ware as mapped from a source row, ready for the catalogue."""

    accession_number: str
    institution: str | None
    collection: str | None
    fields: dict[str, Any]
    makers: list[MakerCredit] | list[MakerMention] = field(default_factory=list)
    photos: list[PhotoReference] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    # Things noticed but not fatal, as (field, reason): an unrecognised date, odd dimensions.
    warnings: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class IngestProblem:
    """A reported row or image: an ``error`` was skipped; a ``warning`` landed but needs a look
    (an unrecognised date kept as text, a possible duplicate photograph)."""

    line: int
    accession_number: str | None
    field: str | None
    reason: str
    severity: str = "error"
    # What a grouped problem stands for (the names of unused photographs), shown on demand.
    details: tuple[str, ...] = ()
    # A photograph held for review names the row's ware and the ware whose photograph it copies,
    # so a report can link both.
    ware_id: int | None = None
    match_ware_id: int | None = None
    held: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The problem as a JSON-able dict (for IngestRun.errors and --report)."""
        found: dict[str, Any] = {
            "line": self.line,
            "severity": self.severity,
            "accession_number": self.accession_number,
            "field": self.field,
            "reason": self.reason,
        }
        if self.match_ware_id is not None:
            found.update(ware_id=self.ware_id, match_ware_id=self.match_ware_id, held=self.held)
        if self.details:
            found["details"] = list(self.details)
        return found


# The names a grouped problem lists; past this many it says how many more there are.
MAX_DETAILS = 1000


def unused_photos_problem(names: list[str]) -> IngestProblem:
    """One warning for every photograph the source offers and no row names: listed one by one,
    a ZIP of spare photographs would bury the problems of the rows."""
    shown = tuple(names[:MAX_DETAILS])
    if len(names) > MAX_DETAILS:
        shown += (f"... and {len(names) - MAX_DETAILS:,} more",)
    count = len(names)
    noun = "photograph" if count == 1 else "photographs"
    reason = f"{count:,} {noun} in the source named by no row (that could be read); not loaded"
    return IngestProblem(0, None, "images", reason, "warning", shown)


def ordered(problems: Iterable[IngestProblem]) -> list[IngestProblem]:
    """Errors before warnings, each in line order (problems of the whole file, line 0, first):
    the rows that were refused are what a person must fix first."""
    return sorted(problems, key=lambda problem: (problem.severity != "error", problem.line))
