"""The change log, the one index writer and index generations, on a real catalogue and real
Whoosh and FAISS indexes (in-process; tests/index/test_kill_rebuild.py kills real processes)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.catalogue import attach_photograph, get_or_create_institution, upsert_ware
from archive.index_log import SMALL_TRANSACTION, IndexChange, log_position
from archive.models import Maker, Photograph, Ware, WareMaker, WareStatus
from archive.settings import Settings, load_settings
from archive.store import ImageStore
from index import chinese
from index import writer as writer_module
from index.generations import Generations
from index.kinds import ApplyHints, ChangeSet, KeywordKind, KindDrift, default_kinds
from index.service import SearchService
from index.sync import IndexSync, text_index_for
from index.text import TextIndex
from index.writer import IndexWriter
from tests.conftest import make_image_bytes


def _ware(session, accession: str, title: str, status: str = "published") -> Ware:
    museum = get_or_create_institution(session, "Generation Museum")
    ware, _ = upsert_ware(
        session,
        institution=museum,
        accession_number=accession,
        fields={"title_en": title, "status": status},
    )
    return ware


def _found(settings: Settings, session_factory, words: str) -> set[int]:
    page = SearchService(settings, session_factory).search(words, per_page=100)
    return {hit.ware_id for hit in page.hits}


def test_catalogue_changes_are_logged_in_their_own_transaction(settings, session_factory):
    with session_factory() as session:
        ware = _ware(session, "L-1", "Logged jar")
        session.rollback()
        assert log_position(session).last_seq == 0  # rolled back: nothing logged
        ware = _ware(session, "L-1", "Logged jar")
        session.commit()
        logged = session.scalars(select(IndexChange.ware_id)).all()
        assert logged == [ware.id]
        # A maker's new name changes the documents of every ware crediting it.
        maker = Maker(key="logged potter", name="Logged Potter")
        session.add(maker)
        session.flush()
        session.add(WareMaker(ware_id=ware.id, maker_id=maker.id, role="manufacturer"))
        session.commit()
        before = log_position(session).last_seq
        maker.name = "Renamed Potter"
        session.commit()
        assert log_position(session).last_seq == before + 1
        assert session.scalar(select(IndexChange.ware_id).order_by(IndexChange.seq.desc())) == (
            ware.id
        )


def test_writer_applies_the_log_and_verify_compares_content(settings, session_factory):
    with session_factory() as session:
        ware = _ware(session, "W-1", "Celadon meiping")
        session.commit()
        sync = IndexSync(settings)
        assert sync.catch_up(session)
        assert _found(settings, session_factory, "meiping") == {ware.id}
        # A change that bypasses the log leaves a stale document: verify sees the content.
        session.execute(Ware.__table__.update().values(title_en="Celadon vase"))
        session.commit()
        drift = sync.verify(session)
        assert not drift.clean
        assert any("out of date" in line for line in drift.lines())
        # The writer repairs drift when elected.
        writer = IndexWriter(settings.index_dir, default_kinds(sync))
        assert writer.hold(session)
        writer.repair(session)
        writer.release(session)
        assert sync.verify(session).clean
        assert _found(settings, session_factory, "vase") == {ware.id}


def test_removed_photographs_leave_the_image_index(settings, session_factory):
    store = ImageStore(settings.store_dir)
    with session_factory() as session:
        ware = _ware(session, "P-1", "Photographed bowl")
        attach_photograph(session, ware, store.put(make_image_bytes(seed=3)))
        session.commit()
        sync = IndexSync(settings)
        sync.catch_up(session)
        assert sync.verify(session).clean
        session.delete(session.scalars(select(Photograph)).one())
        session.commit()
        sync.catch_up(session)
        assert sync.verify(session).clean


def test_a_text_only_edit_leaves_the_image_indexes_unread(settings, session_factory):
    store = ImageStore(settings.store_dir)
    with session_factory() as session:
        ware = _ware(session, "T-1", "Photographed jug")
        attach_photograph(session, ware, store.put(make_image_bytes(seed=5)))
        session.commit()
        sync = IndexSync(settings)
        sync.catch_up(session)
        local = Generations(settings.index_dir).current().path / "local"
        keypoints = (local / "codes.faiss").read_bytes()
        # Keypoints no FAISS can read: an edit of the words alone must not even open them.
        (local / "codes.faiss").write_bytes(b"not an index")
        ware.title_en = "Photographed ewer"
        session.commit()
        assert sync.catch_up(session)
        assert _found(settings, session_factory, "ewer") == {ware.id}
        (local / "codes.faiss").write_bytes(keypoints)
        assert sync.verify(session).clean
        # Unpublishing does touch them: its photograph leaves every image index.
        ware.status = WareStatus.DRAFT
        session.commit()
        sync.catch_up(session)
        assert sync.verify(session).clean
        assert sync.open_vectors(Generations(settings.index_dir).current().path).count() == 0


def test_a_flat_index_folder_becomes_the_first_generation_without_a_rebuild(
    settings, session_factory
):
    with session_factory() as session:
        ware = _ware(session, "F-1", "Flat layout teapot")
        session.commit()
        from index.documents import ware_documents

        docs = ware_documents(session)
    flat = TextIndex(settings.index_dir / "text")
    flat.add(docs)
    flat.close()
    generation = Generations(settings.index_dir).current()
    assert generation.name == "g000001"
    assert not (settings.index_dir / "text").exists()
    assert generation.state()["needs_repair"] is True
    assert _found(settings, session_factory, "teapot") == {ware.id}
    with session_factory() as session:
        IndexSync(settings).catch_up(session)  # compares by content once, then trusts the log
        assert Generations(settings.index_dir).current().state()["needs_repair"] is False
        assert IndexSync(settings).verify(session).clean


class _EditDuringBuild(KeywordKind):
    """A keyword index whose build lets the test change the catalogue half-way."""

    def __init__(self, during) -> None:
        super().__init__()
        self.during = during

    def build(self, folder: Path, session, progress) -> int:
        count = super().build(folder, session, progress)
        self.during()
        return count


def test_rebuild_replays_edits_and_unpublishes_made_while_it_ran(settings, session_factory):
    with session_factory() as session:
        kept = _ware(session, "R-1", "Kept dish")
        edited = _ware(session, "R-2", "Original title")
        hidden = _ware(session, "R-3", "Soon hidden ewer")
        session.commit()
        ids = (kept.id, edited.id, hidden.id)
        sync = IndexSync(settings)
        sync.catch_up(session)
        old = Generations(settings.index_dir).current()

    def during() -> None:
        # Another process (a curator's save) changes two wares while the new generation builds;
        # it applies them to the serving generation, which still answers.
        with session_factory() as other:
            other.get(Ware, ids[1]).title_en = "Edited mid-rebuild"
            other.get(Ware, ids[2]).status = "draft"
            other.commit()
            assert IndexSync(settings).catch_up(other)
        assert _found(settings, session_factory, "mid-rebuild") == {ids[1]}
        assert Generations(settings.index_dir).current() == old

    with session_factory() as session:
        writer = IndexWriter(settings.index_dir, [_EditDuringBuild(during)])
        writer.rebuild(session)
    current = Generations(settings.index_dir).current()
    assert current != old
    assert _found(settings, session_factory, "mid-rebuild") == {ids[1]}
    assert _found(settings, session_factory, "original") == set()
    assert _found(settings, session_factory, "ewer") == set()
    assert _found(settings, session_factory, "dish") == {ids[0]}
    # The retired generation goes once no reader can still be using it.
    generations = Generations(settings.index_dir)
    assert generations.remove_unused(older_than=3600) == []
    assert generations.remove_unused(older_than=0) == [old.name]


def test_a_reader_keeps_its_generation_until_its_request_ends(settings, session_factory):
    with session_factory() as session:
        ware = _ware(session, "G-1", "Pinned vase")
        session.commit()
        IndexSync(settings).catch_up(session)
    service = SearchService(settings, session_factory)
    service.pin()
    first = service.generation
    with session_factory() as session:
        IndexSync(settings).rebuild(session)
    assert service.generation == first  # the request goes on reading what it opened
    assert {hit.ware_id for hit in service.search("vase").hits} == {ware.id}
    service.unpin()
    assert service.generation != first


def test_one_writer_at_a_time_and_the_next_takes_over_when_it_stops(settings, session_factory):
    sync = IndexSync(settings)
    first = IndexWriter(settings.index_dir, default_kinds(sync))
    second = IndexWriter(settings.index_dir, default_kinds(sync))
    with session_factory() as session:
        assert first.hold(session)
        assert not second.hold(session)
        first.release(session)
        assert second.hold(session)
        second.release(session)


def test_a_write_through_one_process_reaches_an_elected_writer_thread(settings, session_factory):
    """A writer thread (as every ``potbank serve`` worker runs) applies changes another
    process only recorded, within a second."""
    writer = IndexSync(settings).writer
    stop = writer.start_thread(session_factory)
    try:
        # Elected, it first loads jieba and the descriptor (seconds on a loaded machine).
        assert writer.prepared.wait(60)
        with session_factory() as session:
            ware = _ware(session, "T-1", "Threaded tureen")
            session.commit()
        deadline = time.monotonic() + 5
        while _found(settings, session_factory, "tureen") != {ware.id}:
            assert time.monotonic() < deadline, "the elected writer never applied the change"
            time.sleep(0.05)
    finally:
        stop()


def test_an_idle_writer_consolidates_the_keyword_index_step_by_step(
    settings, session_factory, monkeypatch
):
    """Commits merge only small segments (a save must not wait behind a long merge); once
    nothing has changed for a while, the elected writer merges the rest, one step per poll."""
    import index.text as text_module

    monkeypatch.setattr(text_module, "MAX_MERGED_DOCS", 8)
    monkeypatch.setattr(writer_module, "TIDY_AFTER_SECONDS", 0.3)
    writer = IndexSync(settings).writer
    with session_factory() as session:
        for batch in range(10):
            for n in range(6):
                _ware(session, f"CS-{batch}-{n}", f"Consolidated cup {batch} {n}")
            session.commit()
            writer.hold(session)
            writer.catch_up(session)
        writer.release(session)
    segments = lambda: text_index_for(settings)._index._segments()  # noqa: E731
    many = len(segments())
    assert many >= 5
    stop = writer.start_thread(session_factory)
    try:
        assert writer.prepared.wait(60)
        deadline = time.monotonic() + 10
        while len(segments()) >= many:
            assert time.monotonic() < deadline, "the idle writer never consolidated"
            time.sleep(0.1)
    finally:
        stop()
    assert len(_found(settings, session_factory, "consolidated cup")) == 60


def test_concurrent_saves_all_reach_the_index(settings, session_factory):
    """Curators saving at the same time from several threads: none is lost."""
    with session_factory() as session:
        wares = [_ware(session, f"C-{n}", f"Concurrent piece {n}") for n in range(12)]
        session.commit()
        ids = [ware.id for ware in wares]
        IndexSync(settings).catch_up(session)
    errors: list[BaseException] = []

    def save(ware_id: int) -> None:
        try:
            with session_factory() as session:
                session.get(Ware, ware_id).title_en = f"Saved concurrently {ware_id}"
                session.commit()
                IndexSync(settings).update_wares(session, [ware_id])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=save, args=(ware_id,)) for ware_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_factory() as session:
        IndexSync(settings).catch_up(session)
        assert IndexSync(settings).verify(session).clean
    assert _found(settings, session_factory, "concurrently") == set(ids)


def test_apply_is_idempotent(settings, session_factory):
    with session_factory() as session:
        ware = _ware(session, "I-1", "Twice applied")
        session.commit()
        folder = Generations(settings.index_dir).current().path
        kind = KeywordKind()
        for _ in range(2):
            kind.apply(folder, session, ChangeSet({ware.id}), ApplyHints())
        kind.close()
    index = text_index_for(settings)
    assert index.count() == 1
    index.close()


@pytest.mark.parametrize("missing", ["pointer", "folder"])
def test_a_broken_pointer_is_never_followed(tmp_path, missing):
    settings = load_settings({"POTBANK_HOME": str(tmp_path / "home")})
    generations = Generations(settings.index_dir)
    first = generations.current()
    if missing == "pointer":
        generations.pointer.unlink()
    else:
        generations.pointer.write_text("g999999\n")
    # A pointer to nothing is never followed: the newest complete generation serves.
    assert generations.current() == first


def test_log_rows_count(settings, session_factory):
    with session_factory() as session:
        for n in range(3):
            _ware(session, f"N-{n}", f"Counted {n}")
        session.commit()
        assert session.scalar(select(func.count()).select_from(IndexChange)) == 3


class _ApplyRecorder:
    """An index kind that keeps nothing but the wares of each ``apply``, in order, so a test
    can see in which order the writer applied the log (beside the real keyword index)."""

    name = "recorder"

    def __init__(self) -> None:
        self.applied: list[set[int]] = []
        self.prepared: list[Path] = []

    def build(self, folder, session, progress) -> int:
        return 0

    def apply(self, folder, session, changes, hints) -> None:
        self.applied.append(set(changes.ware_ids))

    def verify(self, folder, session) -> KindDrift:
        return KindDrift()

    def close(self) -> None:
        pass

    def tidy(self, folder) -> bool:
        return False

    def prepare(self, folder) -> None:
        self.prepared.append(folder)


class _SlowToCompare(_ApplyRecorder):
    """A kind whose comparison with the catalogue waits until the test lets it finish."""

    def __init__(self) -> None:
        super().__init__()
        self.comparing = threading.Event()
        self.finish = threading.Event()

    def verify(self, folder, session) -> KindDrift:
        self.comparing.set()
        assert self.finish.wait(30)
        return KindDrift()


def test_an_elected_writer_loads_what_a_first_change_needs_before_any_change_comes(
    settings, session_factory, monkeypatch
):
    """jieba's dictionary, the glossary and the descriptor took 2 s (20 s on a loaded machine)
    at the first change after a start: the first curator's save waited for them."""
    recorder, keyword = _ApplyRecorder(), KeywordKind()
    # Earlier tests in this process may have loaded jieba: start as a fresh process would.
    monkeypatch.setattr(chinese, "_ready", False)
    writer = IndexWriter(settings.index_dir, [keyword, recorder])
    stop = writer.start_thread(session_factory)
    try:
        assert writer.prepared.wait(60), "the elected writer prepared nothing"
        serving = writer.generations.current().path
        assert recorder.prepared == [serving]
        assert recorder.applied == []  # before any change was logged
        assert keyword._open is not None and keyword._open.path == serving / "text"
        assert chinese._ready
    finally:
        stop()


def test_a_newly_elected_writer_applies_saves_while_it_compares_for_drift(
    settings, session_factory
):
    """Comparing every index with the catalogue at election takes seconds at scale; a save
    made meanwhile is applied at once, not after it."""
    slow = _SlowToCompare()
    writer = IndexWriter(settings.index_dir, [KeywordKind(), slow])
    stop = writer.start_thread(session_factory)
    try:
        assert slow.comparing.wait(60)
        with session_factory() as session:
            ware = _ware(session, "E-1", "Election-day ewer")
            session.commit()
        deadline = time.monotonic() + 5
        while _found(settings, session_factory, "ewer") != {ware.id}:
            assert time.monotonic() < deadline, "the save waited for the comparison"
            time.sleep(0.05)
        assert {ware.id} in slow.applied
    finally:
        slow.finish.set()
        stop()


def test_a_curators_save_is_applied_ahead_of_a_bulk_backlog(settings, session_factory, monkeypatch):
    monkeypatch.setattr(writer_module, "CHUNK", 10)
    with session_factory() as session:
        bulk = [_ware(session, f"B-{n}", f"Bulk piece {n}") for n in range(SMALL_TRANSACTION + 8)]
        session.commit()
        saved = _ware(session, "S-1", "Saved saucer")
        session.commit()
        lanes = dict(session.execute(select(IndexChange.ware_id, IndexChange.small)).all())
        assert lanes[saved.id] is True
        assert not any(lanes[ware.id] for ware in bulk)
        recorder = _ApplyRecorder()
        writer = IndexWriter(settings.index_dir, [KeywordKind(), recorder])
        assert writer.hold(session)
        writer.catch_up(session)
        writer.release(session)
    # The save, logged after forty bulk changes, went first; the backlog followed in order
    # and the save was applied again, harmlessly, when its turn came.
    assert recorder.applied[0] == {saved.id}
    assert recorder.applied[1] == {ware.id for ware in bulk[:10]}
    assert saved.id in recorder.applied[-1]
    assert len(recorder.applied) == 1 + 5
    assert _found(settings, session_factory, "saucer") == {saved.id}
    assert len(_found(settings, session_factory, "bulk")) == len(bulk)
    # With no backlog beyond a chunk nothing is applied twice.
    recorder.applied.clear()
    with session_factory() as session:
        session.get(Ware, saved.id).title_en = "Saved saucer, again"
        session.commit()
        assert writer.hold(session)
        writer.catch_up(session)
        writer.release(session)
    assert recorder.applied == [{saved.id}]


def test_chunks_shrink_when_the_writer_applies_slowly_and_grow_back(settings):
    """A save waits for the chunk in progress: chunks take about CHUNK_SECONDS at the rate the
    last one was applied, between MIN_CHUNK and CHUNK changes."""
    writer = IndexSync(settings).writer
    writer._pace(500, 5.0)  # 100 changes a second: a machine busy serving
    assert writer._chunk == int(100 * writer_module.CHUNK_SECONDS)
    writer._pace(40, 40.0)
    assert writer._chunk == writer_module.MIN_CHUNK
    writer._pace(10, 0.001)  # too few changes to judge a rate by
    assert writer._chunk == writer_module.MIN_CHUNK
    writer._pace(200, 0.05)
    assert writer._chunk == writer_module.CHUNK


def test_the_writer_applies_saves_while_another_process_holds_sqlites_write_lock(
    settings, session_factory
):
    """An ingest's batch transaction can hold SQLite's one write lock for seconds: the writer
    must not wait behind it to renew its lease or note its progress, only apply the changes
    (it reads), and record its progress once the lock is free."""
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's database-wide write lock; PostgreSQL locks rows")
    import sqlite3

    from archive.index_log import IndexWriterLease

    sync = IndexSync(settings)
    writer = IndexWriter(settings.index_dir, default_kinds(sync))
    with session_factory() as session:
        assert writer.hold(session)
        ware = _ware(session, "SL-1", "Locked-out tureen")
        session.commit()
        other = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process's write transaction
            writer._renewed_at = 0.0  # the lease's renewal and a note are both due
            started = time.monotonic()
            assert writer.hold(session)
            applied = writer.catch_up(session)
            assert time.monotonic() - started < 5.0  # not SQLite's 30 s wait for the lock
            assert _found(settings, session_factory, "tureen") == {ware.id}
            noted = session.get(IndexWriterLease, writer.instance)
            session.refresh(noted)
            assert noted.applied_seq < applied  # not recorded yet: the lock was taken
        finally:
            other.rollback()
            other.close()
        writer._noted = (-1, 0.0)
        writer.catch_up(session)
        session.refresh(noted)
        assert noted.applied_seq == applied
        writer.release(session)
