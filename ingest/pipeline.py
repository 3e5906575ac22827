"""Run a source through mapping, images and the catalogue, then bring the indexes up to date.

Records go in batches. Each batch is committed to the catalogue and then indexed before the next
one starts, so a run killed at any moment loses at most the batch in flight, and running the same
source again finishes the job (upserts are idempotent; ``PendingIndex`` repairs an index update
that a crash cut short). While one batch is written and embedded, a thread pool already reads,
validates, decodes and stores the photographs of the next (Pillow, libjpeg and the embedders
release the GIL), and the display image decoded for the store is the one that gets embedded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from archive.catalogue import (
    MakerCredit,
    NewWare,
    attach_photograph,
    check_ware_fields,
    find_wares,
    get_or_create_collection,
    get_or_create_institution,
    get_or_create_maker,
    insert_wares,
    resolve_makers,
    upsert_ware,
    ware_unchanged,
)
from archive.db import begin_write
from archive.imaging import ImageRejected
from archive.models import Collection, IngestRun, Institution, Maker, MakerRole, Ware, utcnow
from archive.settings import Settings
from archive.store import ImageStore, StoredImage
from index.embedders import ImageEmbedder
from index.sync import BackgroundTextIndex, IndexSync, text_index_for
from ingest.bundles import FolderPhotos, NoPhotos, PhotoReader, open_source
from ingest.duplicates import NEAR_DUPLICATE_BITS, PhotoHashes
from ingest.mapping import map_record
from ingest.normalise.makers import MakerCredit as NormalisedCredit
from ingest.normalise.makers import maker_key
from ingest.pending import PendingIndex
from ingest.profiles import Profile, load_profile
from ingest.records import IngestProblem, MakerMention, RowError, SourceRecord
from ingest.sources import SourceError

# Fewer, larger keyword-index commits: each one writes and merges Whoosh segments.
BATCH_SIZE = 2000
# Photographs per batch: their display images wait in memory to be embedded (up to ~4 MB each).
PHOTOS_PER_BATCH = 64

Item = tuple[int, SourceRecord | RowError]
Progress = Callable[[int], None]


@dataclass
class IngestReport:
    """What a run did: counts, the rows and images it skipped, and the wares it touched."""

    run_id: int | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    photos_added: int = 0
    possible_duplicates: int = 0
    problems: list[IngestProblem] = field(default_factory=list)
    touched_ware_ids: set[int] = field(default_factory=set)

    @property
    def errors(self) -> list[IngestProblem]:
        """Problems that kept a row or photograph out."""
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[IngestProblem]:
        """Problems noted on rows that landed (unrecognised dates, possible duplicates, ...)."""
        return [problem for problem in self.problems if problem.severity != "error"]

    @property
    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.rejected} rejected, {self.photos_added} photographs added "
            f"({self.possible_duplicates} possible duplicates), {len(self.problems)} problems"
        )


@dataclass(frozen=True)
class IngestOptions:
    """Defaults a run applies to rows that leave them blank, and where photographs come from."""

    institution: str | None = None
    collection: str | None = None
    images_dir: Path | None = None
    actor: str = "ingest"
    default_status: str = "published"
    photos: PhotoReader | None = None
    batch_size: int = BATCH_SIZE
    near_duplicate_bits: int = NEAR_DUPLICATE_BITS

    def photo_reader(self, max_bytes: int) -> PhotoReader:
        """Where the photographs rows name are read from."""
        if self.photos is not None:
            return self.photos
        return FolderPhotos(self.images_dir, max_bytes) if self.images_dir else NoPhotos()


def ingest_source(
    settings: Settings,
    session_factory: sessionmaker[Session],
    path: Path,
    profile: Profile | str,
    options: IngestOptions,
    progress: Progress | None = None,
    embedder: ImageEmbedder | None = None,
) -> IngestReport:
    """Ingest a table, a folder with a sidecar table, or a ZIP, mapped with ``profile``.

    ``embedder`` replaces the configured image embedder (benchmarks and tests)."""
    chosen = load_profile(profile) if isinstance(profile, str) else profile
    report = IngestReport()
    with open_source(
        path,
        options.images_dir,
        delimiter=chosen.delimiter,
        encoding=chosen.encoding,
        max_photo_bytes=settings.max_upload_bytes,
    ) as source:
        mapped = _mapped(source.rows, chosen, options, report)
        run_options = replace(options, photos=options.photos or source.photos)
        return run_ingest(
            settings,
            session_factory,
            str(path),
            chosen.name,
            mapped,
            run_options,
            progress,
            report,
            embedder,
        )


def ingest_native_csv(
    settings: Settings,
    session_factory: sessionmaker[Session],
    path: Path,
    options: IngestOptions,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest a native-template CSV; bad rows and images are reported and skipped, never fatal."""
    return ingest_source(settings, session_factory, path, "potbank", options, progress)


def _mapped(
    rows: Iterator[tuple[int, dict[str, object] | RowError]],
    profile: Profile,
    options: IngestOptions,
    report: IngestReport,
) -> Iterator[Item]:
    try:
        for line, row in rows:
            if isinstance(row, RowError):
                yield line, row
                continue
            try:
                yield line, map_record(profile, row, options.default_status)
            except RowError as error:
                yield line, error
    except SourceError as error:
        # The file cannot be read past this point; what came before it still lands.
        report.problems.append(IngestProblem(error.line, None, "source", error.reason))


def run_ingest(
    settings: Settings,
    session_factory: sessionmaker[Session],
    source: str,
    mapping: str,
    records: Iterable[Item],
    options: IngestOptions,
    progress: Progress | None = None,
    report: IngestReport | None = None,
    embedder: ImageEmbedder | None = None,
) -> IngestReport:
    """Load mapped records into the catalogue and the indexes batch by batch, recording the run
    as an IngestRun; safe to kill at any moment and run again."""
    report = report or IngestReport()
    store = ImageStore(settings.store_dir, settings.max_image_pixels)
    photos = options.photo_reader(settings.max_upload_bytes)
    sync = IndexSync(settings, embedder)
    pending = PendingIndex(settings.index_dir)
    with session_factory() as session:
        _repair_index(session, sync, pending)
        run = IngestRun(source=source[:1000], mapping=mapping[:200])
        session.add(run)
        session.commit()
        report.run_id = run.id
        loader = _Loader(
            session,
            options,
            report,
            PhotoHashes.from_catalogue(session, options.near_duplicate_bits),
        )
        text_writer: BackgroundTextIndex | None = None
        try:
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
                batches = _prepared(_batches(records, options.batch_size), pool, photos, store)
                for batch, stored in batches:
                    # One transaction for the batch, its savepoints inside (see begin_write).
                    begin_write(session)
                    touched = loader.load(batch, stored)
                    # Journalled before the commit: a crash after it is repaired by the next run.
                    pending.add(touched)
                    session.commit()
                    images = {
                        s.sha256: s.processed.display
                        for s in stored.values()
                        if isinstance(s, StoredImage)
                    }
                    if text_writer is None and len(batch) >= options.batch_size:
                        # A full batch: more are likely, so the keyword index is written by a
                        # process of its own while this one loads the next batch.
                        text_writer = BackgroundTextIndex(text_index_for(settings).path)
                    sync.update_wares(session, touched, images, loader.created, text_writer)
                    if text_writer is None:
                        pending.clear()
                    else:
                        # The previous batch is indexed once this one is submitted (or,
                        # with nothing to submit, waited for); only this one's ids may still
                        # be missing from the keyword index.
                        if not touched:
                            text_writer.wait()
                        pending.replace(touched)
                    if progress is not None:
                        progress(len(batch))
            if text_writer is not None:
                text_writer.close()
                text_writer = None
                pending.clear()
        finally:
            if text_writer is not None:
                text_writer.close()
        run.created, run.updated = report.created, report.updated
        run.unchanged, run.rejected = report.unchanged, report.rejected
        run.errors = [problem.as_dict() for problem in report.problems]
        run.status = "finished"
        run.finished_at = utcnow()
        session.commit()
    return report


def _repair_index(session: Session, sync: IndexSync, pending: PendingIndex) -> None:
    waiting = pending.ids()
    if waiting:
        sync.update_wares(session, waiting)
        pending.clear()


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    """Batches of ``size`` records, cut short when they name PHOTOS_PER_BATCH photographs."""
    batch: list[Item] = []
    photo_count = 0
    for item in items:
        batch.append(item)
        record = item[1]
        if isinstance(record, SourceRecord):
            photo_count += len(record.photos)
        if len(batch) >= size or photo_count >= PHOTOS_PER_BATCH:
            yield batch
            batch, photo_count = [], 0
    if batch:
        yield batch


PhotoKey = tuple[int, int]  # (position of the record in its batch, position of the photo)
Prepared = dict[PhotoKey, StoredImage | Exception]


def _prepared(
    batches: Iterator[list[Item]], pool: ThreadPoolExecutor, photos: PhotoReader, store: ImageStore
) -> Iterator[tuple[list[Item], Prepared]]:
    """Each batch with its photographs stored; the next batch's photos are already being done
    while the caller works on this one."""

    def submit(batch: list[Item]) -> dict[PhotoKey, Future[StoredImage]]:
        return {
            (index, position): pool.submit(_store_photo, photos, store, photo.filename)
            for index, (_, record) in enumerate(batch)
            if isinstance(record, SourceRecord)
            for position, photo in enumerate(record.photos)
        }

    current = next(batches, None)
    if current is None:
        return
    futures = submit(current)
    while current is not None:
        following = next(batches, None)
        following_futures = submit(following) if following is not None else {}
        yield current, {key: _outcome(future) for key, future in futures.items()}
        current, futures = following, following_futures


def _outcome(future: Future[StoredImage]) -> StoredImage | Exception:
    try:
        return future.result()
    except (ImageRejected, RowError, OSError) as error:
        return error


def _store_photo(photos: PhotoReader, store: ImageStore, name: str) -> StoredImage:
    return store.put(photos.read(name))


def _mention(credit: NormalisedCredit | MakerMention) -> MakerMention:
    """Readers outside this package (OAI harvest) credit makers without details."""
    if isinstance(credit, MakerMention):
        return credit
    return MakerMention(credit.name, credit.role, credit.qualifier)


def _details(mention: MakerMention) -> dict[str, str | None]:
    return {"nationality": mention.nationality, "kind": mention.kind}


# What a set-based batch that is rolled back restores: counts, problems, touched ids, rows seen.
_Mark = tuple[dict[str, int], int, set[int], dict[tuple[str, str], int]]
_COUNTS = ("created", "updated", "unchanged", "rejected", "photos_added", "possible_duplicates")


class _Loader:
    """Writes batches into the catalogue, one savepoint per record, caching what repeats."""

    def __init__(
        self, session: Session, options: IngestOptions, report: IngestReport, hashes: PhotoHashes
    ) -> None:
        self.session = session
        self.options = options
        self.report = report
        self.hashes = hashes
        self.seen: dict[tuple[str, str], int] = {}
        self.institutions: dict[str, Institution] = {}
        self.collections: dict[tuple[int, str], Collection] = {}
        self.makers: dict[str, Maker] = {}
        # Wares the last batch created: no index can hold them yet.
        self.created: set[int] = set()

    def load(self, batch: list[Item], stored: Prepared) -> set[int]:
        """Load one batch; returns the ids of the wares it created or changed.

        A batch without photographs is written set-based (one query for its existing wares and
        makers, multi-row INSERTs for the new wares) inside one savepoint; if the database
        refuses that, it is rolled back and the batch goes row by row to isolate the bad row."""
        self.created = set()
        if not stored:
            mark = self._mark()
            try:
                with self.session.begin_nested():
                    return self._load_set(batch)
            except (SQLAlchemyError, ValueError):
                self._restore(mark)
        return self._load_rows(batch, stored)

    def _mark(self) -> _Mark:
        counts = {name: getattr(self.report, name) for name in _COUNTS}
        report = self.report
        return counts, len(report.problems), set(report.touched_ware_ids), dict(self.seen)

    def _restore(self, mark: _Mark) -> None:
        counts, problems, touched, seen = mark
        for name, value in counts.items():
            setattr(self.report, name, value)
        del self.report.problems[problems:]
        self.report.touched_ware_ids = touched
        self.seen = seen
        self.created = set()
        self._forget()

    def _forget(self) -> None:
        # What a rolled-back savepoint created is gone, so cached rows may be gone too.
        self.institutions.clear()
        self.collections.clear()
        self.makers.clear()

    def _load_set(self, batch: list[Item]) -> set[int]:
        first_problem = len(self.report.problems)
        accepted: list[tuple[int, SourceRecord, str]] = []
        for line, record in batch:
            if isinstance(record, RowError):
                self._reject(line, None, record.field, record.reason)
                continue
            institution_name = self._accept(line, record)
            if institution_name is None:
                continue
            try:
                check_ware_fields(record.fields)
            except ValueError as error:
                self._reject(
                    line, record.accession_number, None, f"the catalogue refused the row ({error})"
                )
                continue
            accepted.append((line, record, institution_name))
        mentions = [
            (mention.name, maker_key(mention.name), _details(mention))
            for _, record, _ in accepted
            for mention in map(_mention, record.makers)
            if mention.name not in self.makers
        ]
        if mentions:
            self.makers.update(resolve_makers(self.session, mentions))
        by_institution: dict[str, list[tuple[int, SourceRecord, Collection | None]]] = {}
        for line, record, institution_name in accepted:
            institution = self._institution(institution_name)
            collection = self._collection(institution, record)
            by_institution.setdefault(institution_name, []).append((line, record, collection))
        touched: set[int] = set()
        outcomes: dict[int, str] = {}
        for institution_name, rows in by_institution.items():
            institution = self.institutions[institution_name]
            existing = find_wares(
                self.session, institution, [record.accession_number for _, record, _ in rows]
            )
            new: list[tuple[int, NewWare]] = []
            for line, record, collection in rows:
                credits = self._credits(record)
                ware = existing.get(record.accession_number)
                if ware is None:
                    new.append(
                        (
                            line,
                            NewWare(
                                record.accession_number,
                                record.fields,
                                credits,
                                collection,
                                record.raw,
                            ),
                        )
                    )
                    continue
                if ware_unchanged(ware, record.fields, credits, collection, record.raw):
                    outcomes[line] = "unchanged"
                    continue
                ware, outcome = upsert_ware(
                    self.session,
                    institution=institution,
                    accession_number=record.accession_number,
                    fields=record.fields,
                    makers=credits,
                    collection=collection,
                    source_record=record.raw,
                    actor=self.options.actor,
                    existing=ware,
                    looked_up=True,
                )
                outcomes[line] = outcome
                if outcome != "unchanged":
                    touched.add(ware.id)
            ids = insert_wares(
                self.session, institution, [ware for _, ware in new], self.options.actor
            )
            for (line, _), ware_id in zip(new, ids, strict=True):
                outcomes[line] = "created"
                touched.add(ware_id)
                self.created.add(ware_id)
        for line, record, _ in accepted:
            for field_name, reason in record.warnings:
                self.report.problems.append(
                    IngestProblem(line, record.accession_number, field_name, reason, "warning")
                )
            outcome = outcomes[line]
            setattr(self.report, outcome, getattr(self.report, outcome) + 1)
        # In line order, as row by row would have reported them.
        problems = self.report.problems
        problems[first_problem:] = sorted(problems[first_problem:], key=lambda p: p.line)
        self.report.touched_ware_ids |= touched
        return touched

    def _accept(self, line: int, record: SourceRecord) -> str | None:
        """The row's institution, or None (and the row rejected) without one or when its
        accession number came earlier in the file."""
        accession = record.accession_number
        institution_name = record.institution or self.options.institution
        if not institution_name:
            reason = "no institution: fill the column or pass --institution"
            self._reject(line, accession, "institution", reason)
            return None
        key = (institution_name, accession)
        if key in self.seen:
            reason = f"duplicate accession number in this file (first on line {self.seen[key]})"
            self._reject(line, accession, "accession_number", reason)
            return None
        self.seen[key] = line
        return institution_name

    def _load_rows(self, batch: list[Item], stored: Prepared) -> set[int]:
        touched: set[int] = set()
        for index, (line, record) in enumerate(batch):
            if isinstance(record, RowError):
                self._reject(line, None, record.field, record.reason)
                continue
            photos = {pos: stored[(index, pos)] for pos in range(len(record.photos))}
            ware_id = self._load_one(line, record, photos)
            if ware_id is not None:
                touched.add(ware_id)
        return touched

    def _reject(self, line: int, accession: str | None, field: str | None, reason: str) -> None:
        self.report.rejected += 1
        self.report.problems.append(IngestProblem(line, accession, field, reason))

    def _load_one(
        self, line: int, record: SourceRecord, photos: dict[int, StoredImage | Exception]
    ) -> int | None:
        accession = record.accession_number
        institution_name = self._accept(line, record)
        if institution_name is None:
            return None
        try:
            # A savepoint per row: a row that fails part-way leaves nothing behind.
            with self.session.begin_nested():
                ware, outcome = self._upsert(record, institution_name)
                added = self._attach_photos(line, record, ware, photos)
        except (SQLAlchemyError, ValueError) as error:
            self._forget()
            self._reject(line, accession, None, f"the catalogue refused the row ({error})")
            return None
        for field_name, reason in record.warnings:
            self.report.problems.append(
                IngestProblem(line, accession, field_name, reason, "warning")
            )
        if outcome == "unchanged" and added:
            outcome = "updated"
        setattr(self.report, outcome, getattr(self.report, outcome) + 1)
        if outcome == "unchanged":
            return None
        self.report.touched_ware_ids.add(ware.id)
        if outcome == "created":
            self.created.add(ware.id)
        return ware.id

    def _institution(self, name: str) -> Institution:
        institution = self.institutions.get(name)
        if institution is None:
            institution = get_or_create_institution(self.session, name)
            self.institutions[name] = institution
        return institution

    def _collection(self, institution: Institution, record: SourceRecord) -> Collection | None:
        collection_name = record.collection or self.options.collection
        if not collection_name:
            return None
        collection = self.collections.get((institution.id, collection_name))
        if collection is None:
            collection = get_or_create_collection(self.session, institution, collection_name)
            self.collections[(institution.id, collection_name)] = collection
        return collection

    def _credits(self, record: SourceRecord) -> list[MakerCredit]:
        return [
            MakerCredit(self._maker(mention), MakerRole(mention.role), mention.qualifier)
            for mention in map(_mention, record.makers)
        ]

    def _upsert(self, record: SourceRecord, institution_name: str) -> tuple[Ware, str]:
        institution = self._institution(institution_name)
        return upsert_ware(
            self.session,
            institution=institution,
            accession_number=record.accession_number,
            fields=record.fields,
            makers=self._credits(record),
            collection=self._collection(institution, record),
            source_record=record.raw,
            actor=self.options.actor,
        )

    def _maker(self, mention: MakerMention) -> Maker:
        maker = self.makers.get(mention.name)
        if maker is None:
            maker = get_or_create_maker(
                self.session, mention.name, maker_key(mention.name), **_details(mention)
            )
            self.makers[mention.name] = maker
        return maker

    def _attach_photos(
        self,
        line: int,
        record: SourceRecord,
        ware: Ware,
        photos: dict[int, StoredImage | Exception],
    ) -> int:
        added = 0
        for position, photo in enumerate(record.photos):
            stored = photos[position]
            if not isinstance(stored, StoredImage):
                self.report.problems.append(
                    IngestProblem(
                        line, record.accession_number, "images", f"{photo.filename}: {stored}"
                    )
                )
                continue
            _, created = attach_photograph(
                self.session,
                ware,
                stored,
                original_filename=Path(photo.filename).name[:300],
                photographer=photo.photographer,
                licence=photo.licence,
                attribution=photo.attribution,
            )
            if not created:
                continue
            added += 1
            self.report.photos_added += 1
            match = self.hashes.closest(stored.phash, ware.id)
            if match is not None:
                self.report.possible_duplicates += 1
                self.report.problems.append(
                    IngestProblem(
                        line,
                        record.accession_number,
                        "images",
                        f"{photo.filename}: possible duplicate of ware {match.ware_id} "
                        f"({match.accession_number}; {match.distance} of 64 hash bits differ)",
                        "warning",
                    )
                )
            self.hashes.add(stored.phash, ware.id, record.accession_number)
        return added
