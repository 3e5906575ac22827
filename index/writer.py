"""The one index writer of an instance: applies the catalogue's change log to every index kind
of the serving generation, builds new generations, and repairs drift.

Exactly one process writes an instance's indexes at a time. It holds two things: an exclusive
``flock`` on ``<index_dir>/.writer.lock`` (the kernel drops it the moment the process dies, so
a killed writer never blocks the next one) and the instance's lease row in the catalogue
(``archive.index_log``: holder and expiry, renewed while held; it also records how far the
instance has applied the log, which bounds pruning). Any process may try: ``potbank serve``
runs a writer thread in each worker and the elected one applies every change within a poll
interval; a CLI command or a test with no server applies its own changes by taking the lease
for the moment. Nothing waits on Whoosh's lock any more, so no write is lost to ``LockError``;
should one still happen (an older Potbank writing the same folder) the change stays in the log
and is applied on the next round.

A generation records in its ``state.json`` the last change it applied; the writer reads the log
past it, applies the changes in order, then moves the mark. A crash in between re-applies, which
is harmless: every kind's ``apply`` is idempotent.
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from whoosh.index import LockError

from archive.db import make_engine, make_session_factory
from archive.index_log import (
    acquire_lease,
    changes_after,
    log_position,
    note_applied,
    prune_log,
    release_lease,
    small_changes_after,
)
from archive.jobs import interrupt_expired
from index.generations import Generation, Generations
from index.kinds import ApplyHints, ChangeSet, IndexKind, KindDrift

logger = logging.getLogger(__name__)
T = TypeVar("T")

LEASE_SECONDS = 10.0
POLL_SECONDS = 0.2
# Changes read and applied at once, at most; the cursor moves after each chunk. A curator's
# save waits for the chunk in progress (then goes ahead of the backlog), so a chunk is sized to
# take about CHUNK_SECONDS at the rate the last one was applied: on a machine busy serving,
# the writer applies fewer changes a second, and its chunks shrink (to MIN_CHUNK at least).
CHUNK = 500
CHUNK_SECONDS = 0.4
MIN_CHUNK = 25
# Small transactions' changes (a curator's save) applied ahead of a chunk of backlog, at most.
SMALL_AHEAD = 200
# How long the log keeps changes every live instance has applied (for instances catching up).
KEEP_LOG_SECONDS = 7 * 24 * 3600.0
HOUSEKEEPING_SECONDS = 60.0
# A writer just elected compares every index with the catalogue (``repair``) at its first
# moment with nothing to apply for this long: the comparison takes seconds of CPU (about 2 s
# at 20,000 wares), which a site starting under load and an ingest under way need more.
REPAIR_QUIET_SECONDS = 1.0
# How often the applied position is recorded in the catalogue once a round ends.
NOTE_SECONDS = 1.0
# After this long with nothing to apply, the writer tidies the indexes (one bounded step per
# poll, so a change that arrives waits for one step at most).
TIDY_AFTER_SECONDS = 20.0
LOCK_RETRIES = 20
# The writer's own records in the catalogue (lease renewal, applied position, chores) are tried,
# not waited for: on SQLite another process's transaction (an ingest's batch, at low priority
# under load) can hold the one write lock for seconds, and a writer waiting for it applied
# nothing meanwhile (waits of 3.1 and 3.4 s were timed in one busy-phase run on SQLite).
# The flock already proves which process is the writer, so a renewal or note that finds the
# lock taken is tried again at the next round; the lease lasts LEASE_SECONDS.
BOOKKEEPING_WAIT_SECONDS = 0.05


def _change_set(rows: list[tuple[int, int | None, int | None]]) -> ChangeSet:
    """The wares and removed photographs of ``(seq, ware_id, photo_id)`` log rows."""
    return ChangeSet(
        {ware for _, ware, _ in rows if ware is not None},
        {photo for _, _, photo in rows if photo is not None},
    )


class RebuildRunning(RuntimeError):
    """Another rebuild of the same index folder is under way."""


class IndexWriter:
    """Applies the change log to an instance's indexes (see the module docstring)."""

    def __init__(
        self, index_dir: Path, kinds: list[IndexKind], lease_seconds: float = LEASE_SECONDS
    ) -> None:
        self.generations = Generations(index_dir)
        self.instance = self.generations.instance_id()
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.kinds = kinds
        self.lease_seconds = lease_seconds
        self._lock = threading.RLock()
        self._flock: IO[bytes] | None = None
        self._renewed_at = 0.0
        # The last position recorded in the catalogue, and when (see _note_progress).
        self._noted = (-1, 0.0)
        # (generation, seq) applied except for a keyword batch still in its writer process.
        self._deferred: tuple[Generation, int] | None = None
        self._deferred_writer: object = None
        # Per generation folder: the last small change applied ahead of the backlog.
        self._ahead: dict[Path, int] = {}
        # Modest until a rate is measured: a writer just elected may be comparing every index
        # with the catalogue in another thread, or be starting beside a busy site.
        self._chunk = 4 * MIN_CHUNK
        # Set once ``prepare`` has loaded what the kinds need (at election).
        self.prepared = threading.Event()
        # SQLite only: sessions whose writes give up after BOOKKEEPING_WAIT_SECONDS.
        self._bookkeeping_factory: sessionmaker[Session] | None = None

    # -- the lease ---------------------------------------------------------------------------

    @property
    def holding(self) -> bool:
        """Whether this writer holds the instance's write lock now."""
        return self._flock is not None

    def hold(self, session: Session) -> bool:
        """Take or renew the write lock and the lease; False if another process has them."""
        with self._lock:
            renewing = self._flock is not None
            if not renewing:
                path = self.generations.root / ".writer.lock"
                path.parent.mkdir(parents=True, exist_ok=True)
                handle = open(path, "a+b")  # noqa: SIM115 (held across calls while writing)
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    return False
                self._flock = handle
            elif time.monotonic() - self._renewed_at < self.lease_seconds / 3:
                return True  # renewed lately: no write to the catalogue on every poll
            _fresh(session)

            # Only processes sharing this folder compete for its lease, and the lock proves
            # that whoever held it before is gone: take it over at once, not after expiry.
            def take(book: Session) -> bool:
                return acquire_lease(
                    book, self.instance, self.holder, self.lease_seconds, force=True
                )

            # A renewal is bookkeeping (the flock is held); taking the lease first is not.
            taken = self._bookkeep(session, take) if renewing else take(session)
            if taken is None:
                return True  # the catalogue is busy: renewed at the next round
            if taken:
                self._renewed_at = time.monotonic()
                return True
            self._drop_flock()
            return False

    def _bookkeep(self, session: Session, record: Callable[[Session], T]) -> T | None:
        """``record(session)``, a write of the writer's own records that commits; on SQLite in
        a session of its own that gives up after BOOKKEEPING_WAIT_SECONDS, and None then."""
        bind = session.get_bind()
        if bind.dialect.name != "sqlite" or bind.url.database in (None, "", ":memory:"):
            return record(session)  # a server's row locks, or one connection's own database
        if self._bookkeeping_factory is None:
            url = bind.url.render_as_string(hide_password=False)
            self._bookkeeping_factory = make_session_factory(
                make_engine(url, busy_timeout=BOOKKEEPING_WAIT_SECONDS, pooled=False)
            )
        try:
            with self._bookkeeping_factory() as book:
                return record(book)
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            logger.debug("catalogue busy: the index writer's records wait for the next round")
            return None

    def hold_within(self, session: Session, seconds: float) -> bool:
        """Keep trying to hold the lease for up to ``seconds``."""
        deadline = time.monotonic() + seconds
        while not self.hold(session):
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True

    def release(self, session: Session) -> None:
        """Give the lease and the lock up (after settling a deferred keyword batch)."""
        with self._lock:
            if self._flock is None:
                return
            self.settle()
            try:
                release_lease(session, self.instance, self.holder)
            finally:
                self._drop_flock()

    def abandon(self) -> None:
        """Let go of the lock without settling (after a failure): the log keeps what is not
        recorded as applied, and the lease expires."""
        with self._lock:
            self._deferred, self._deferred_writer = None, None
            self._drop_flock()

    def _drop_flock(self) -> None:
        if self._flock is not None:
            fcntl.flock(self._flock.fileno(), fcntl.LOCK_UN)
            self._flock.close()
            self._flock = None
            self._renewed_at = 0.0

    # -- applying the log --------------------------------------------------------------------

    def catch_up(
        self,
        session: Session,
        hints: ApplyHints | None = None,
        generation: Generation | None = None,
    ) -> int:
        """Apply every logged change ``generation`` (the serving one by default) lacks; returns
        the last change applied. The caller holds the lease, or the generation is an
        unpublished one it builds."""
        hints = hints or ApplyHints()
        with self._lock:
            _fresh(session)
            target = generation or self.generations.current()
            self._settle_unless(hints)
            position = log_position(session)
            state = target.state()
            if state.get("needs_repair") or target.applied_seq < position.pruned_through:
                self.repair(session, target, position.last_seq)
            cursor = target.applied_seq
            if self._deferred is not None and self._deferred[0] == target:
                cursor = max(cursor, self._deferred[1])
            while rows := changes_after(session, cursor, limit := min(CHUNK, self._chunk)):
                if len(rows) == limit:
                    self._apply_small_ahead(session, target, rows[-1][0], hints)
                started = time.monotonic()
                self._apply(session, target, _change_set(rows), hints)
                self._pace(len(rows), time.monotonic() - started)
                cursor = rows[-1][0]
                if hints.text_writer is not None:
                    if self._deferred is not None and self._deferred[0] == target:
                        # Submitting this batch waited for the previous one: that one is in.
                        target.write_state(applied_seq=self._deferred[1])
                    self._deferred = (target, cursor)
                    self._deferred_writer = hints.text_writer
                else:
                    target.write_state(applied_seq=cursor)
                if generation is None and self.holding:
                    self._note_progress(session, cursor, every=self.lease_seconds / 3)
            if generation is None and self.holding:
                self._note_progress(session, cursor, every=NOTE_SECONDS)
            return cursor

    def _note_progress(self, session: Session, cursor: int, every: float) -> None:
        """Record in the catalogue how far the log is applied (for pruning) and renew the
        lease, at most once every ``every`` seconds: each is a write transaction, which on
        SQLite waits for any other writer's (an ingest's batch), and the generation's own state
        file already says what is applied."""
        now = time.monotonic()
        if cursor == self._noted[0] or now - self._noted[1] < every:
            return

        def record(book: Session) -> bool:
            note_applied(book, self.instance, cursor)
            return acquire_lease(book, self.instance, self.holder, self.lease_seconds)

        if self._bookkeep(session, record) is None:
            return  # the catalogue is busy: noted at the next round
        self._noted = (cursor, now)
        self._renewed_at = now

    def _pace(self, changes: int, seconds: float) -> None:
        """Size the next chunk from this one's rate (see CHUNK_SECONDS)."""
        if changes >= MIN_CHUNK:
            rate = changes / max(seconds, 1e-3)
            self._chunk = int(min(CHUNK, max(MIN_CHUNK, rate * CHUNK_SECONDS)))

    def _apply_small_ahead(
        self, session: Session, target: Generation, chunk_end: int, hints: ApplyHints
    ) -> None:
        """Apply the changes of small transactions logged beyond this chunk first, so a
        curator's save does not wait behind an ingest's backlog. Each kind's ``apply`` reads the
        catalogue as it is now, so applying a change early, and again when the cursor reaches
        it, gives the same index."""
        after = max(chunk_end, self._ahead.get(target.path, 0))
        rows = small_changes_after(session, after, SMALL_AHEAD)
        if not rows:
            return
        self._apply(session, target, _change_set(rows), dataclasses.replace(hints, waiting=True))
        self._ahead[target.path] = rows[-1][0]

    def settle(self) -> None:
        """Wait for a keyword batch handed to a writer process, then record it as applied."""
        with self._lock:
            if self._deferred is None:
                return
            generation, seq = self._deferred
            writer = self._deferred_writer
            self._deferred, self._deferred_writer = None, None
            if writer is not None:
                writer.wait()  # type: ignore[attr-defined]
            if generation.path.exists():
                generation.write_state(applied_seq=max(seq, generation.applied_seq))

    def _settle_unless(self, hints: ApplyHints) -> None:
        # The same writer process goes on (its next batch waits for the last): settle later.
        if self._deferred is not None and self._deferred_writer is not hints.text_writer:
            self.settle()

    def _apply(
        self, session: Session, generation: Generation, changes: ChangeSet, hints: ApplyHints
    ) -> None:
        for kind in self.kinds:
            for attempt in range(LOCK_RETRIES):
                try:
                    kind.apply(generation.path, session, changes, hints)
                    break
                except LockError:
                    # Only a writer outside this scheme (an older Potbank) can hold it: the
                    # change stays in the log either way; wait for it rather than skip it.
                    if attempt == LOCK_RETRIES - 1:
                        raise
                    time.sleep(0.25 * (attempt + 1))

    # -- verifying and repairing -------------------------------------------------------------

    def verify(
        self, session: Session, generation: Generation | None = None
    ) -> dict[str, KindDrift]:
        """Compare every index of the generation with the catalogue, by content."""
        target = generation or self.generations.current()
        _fresh(session)
        self.settle()
        return {kind.name: kind.verify(target.path, session) for kind in self.kinds}

    def repair(
        self, session: Session, generation: Generation | None = None, through: int | None = None
    ) -> dict[str, KindDrift]:
        """Verify and apply whatever repairs the drift found; the generation then counts as
        having applied the log ``through`` the position read before comparing.

        Comparing only reads, and runs outside the writer's lock, so the writer may go on
        applying changes meanwhile (``start_repair``); repairs re-read the catalogue as it is
        then, so they are right whatever was applied in between."""
        target = generation or self.generations.current()
        if through is None:
            _fresh(session)
            through = log_position(session).last_seq
        found = {kind.name: kind.verify(target.path, session) for kind in self.kinds}
        with self._lock:
            if generation is None and self.generations.current().path != target.path:
                return found  # a rebuild was published meanwhile: it is whole
            for kind in self.kinds:
                drift = found[kind.name]
                if drift.repair:
                    logger.warning(
                        "repairing %s index drift: %s", kind.name, "; ".join(drift.lines)
                    )
                    kind.apply(target.path, session, drift.repair, ApplyHints())
                if drift.rebuild_reason:
                    logger.warning("%s", drift.rebuild_reason)
            target.write_state(applied_seq=max(through, target.applied_seq), needs_repair=False)
        return found

    def start_repair(self, factory: sessionmaker[Session]) -> threading.Thread:
        """``repair`` in a thread of its own, for a writer just elected: comparing every index
        with the catalogue takes seconds (about 2 s at 20,000 wares), and changes logged
        meanwhile, a curator's save among them, are applied as usual instead of waiting."""

        def work() -> None:
            try:
                with factory() as session:
                    self.repair(session)
            except Exception:  # the next election repairs; the change log keeps every change
                logger.exception("repairing index drift failed")

        thread = threading.Thread(target=work, name="potbank-index-repair", daemon=True)
        thread.start()
        return thread

    # -- generations -------------------------------------------------------------------------

    def rebuild(
        self, session: Session, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, int]:
        """Build every index into a new generation, replay the changes logged meanwhile and
        publish it; the serving generation answers (and takes changes) until then."""
        with self.generations.rebuilding() as alone:
            if not alone:
                raise RebuildRunning("another index rebuild of this instance is running")
            self.generations.current()  # a flat layout is moved first, never left behind
            generation = self.generations.new()
            _fresh(session)
            start = log_position(session).last_seq
            counts = {}
            for kind in self.kinds:
                counts[kind.name] = kind.build(generation.path, session, progress)
            generation.write_state(applied_seq=start, needs_repair=False)
            self.catch_up(session, generation=generation)
            # With the lease (if it can be had soon) nothing is applied between the last
            # replay and the switch; without it, the holder follows the pointer and applies
            # the rest to the new generation from its mark.
            held_before = self.holding
            held = held_before or self.hold_within(session, 2 * self.lease_seconds)
            try:
                self.catch_up(session, generation=generation)
                self.generations.publish(generation)
            finally:
                for kind in self.kinds:
                    kind.close()
                if held and not held_before:
                    self.release(session)
        return counts

    def housekeeping(self, session: Session) -> None:
        """Remove generations no longer used, prune the log and mark jobs whose process died
        as interrupted (the elected writer's chores)."""
        self.generations.remove_unused()

        def chores(book: Session) -> bool:
            prune_log(book, KEEP_LOG_SECONDS)
            book.commit()
            interrupt_expired(book)
            return True

        self._bookkeep(session, chores)  # busy: done at the next housekeeping

    def prepare(self) -> None:
        """Every kind's one-off loading (``IndexKind.prepare``), done at election: otherwise
        the first change after a start, typically a curator's save, waited for it."""
        with self._lock:
            folder = self.generations.current().path
            for kind in self.kinds:
                kind.prepare(folder)
        self.prepared.set()

    def tidy_step(self) -> bool:
        """One bounded step of each index's upkeep (``IndexKind.tidy``) in the serving
        generation; returns whether any index has more to do."""
        with self._lock:
            folder = self.generations.current().path
            return any([kind.tidy(folder) for kind in self.kinds])

    # -- the elected writer's loop ---------------------------------------------------------

    def run(
        self, factory: sessionmaker[Session], stop: threading.Event, delay: float = 0.0
    ) -> None:
        """Until ``stop`` is set: hold the lease when it is free, and while held apply every
        change within POLL_SECONDS; repairs drift once elected, at its first quiet moment
        (REPAIR_QUIET_SECONDS). A standby writer waits ``delay`` seconds before it first
        competes."""
        if stop.wait(delay):
            return
        elected = repair_due = False
        repairing: threading.Thread | None = None
        chores = 0.0
        applied, changed_at, tidy = -1, time.monotonic(), True
        while not stop.is_set():
            try:
                with factory() as session:
                    if self.hold(session):
                        if not elected:
                            logger.info("index writer elected (%s)", self.holder)
                            self.settle()
                            self.prepare()
                            repair_due = elected = True
                        cursor = self.catch_up(session)
                        quiet = time.monotonic() - changed_at
                        if cursor != applied:
                            applied, changed_at, tidy = cursor, time.monotonic(), True
                        elif repair_due and quiet >= REPAIR_QUIET_SECONDS:
                            repairing, repair_due = self.start_repair(factory), False
                        elif tidy and quiet >= TIDY_AFTER_SECONDS:
                            tidy = self.tidy_step()
                        if time.monotonic() - chores >= HOUSEKEEPING_SECONDS:
                            self.housekeeping(session)
                            chores = time.monotonic()
                    else:
                        elected = False
            except Exception:  # the next round retries; the change log keeps every change
                logger.exception("index writer round failed")
            stop.wait(POLL_SECONDS)
        if repairing is not None:
            repairing.join()
        with factory() as session:
            self.release(session)
        for kind in self.kinds:
            kind.close()

    def start_thread(
        self, factory: sessionmaker[Session], delay: float = 0.0
    ) -> Callable[[], None]:
        """Run ``run`` in a daemon thread; returns a function that stops it."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run,
            args=(factory, stop, delay),
            name="potbank-index-writer",
            daemon=True,
        )
        thread.start()

        def stopper() -> None:
            stop.set()
            thread.join(timeout=30)

        return stopper

    def wait_applied(self, session: Session, seq: int, seconds: float) -> bool:
        """Wait until the serving generation has applied change ``seq`` (another process is
        the writer); False if it has not within ``seconds``."""
        deadline = time.monotonic() + seconds
        while self.generations.current().applied_seq < seq:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS / 2)
        return True


def writer_lock_held(index_dir: Path) -> bool:
    """Whether another process holds the instance's write lock now (a serving site's writer,
    or another ingest): the lock is tried and let go at once."""
    path = Generations(index_dir).root / ".writer.lock"
    if not path.exists():
        return False
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def _fresh(session: Session) -> None:
    """End the session's read transaction, so the next read sees what others committed (a
    SQLite reader otherwise keeps the snapshot it started with)."""
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.commit()
