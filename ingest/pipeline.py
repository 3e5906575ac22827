"""Run a source through mapping, images and the catalogue, then bring the indexes up to date."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from archive.catalogue import (
    MakerCredit,
    attach_photograph,
    get_or_create_collection,
    get_or_create_institution,
    get_or_create_maker,
    upsert_ware,
)
from archive.imaging import ImageRejected
from archive.models import IngestRun, MakerRole, Ware, utcnow
from archive.settings import Settings
from archive.store import ImageStore
from index.sync import IndexSync
from ingest.native import map_native_row
from ingest.normalise.makers import maker_key
from ingest.records import IngestProblem, RowError, SourceRecord
from ingest.sources import read_csv_rows

BATCH_SIZE = 200


@dataclass
class IngestReport:
    """What a run did: counts, the rows and images it skipped, and the wares it touched."""

    run_id: int | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    photos_added: int = 0
    problems: list[IngestProblem] = field(default_factory=list)
    touched_ware_ids: set[int] = field(default_factory=set)

    @property
    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.rejected} rejected, {self.photos_added} photographs added, "
            f"{len(self.problems)} problems"
        )


@dataclass(frozen=True)
class IngestOptions:
    """Defaults a run applies to rows that leave them blank."""

    institution: str | None = None
    collection: str | None = None
    images_dir: Path | None = None
    actor: str = "ingest"
    default_status: str = "published"


def ingest_native_csv(
    settings: Settings,
    session_factory: sessionmaker[Session],
    path: Path,
    options: IngestOptions,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest a native-template CSV; bad rows and images are reported and skipped, never fatal."""
    rows = ((line, _map(row, options)) for line, row in read_csv_rows(path))
    return run_ingest(settings, session_factory, str(path), "potbank", rows, options, progress)


def _map(row: dict[str, str], options: IngestOptions) -> SourceRecord | RowError:
    try:
        return map_native_row(row, options.default_status)
    except RowError as error:
        return error


def run_ingest(
    settings: Settings,
    session_factory: sessionmaker[Session],
    source: str,
    mapping: str,
    records: Iterable[tuple[int, SourceRecord | RowError]],
    options: IngestOptions,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Load mapped records into the catalogue in batches, recording the run as an IngestRun."""
    store = ImageStore(settings.store_dir, settings.max_image_pixels)
    report = IngestReport()
    seen: dict[tuple[str, str], int] = {}
    with session_factory() as session:
        run = IngestRun(source=source[:1000], mapping=mapping)
        session.add(run)
        session.commit()
        report.run_id = run.id
        for batch in _batches(records, BATCH_SIZE):
            for line, record in batch:
                _load_one(session, store, line, record, options, report, seen)
            session.commit()
            if progress is not None:
                progress(len(batch))
        IndexSync(settings).update_wares(session, report.touched_ware_ids)
        run.created, run.updated = report.created, report.updated
        run.unchanged, run.rejected = report.unchanged, report.rejected
        run.errors = [problem.as_dict() for problem in report.problems]
        run.status = "finished"
        run.finished_at = utcnow()
        session.commit()
    return report


def _batches(
    items: Iterable[tuple[int, SourceRecord | RowError]], size: int
) -> Iterator[list[tuple[int, SourceRecord | RowError]]]:
    batch: list[tuple[int, SourceRecord | RowError]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _load_one(
    session: Session,
    store: ImageStore,
    line: int,
    record: SourceRecord | RowError,
    options: IngestOptions,
    report: IngestReport,
    seen: dict[tuple[str, str], int],
) -> None:
    if isinstance(record, RowError):
        report.rejected += 1
        report.problems.append(IngestProblem(line, None, record.field, record.reason))
        return
    institution_name = record.institution or options.institution
    if not institution_name:
        report.rejected += 1
        report.problems.append(
            IngestProblem(
                line,
                record.accession_number,
                "institution",
                "no institution: fill the column or pass --institution",
            )
        )
        return
    key = (institution_name, record.accession_number)
    if key in seen:
        report.rejected += 1
        report.problems.append(
            IngestProblem(
                line,
                record.accession_number,
                "accession_number",
                f"duplicate accession number in this file (first on line {seen[key]})",
            )
        )
        return
    seen[key] = line
    # A savepoint per row: a row that fails part-way leaves nothing behind and the batch goes on.
    with session.begin_nested():
        institution = get_or_create_institution(session, institution_name)
        collection_name = record.collection or options.collection
        collection = (
            get_or_create_collection(session, institution, collection_name)
            if collection_name
            else None
        )
        credits = [
            MakerCredit(
                get_or_create_maker(session, mention.name, maker_key(mention.name)),
                MakerRole(mention.role),
                mention.qualifier,
            )
            for mention in record.makers
        ]
        ware, outcome = upsert_ware(
            session,
            institution=institution,
            accession_number=record.accession_number,
            fields=record.fields,
            makers=credits,
            collection=collection,
            source_record=record.raw,
            actor=options.actor,
        )
        added = _attach_photos(session, store, ware, line, record, options, report)
    if outcome == "unchanged" and added:
        outcome = "updated"
    setattr(report, outcome, getattr(report, outcome) + 1)
    if outcome != "unchanged":
        report.touched_ware_ids.add(ware.id)


def _attach_photos(
    session: Session,
    store: ImageStore,
    ware: Ware,
    line: int,
    record: SourceRecord,
    options: IngestOptions,
    report: IngestReport,
) -> int:
    added = 0
    for photo in record.photos:
        try:
            data = _read_photo(options.images_dir, photo.filename)
            stored = store.put(data)
        except (ImageRejected, RowError, OSError) as error:
            report.problems.append(
                IngestProblem(line, record.accession_number, "images", f"{photo.filename}: {error}")
            )
            continue
        _, created = attach_photograph(
            session,
            ware,
            stored,
            original_filename=Path(photo.filename).name,
            photographer=photo.photographer,
            licence=photo.licence,
            attribution=photo.attribution,
        )
        if created:
            added += 1
            report.photos_added += 1
    return added


def _read_photo(images_dir: Path | None, filename: str) -> bytes:
    if images_dir is None:
        raise RowError("the row names photographs but no --images folder was given")
    root = images_dir.resolve()
    path = (root / filename).resolve()
    # A file name from a spreadsheet must not reach outside the images folder.
    if not path.is_relative_to(root):
        raise RowError("the photograph's path leads outside the images folder")
    if not path.is_file():
        raise RowError("no such file in the images folder")
    return path.read_bytes()
