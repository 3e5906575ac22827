"""A dry run of an ingest: every row mapped and checked, every photograph a row names found and
its header checked, and nothing written to the catalogue, the indexes or the image store.

It reports what the run would report before the catalogue is touched: rows that cannot be read
or mapped, rows without an institution, accession numbers repeated in the file, photographs that
are missing, too large or not images, the warnings mapping notes (dates it cannot parse, cut
text), and the photographs no row names; and it keeps the first rows as they will be catalogued
so a person can see the mapping is right. What only the catalogue can say (a near-copy of a
photograph already there) is left to the run itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db import in_chunks
from archive.imaging import ImageRejected, open_validated
from archive.models import Institution, Ware
from ingest.bundles import PhotoReader, open_source
from ingest.mapping import map_record
from ingest.profiles import Profile
from ingest.records import (
    IngestProblem,
    RowError,
    SourceRecord,
    ordered,
    unused_photos_problem,
)
from ingest.sources import RowStream, SourceError

# Rows shown as they will be catalogued; the problems cover the whole file.
SAMPLE_ROWS = 20
Item = tuple[int, SourceRecord | RowError]


@dataclass(frozen=True)
class PhotoCheck:
    """A photograph a row names: found and readable (``problem`` None), or why not."""

    name: str
    problem: str | None = None


@dataclass(frozen=True)
class PreviewRow:
    """One of the first rows: the record as it will be catalogued, or why it will not be."""

    line: int
    record: SourceRecord | None
    error: RowError | None = None
    photos: tuple[PhotoCheck, ...] = ()
    # The (institution, accession number) the row would load under, if it would load.
    key: tuple[str, str] | None = None


@dataclass
class DryRun:
    """What an ingest of the source would do, found without writing anything."""

    rows: list[PreviewRow] = field(default_factory=list)
    total_rows: int = 0
    # Rows that would be loaded (the rest are refused with an error).
    accepted_rows: int = 0
    photos_named: int = 0
    photos_found: int = 0
    problems: list[IngestProblem] = field(default_factory=list)
    # False when the file cannot be read to its end: an import would fail the same way.
    readable: bool = True
    # (institution, accession number) of every row that would load, with its line.
    keys: dict[tuple[str, str], int] = field(default_factory=dict)
    # Those of ``keys`` already in the catalogue: the import updates them (see mark_existing).
    existing: set[tuple[str, str]] = field(default_factory=set)

    @property
    def new_rows(self) -> int:
        return len(self.keys) - len(self.existing)

    @property
    def errors(self) -> int:
        return sum(problem.severity == "error" for problem in self.problems)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors


def dry_run(
    records: Iterable[Item],
    photos: PhotoReader,
    *,
    institution: str | None,
    max_pixels: int,
    sample: int = SAMPLE_ROWS,
) -> DryRun:
    """Check every mapped row of ``records`` (as the ingest would receive them) and the
    photographs they name in ``photos``; ``institution`` is the one for rows that name none."""
    result = DryRun()
    checker = _RowChecker(result, photos, institution, max_pixels)
    try:
        for line, item in records:
            result.total_rows += 1
            preview = checker.check(line, item)
            if len(result.rows) < sample:
                result.rows.append(preview)
    except SourceError as error:
        result.readable = False
        result.problems.append(IngestProblem(error.line, None, "source", error.reason))
    unused = photos.unused()
    if unused:
        result.problems.append(unused_photos_problem(unused))
    result.problems = ordered(result.problems)
    return result


def dry_run_source(
    path: Path,
    profile: Profile,
    *,
    images_dir: Path | None,
    institution: str | None,
    default_status: str,
    max_photo_bytes: int,
    max_pixels: int,
) -> DryRun:
    """The dry run of a source as ``potbank ingest`` would read it (``--dry-run``): a file that
    cannot be opened at all raises SourceError, as the ingest does."""
    with open_source(
        path,
        images_dir,
        delimiter=profile.delimiter,
        encoding=profile.encoding,
        max_photo_bytes=max_photo_bytes,
    ) as source:
        records = _mapped(source.rows, profile, default_status)
        return dry_run(records, source.photos, institution=institution, max_pixels=max_pixels)


def _mapped(rows: RowStream, profile: Profile, default_status: str) -> Iterator[Item]:
    for line, row in rows:
        if isinstance(row, RowError):
            yield line, row
            continue
        try:
            yield line, map_record(profile, row, default_status)
        except RowError as error:
            yield line, error


class _RowChecker:
    """The checks of ``ingest.pipeline`` that need no catalogue, row by row."""

    def __init__(
        self, result: DryRun, photos: PhotoReader, institution: str | None, max_pixels: int
    ) -> None:
        self.result = result
        self.photos = photos
        self.institution = institution
        self.max_pixels = max_pixels
        self.checked: dict[str, PhotoCheck] = {}

    def check(self, line: int, item: SourceRecord | RowError) -> PreviewRow:
        if isinstance(item, RowError):
            self._problem(line, None, item.field, item.reason)
            return PreviewRow(line, None, item)
        refusal = self._refusal(line, item)
        if refusal is not None:
            self._problem(line, item.accession_number, refusal.field, refusal.reason)
            return PreviewRow(line, item, refusal)
        self.result.accepted_rows += 1
        key = (item.institution or self.institution or "", item.accession_number)
        checks = tuple(self._photo(photo.filename) for photo in item.photos)
        for check in checks:
            if check.problem is not None:
                reason = f"{check.name}: {check.problem}"
                self._problem(line, item.accession_number, "images", reason)
        for field_name, reason in item.warnings:
            self._problem(line, item.accession_number, field_name, reason, "warning")
        return PreviewRow(line, item, None, checks, key)

    def _refusal(self, line: int, record: SourceRecord) -> RowError | None:
        # The same refusals as the loader's (ingest.pipeline._Loader._accept).
        institution = record.institution or self.institution
        if not institution:
            return RowError("no institution: fill the column or choose one", "institution")
        key = (institution, record.accession_number)
        if key in self.result.keys:
            first = self.result.keys[key]
            reason = f"duplicate accession number in this file (first on line {first})"
            return RowError(reason, "accession_number")
        self.result.keys[key] = line
        return None

    def _photo(self, name: str) -> PhotoCheck:
        found = self.checked.get(name)
        if found is not None:
            return found
        self.result.photos_named += 1
        try:
            # The header only: enough to know it is an image we accept, within the limits.
            open_validated(self.photos.read(name), self.max_pixels).close()
        except (RowError, ImageRejected, OSError) as error:
            found = PhotoCheck(name, str(error))
        else:
            self.result.photos_found += 1
            found = PhotoCheck(name)
        self.checked[name] = found
        return found

    def _problem(
        self,
        line: int,
        accession: str | None,
        field_name: str | None,
        reason: str,
        severity: str = "error",
    ) -> None:
        self.result.problems.append(IngestProblem(line, accession, field_name, reason, severity))


def mark_existing(session: Session, result: DryRun) -> None:
    """Note which rows that would load are already in the catalogue (the import updates them;
    the rest it creates): one query per institution and chunk of accession numbers, reading
    only."""
    by_institution: dict[str, list[str]] = {}
    for institution, accession in result.keys:
        by_institution.setdefault(institution, []).append(accession)
    for name, accessions in by_institution.items():
        institution_id = session.scalar(select(Institution.id).where(Institution.name == name))
        if institution_id is None:
            continue  # an institution the import would create: every row of it is new
        for chunk in in_chunks(accessions):
            query = select(Ware.accession_number).where(
                Ware.institution_id == institution_id, Ware.accession_number.in_(chunk)
            )
            result.existing.update((name, accession) for accession in session.scalars(query))
