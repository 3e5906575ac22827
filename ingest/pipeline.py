"""Run a source through mapping, images and the catalogue, then bring the indexes up to date.

Records go in batches. Each batch is committed to the catalogue and then indexed before the next
one starts, so a run killed at any moment loses at most the batch in flight, and running the same
source again finishes the job (upserts are idempotent; each batch logs its wares in the
catalogue's index change log in its own transaction, so an index update a crash cut short is
applied by the next writer). While one batch is written, photo workers (threads, or one process per
core once a batch is full) already validate, decode, store and, with a portable model, embed the
photographs of the next, and a thread of its own embeds what a model in this process must (see
``_Stages`` and ``ingest.photo_workers``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from archive.catalogue import (
    MakerCredit,
    NewWare,
    check_ware_fields,
    find_ware,
    find_wares,
    get_or_create_collection,
    get_or_create_institution,
    get_or_create_maker,
    insert_wares,
    photograph_values,
    resolve_makers,
    upsert_ware,
    ware_unchanged,
)
from archive.db import begin_write, in_chunks, refresh_statistics
from archive.holds import Copy, held_ware_ids, hold_copies
from archive.imaging import ORIENTATION_LABELS, ImageRejected
from archive.index_log import record_ware_changes
from archive.jobs import Job, leased_job
from archive.models import (
    Collection,
    IngestRun,
    Institution,
    Maker,
    MakerRole,
    Photograph,
    Ware,
    WareStatus,
    utcnow,
)
from archive.portable_text import fit_row
from archive.settings import Settings
from archive.store import ImageStore, StoredImage, StoreUnwritable
from index.embedders import ImageEmbedder
from index.photo_description import PhotoDescription
from index.sync import BackgroundTextIndex, IndexSync, current_generation
from ingest.bundles import FolderPhotos, NoPhotos, PhotoReader, open_source
from ingest.duplicates import NEAR_DUPLICATE_BITS, DuplicateMatch, PhotoHashes
from ingest.loose_makers import REASON as LOOSE_MAKER
from ingest.loose_makers import known_spellings, loose_matches
from ingest.mapping import map_record
from ingest.normalise.makers import MakerCredit as NormalisedCredit
from ingest.normalise.makers import maker_key
from ingest.photo_workers import ModelInput, PhotoWorkers, PreparedPhoto, prepare_photo
from ingest.profiles import Profile, load_profile
from ingest.records import (
    IngestProblem,
    MakerMention,
    RowError,
    SourceRecord,
    unused_photos_problem,
)
from ingest.sources import SourceError

logger = logging.getLogger(__name__)

# Fewer, larger keyword-index commits: each one writes and merges Whoosh segments.
BATCH_SIZE = 2000
# A run that writes this many rows refreshes the database's planner statistics at its end.
BULK_ROWS = 1000
# Photographs per batch: a batch's decoded images may wait in memory to be embedded.
PHOTOS_PER_BATCH = 64
# Photographs a model embeds at once (open_clip's own batch size).
EMBED_BATCH = 32

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
    # Wares held for review because a photograph copies another ware's (archive.holds).
    held: int = 0
    # Rows refused because the image store could not save a photograph of theirs.
    unstored: int = 0
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
            f"({self.possible_duplicates} possible duplicates), {self.held} held for review, "
            f"{len(self.problems)} problems"
            + (
                f"; {self.unstored} rows failed: the image store could not save"
                if self.unstored
                else ""
            )
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
    # The leased job (archive.jobs) running this ingest: its run is marked interrupted if the
    # process dies, failed if the run fails. None: the run leases a job of its own.
    job_id: int | None = None

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
    if options.job_id is None:
        # Every run belongs to a leased job, so a run whose process dies never stays "running".
        with leased_job(session_factory, "ingest", source) as lease:
            return run_ingest(
                settings,
                session_factory,
                source,
                mapping,
                records,
                replace(options, job_id=lease.job_id),
                progress,
                report,
                embedder,
            )
    report = report or IngestReport()
    store = ImageStore(settings.store_dir, settings.max_image_pixels)
    photos = options.photo_reader(settings.max_upload_bytes)
    sync = IndexSync(settings, embedder)
    with session_factory() as session:
        # Changes a killed run committed but never indexed are still in the change log.
        sync.catch_up(session)
        run = IngestRun(source=source[:1000], mapping=mapping[:200])
        session.add(run)
        session.flush()
        # Its job ends the run with it if this process dies or fails (archive.jobs).
        session.execute(update(Job).where(Job.id == options.job_id).values(ingest_run_id=run.id))
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
            with (
                ExitStack() as stack,
                ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool,
                ThreadPoolExecutor(max_workers=1) as embedding,
            ):
                stages = _Stages(pool, embedding, photos, store, sync)
                stack.callback(stages.close)
                for batch, stored, embedded in stages.run(_batches(records, options.batch_size)):
                    if stored:
                        # The photographs' files reach the disk before the catalogue names them.
                        store.sync()
                    # One transaction for the batch, its savepoints inside (see begin_write).
                    begin_write(session)
                    touched = loader.load(batch, stored)
                    # Logged in the batch's own transaction: whoever writes the indexes (this
                    # run, or a server's index writer) applies it, even if this run dies now.
                    record_ware_changes(session, touched)
                    session.commit()
                    if (
                        text_writer is None
                        and sync.writer.holding
                        and len(batch) >= options.batch_size
                    ):
                        # A full batch: more are likely, so the keyword index is written by a
                        # process of its own while this one loads the next batch.
                        text_writer = BackgroundTextIndex(
                            current_generation(settings).path / "text"
                        )
                    vectors, features = embedded.result()
                    sync.update_wares(
                        session,
                        touched,
                        vectors,
                        loader.created,
                        text_writer,
                        features,
                        recorded=True,
                        keep_lease=True,
                    )
                    if progress is not None:
                        progress(len(batch))
            # Waits for the last keyword batch and records it applied.
            sync.release(session)
        finally:
            sync.writer.abandon()
            if text_writer is not None:
                text_writer.close()
        unused = photos.unused()
        if unused:
            report.problems.append(unused_photos_problem(unused))
        run.created, run.updated = report.created, report.updated
        run.unchanged, run.rejected = report.unchanged, report.rejected
        run.errors = [problem.as_dict() for problem in report.problems]
        run.status = "finished"
        run.finished_at = utcnow()
        session.commit()
        if report.created + report.updated >= BULK_ROWS:
            refresh_statistics(session)
    return report


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
Embeddings = dict[str, np.ndarray]  # SHA-256 → vector
Features = dict[str, PhotoDescription]  # SHA-256 → local features, form and mark likeness
# What a photograph that cannot be stored raises; reported on its row, never fatal.
PHOTO_PROBLEMS = (ImageRejected, RowError, OSError)


class _Stages:
    """Photographs go through three stages at once: photo workers validate, decode and store
    the next batch's photographs (see ``ingest.photo_workers``), an embedding thread gathers or
    computes their vectors as they are ready, and the caller writes the current batch to the
    catalogue and the indexes."""

    def __init__(
        self,
        threads: ThreadPoolExecutor,
        embedding: ThreadPoolExecutor,
        photos: PhotoReader,
        store: ImageStore,
        sync: IndexSync,
    ) -> None:
        self.threads = threads
        self.embedding = embedding
        self.photos = photos
        self.store = store
        self.sync = sync
        self.workers: PhotoWorkers | None = None

    def close(self) -> None:
        if self.workers is not None:
            self.workers.close()
            self.workers = None

    def run(
        self, batches: Iterator[list[Item]]
    ) -> Iterator[tuple[list[Item], Prepared, Future[tuple[Embeddings, Features]]]]:
        """Each batch with its photographs stored and a future of their embeddings; the next
        batch's photographs are already under way while the caller works on this one."""
        current = next(batches, None)
        if current is None:
            return
        futures, embedded = self._submit(current)
        while current is not None:
            following = next(batches, None)
            ahead = self._submit(following) if following is not None else ({}, _done())
            yield current, {key: _outcome(future) for key, future in futures.items()}, embedded
            current, (futures, embedded) = following, ahead

    def _submit(
        self, batch: list[Item]
    ) -> tuple[dict[PhotoKey, Future[PreparedPhoto]], Future[tuple[Embeddings, Features]]]:
        names = {
            (index, position): photo.filename
            for index, (_, record) in enumerate(batch)
            if isinstance(record, SourceRecord)
            for position, photo in enumerate(record.photos)
        }
        if not names:
            return {}, _done()
        embedder = self.sync.embedder
        if self.workers is None and len(names) >= PHOTOS_PER_BATCH and embedder.portable:
            # A full batch of photographs: more are likely, worth starting worker processes, to
            # run a portable model (the descriptor) beside the decoding. A model that stays in
            # this process (CLIP) spreads over every core itself and releases the GIL, so the
            # threads prepare its photographs without handing images across a pipe.
            self.workers = PhotoWorkers(self.store, embedder)
        wants = ModelInput.of(embedder)
        futures = {key: self._prepare(name, wants) for key, name in names.items()}
        return futures, self.embedding.submit(self._embed, list(futures.values()))

    def _prepare(self, name: str, wants: ModelInput) -> Future[PreparedPhoto]:
        if self.workers is None:
            return self.threads.submit(self._read_and_prepare, name, wants)
        try:
            data = self.photos.read(name)
        except PHOTO_PROBLEMS as error:
            failed: Future[PreparedPhoto] = Future()
            failed.set_exception(error)
            return failed
        return self.workers.submit(data)

    def _read_and_prepare(self, name: str, wants: ModelInput) -> PreparedPhoto:
        return prepare_photo(self.store, self.photos.read(name), wants)

    def _embed(self, futures: list[Future[PreparedPhoto]]) -> tuple[Embeddings, Features]:
        """Vectors of the batch's new photographs, by SHA-256: those the workers computed, and
        the rest embedded here, EMBED_BATCH at a time as soon as they are ready (the model
        starts on the first ones while the last are still being decoded); and their local
        features (always extracted where the photograph was prepared)."""
        vectors: Embeddings = {}
        features: Features = {}
        images: dict[str, Image.Image] = {}
        for future in futures:
            try:
                prepared = future.result()
            except PHOTO_PROBLEMS:
                continue  # reported on its row by the caller
            sha = prepared.stored.sha256
            if prepared.features is not None:
                features[sha] = prepared.features
            if prepared.vector is not None:
                vectors[sha] = prepared.vector
            elif prepared.image is not None and sha not in vectors:
                images[sha] = prepared.image
            if len(images) >= EMBED_BATCH:
                vectors.update(self._embed_images(images))
                images = {}
        vectors.update(self._embed_images(images))
        return vectors, features

    def _embed_images(self, images: dict[str, Image.Image]) -> Embeddings:
        if not images:
            return {}
        embedded = self.sync.embedder.embed_images(list(images.values()))
        return dict(zip(images, embedded, strict=True))


def refusal(error: Exception) -> str:
    """Why the catalogue refused a row, in words fit for whoever uploaded it: our own checks say
    what they found; a database error's text (its SQL statement and values) goes to the log."""
    if isinstance(error, SQLAlchemyError):
        logger.warning("the database refused a row: %s", error)
        return "the catalogue refused the row (a value the database cannot store)"
    return f"the catalogue refused the row ({error})"


def _done() -> Future[tuple[Embeddings, Features]]:
    future: Future[tuple[Embeddings, Features]] = Future()
    future.set_result(({}, {}))
    return future


def _outcome(future: Future[PreparedPhoto]) -> StoredImage | Exception:
    try:
        return future.result().stored
    except PHOTO_PROBLEMS as error:
        return error


def _mention(credit: NormalisedCredit | MakerMention) -> MakerMention:
    """Readers outside this package (OAI harvest) credit makers without details."""
    if isinstance(credit, MakerMention):
        return credit
    return MakerMention(credit.name, credit.role, credit.qualifier)


def _details(mention: MakerMention) -> dict[str, str | None]:
    return {"nationality": mention.nationality, "kind": mention.kind}


# What a batch or row that is rolled back restores: counts, problems, rows seen and photograph
# hashes, each by a length or a counter (no copies: the row-by-row path takes one per row).
_Mark = tuple[dict[str, int], int, int, int]
_COUNTS = (
    "created",
    "updated",
    "unchanged",
    "rejected",
    "photos_added",
    "possible_duplicates",
    "held",
    "unstored",
)


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
        # Wares that were published before this run touched them: a copied photograph is
        # reported on them, but they are not taken off the site (see archive.holds).
        self.published_before: set[int] = set()
        # Copied photographs found in the batch or row being written, held once it is.
        self.copies: list[Copy] = []

    def load(self, batch: list[Item], stored: Prepared) -> set[int]:
        """Load one batch; returns the ids of the wares it created or changed.

        A batch is written set-based (one query for its existing wares, makers and
        photographs, multi-row INSERTs for the new wares and photographs) inside one savepoint;
        if the database refuses that, it is rolled back and the batch goes row by row to
        isolate the bad row."""
        self.created = set()
        mark = self._mark()
        try:
            with self.session.begin_nested():
                touched = self._load_set(batch, stored)
        except (SQLAlchemyError, ValueError):
            self._restore(mark)
            self.created = set()
            return self._load_rows(batch, stored)
        self.report.touched_ware_ids |= touched
        return touched

    def _mark(self) -> _Mark:
        counts = {name: getattr(self.report, name) for name in _COUNTS}
        report = self.report
        return counts, len(report.problems), len(self.seen), self.hashes.mark()

    def _restore(self, mark: _Mark) -> None:
        counts, problems, seen, hashes = mark
        for name, value in counts.items():
            setattr(self.report, name, value)
        del self.report.problems[problems:]
        for key in list(self.seen)[seen:]:  # dicts keep insertion order
            del self.seen[key]
        self.hashes.forget_after(hashes)
        self.copies.clear()
        self._forget()

    def _forget(self) -> None:
        # What a rolled-back savepoint created is gone, so cached rows may be gone too.
        self.institutions.clear()
        self.collections.clear()
        self.makers.clear()

    def _load_set(self, batch: list[Item], stored: Prepared) -> set[int]:
        first_problem = len(self.report.problems)
        accepted: list[tuple[int, SourceRecord, str]] = []
        positions: dict[int, int] = {}  # line → the row's position in the batch
        for index, (line, record) in enumerate(batch):
            positions[line] = index
            if isinstance(record, RowError):
                self._reject(line, None, record.field, record.reason)
                continue
            if self._unstorable(line, record, index, stored):
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
            known = known_spellings(self.session, [name for name, _, _ in mentions])
            resolved = resolve_makers(self.session, mentions)
            self.makers.update(resolved)
            self._report_loose_makers(accepted, loose_matches(resolved, known))
        by_institution: dict[str, list[tuple[int, SourceRecord, Collection | None]]] = {}
        for line, record, institution_name in accepted:
            institution = self._institution(institution_name)
            collection = self._collection(institution, record)
            by_institution.setdefault(institution_name, []).append((line, record, collection))
        touched: set[int] = set()
        outcomes: dict[int, str] = {}
        ware_ids: dict[int, int] = {}  # line → ware id
        existing_wares: dict[int, Ware] = {}
        for institution_name, rows in by_institution.items():
            institution = self.institutions[institution_name]
            existing = find_wares(
                self.session, institution, [record.accession_number for _, record, _ in rows]
            )
            existing_wares.update((ware.id, ware) for ware in existing.values())
            held = held_ware_ids(self.session, [ware.id for ware in existing.values()])
            new: list[tuple[int, NewWare]] = []
            for line, record, collection in rows:
                credits = self._credits(record)
                ware = existing.get(record.accession_number)
                if ware is not None:
                    self._note_status(record, ware, held)
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
                ware_ids[line] = ware.id
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
                ware_ids[line] = ware_id
                touched.add(ware_id)
                self.created.add(ware_id)
        photographed = [
            (line, record, ware_ids[line], positions[line])
            for line, record, _ in accepted
            if record.photos
        ]
        for ware_id in self._insert_photos(photographed, stored, existing_wares):
            touched.add(ware_id)
        self._hold_copies()
        for line, record, _ in accepted:
            if outcomes[line] == "unchanged" and ware_ids[line] in touched:
                outcomes[line] = "updated"  # a new photograph of an unchanged record
            for field_name, reason in record.warnings:
                self.report.problems.append(
                    IngestProblem(line, record.accession_number, field_name, reason, "warning")
                )
            outcome = outcomes[line]
            setattr(self.report, outcome, getattr(self.report, outcome) + 1)
        # In line order, as row by row would have reported them.
        problems = self.report.problems
        problems[first_problem:] = sorted(problems[first_problem:], key=lambda p: p.line)
        return touched

    def _note_status(self, record: SourceRecord, ware: Ware, held: set[int]) -> None:
        """Before an existing ware is written: remember whether it was published, and keep a
        held ware in the review queue whatever status its row asks for (a re-run of the
        upload that held it must not publish it)."""
        if ware.status is WareStatus.PUBLISHED:
            self.published_before.add(ware.id)
        if ware.id in held and record.fields.get("status") == WareStatus.PUBLISHED.value:
            record.fields = {**record.fields, "status": WareStatus.SUBMITTED.value}

    def _hold_copies(self) -> None:
        """Hold the wares of the copied photographs found since the last call (audited)."""
        copies, self.copies = self.copies, []
        self.report.held += len(hold_copies(self.session, copies, actor=self.options.actor))

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
            if self._unstorable(line, record, index, stored):
                continue
            photos = {pos: stored[(index, pos)] for pos in range(len(record.photos))}
            ware_id = self._load_one(line, record, photos)
            if ware_id is not None:
                touched.add(ware_id)
        return touched

    def _unstorable(self, line: int, record: SourceRecord, index: int, stored: Prepared) -> bool:
        """Refuse the row (True) when the store could not save one of its photographs: its ware
        must not be created or published without it. A re-run once the store is writable
        loads it."""
        for position, photo in enumerate(record.photos):
            outcome = stored.get((index, position))
            if isinstance(outcome, StoreUnwritable):
                self.report.unstored += 1
                reason = f"{photo.filename}: {outcome}; the row was not loaded"
                self._reject(line, record.accession_number, "images", reason)
                return True
        return False

    def _report_loose_makers(
        self, accepted: list[tuple[int, SourceRecord, str]], loose: list[tuple[str, str]]
    ) -> None:
        """A warning on the first row naming each spelling filed under another maker."""
        first: dict[str, tuple[int, str]] = {}
        for line, record, _ in accepted:
            for mention in map(_mention, record.makers):
                first.setdefault(mention.name, (line, record.accession_number))
        for name, maker in loose:
            line, accession = first[name]
            reason = LOOSE_MAKER.format(name=name, maker=maker)
            self.report.problems.append(IngestProblem(line, accession, "makers", reason, "warning"))

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
        mark = self._mark()  # after _accept: the row stays seen, so a repeat is still refused
        try:
            # A savepoint per row: a row that fails part-way leaves nothing behind.
            with self.session.begin_nested():
                ware, outcome = self._upsert(record, institution_name)
                added = self._attach_photos(line, record, ware, photos)
                self._hold_copies()
        except (SQLAlchemyError, ValueError) as error:
            self._restore(mark)
            self._reject(line, accession, None, refusal(error))
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
        existing = find_ware(self.session, institution, record.accession_number)
        if existing is not None:
            self._note_status(record, existing, held_ware_ids(self.session, [existing.id]))
        return upsert_ware(
            self.session,
            institution=institution,
            accession_number=record.accession_number,
            fields=record.fields,
            makers=self._credits(record),
            collection=self._collection(institution, record),
            source_record=record.raw,
            actor=self.options.actor,
            existing=existing,
            looked_up=True,
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
        rows = self._photo_rows(line, record, ware.id, photos, {p.sha256 for p in ware.photographs})
        for row in rows:
            ware.photographs.append(Photograph(**row, position=len(ware.photographs)))
        if rows:
            # A new photograph changes the record harvesters see, so its datestamp moves on.
            ware.updated_at = utcnow()
            self.session.flush()
        return len(rows)

    def _insert_photos(
        self,
        rows: list[tuple[int, SourceRecord, int, int]],
        stored: Prepared,
        existing_wares: dict[int, Ware],
    ) -> set[int]:
        """Attach the batch's new photographs with one INSERT; returns the wares that gained
        any. ``rows`` are (line, record, ware id, position in the batch)."""
        if not rows:
            return set()
        known: dict[int, list[str]] = {}
        old_ids = (ware_id for _, _, ware_id, _ in rows if ware_id in existing_wares)
        for chunk in in_chunks(old_ids):
            query = select(Photograph.ware_id, Photograph.sha256).where(
                Photograph.ware_id.in_(chunk)
            )
            for ware_id, sha in self.session.execute(query.order_by(Photograph.position)):
                known.setdefault(ware_id, []).append(sha)
        values: list[dict[str, object]] = []
        gained: set[int] = set()
        for line, record, ware_id, index in rows:
            photos = {pos: stored[(index, pos)] for pos in range(len(record.photos))}
            shas = known.setdefault(ware_id, [])
            for row in self._photo_rows(line, record, ware_id, photos, set(shas)):
                values.append({**row, "ware_id": ware_id, "position": len(shas)})
                fit_row(Photograph.__table__, values[-1])  # type: ignore[arg-type]
                shas.append(str(row["sha256"]))
                gained.add(ware_id)
        if not values:
            return gained
        connection = self.session.connection()
        connection.execute(insert(Photograph.__table__), values)
        changed = [ware_id for ware_id in gained if ware_id in existing_wares]
        if changed:
            # A new photograph changes the record harvesters see, so its datestamp moves on.
            connection.execute(
                update(Ware.__table__).where(Ware.id.in_(changed)).values(updated_at=utcnow())
            )
            for ware_id in changed:
                # Written past the ORM: what it had loaded of these wares is out of date.
                self.session.expire(existing_wares[ware_id], ["updated_at", "photographs"])
        return gained

    def _photo_rows(
        self,
        line: int,
        record: SourceRecord,
        ware_id: int,
        photos: dict[int, StoredImage | Exception],
        attached: set[str],
    ) -> list[dict[str, object]]:
        """Photograph rows for the row's photographs not yet attached to its ware (``attached``
        holds their SHA-256), reporting the ones that could not be stored, and noting those
        that copy another ware's photograph (in any orientation) to be held."""
        rows: list[dict[str, object]] = []
        for position, photo in enumerate(record.photos):
            stored = photos[position]
            if not isinstance(stored, StoredImage):
                self.report.problems.append(
                    IngestProblem(
                        line, record.accession_number, "images", f"{photo.filename}: {stored}"
                    )
                )
                continue
            if stored.sha256 in attached:
                continue
            attached.add(stored.sha256)
            rows.append(
                photograph_values(
                    stored,
                    original_filename=Path(photo.filename).name[:300],
                    photographer=photo.photographer,
                    licence=photo.licence,
                    attribution=photo.attribution,
                )
            )
            self.report.photos_added += 1
            match = self.hashes.closest(stored.orientations or stored.phash, ware_id)
            if match is not None:
                self._report_copy(line, record, photo.filename, ware_id, stored, match)
            self.hashes.add(stored.phash, ware_id, record.accession_number, stored.sha256)
        return rows

    def _report_copy(
        self,
        line: int,
        record: SourceRecord,
        filename: str,
        ware_id: int,
        stored: StoredImage,
        match: DuplicateMatch,
    ) -> None:
        """Report a photograph that copies another ware's and, unless the row's ware was
        published before this run, note it to be held for review."""
        self.report.possible_duplicates += 1
        kind = "an exact copy" if match.exact(stored.sha256) else "a near copy"
        if match.orientation != "same":
            kind += f", {ORIENTATION_LABELS[match.orientation]},"
        held = ware_id not in self.published_before
        reason = (
            f"{filename}: {'held for review' if held else 'possible duplicate'}: {kind} of a "
            f"photograph of ware {match.ware_id} ({match.accession_number}; "
            f"{match.distance} of 64 hash bits differ)"
        )
        self.report.problems.append(
            IngestProblem(
                line,
                record.accession_number,
                "images",
                reason,
                "warning",
                ware_id=ware_id,
                match_ware_id=match.ware_id,
                held=held,
            )
        )
        if held:
            self.copies.append(
                Copy(
                    ware_id,
                    stored.sha256,
                    match.ware_id,
                    match.sha256,
                    match.distance,
                    match.orientation,
                )
            )
