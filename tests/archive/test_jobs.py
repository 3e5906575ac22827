"""Leased jobs (archive.jobs): one running job per exclusive key, a job whose process is gone is
interrupted with its ingest run (at once when the process was of this host, else when its lease
expires), a job that fails ends its run too, and work folders go with their jobs."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from sqlalchemy import event, select, update

from archive.jobs import (
    INTERRUPTED_REASON,
    UNEXPECTED_REASON,
    Job,
    JobFailed,
    JobRunning,
    begin_job,
    interrupt_expired,
    leased_job,
    remove_stale_work_folders,
    work_folder,
)
from archive.models import IngestRun


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _with_run(session_factory, job_id: int) -> int:
    with session_factory() as session:
        run = IngestRun(source="s", mapping="m")
        session.add(run)
        session.flush()
        session.execute(update(Job).where(Job.id == job_id).values(ingest_run_id=run.id))
        session.commit()
        return run.id


def test_one_running_job_per_exclusive_key(session_factory):
    first = begin_job(session_factory, "rebuild", "indexes", exclusive_key="rebuild:a")
    with pytest.raises(JobRunning) as refused:
        begin_job(session_factory, "rebuild", "indexes", exclusive_key="rebuild:a")
    assert refused.value.job_id == first.job_id
    # Another key (another machine's index folder) and keyless jobs are not held back.
    other = begin_job(session_factory, "rebuild", "elsewhere", exclusive_key="rebuild:b")
    begin_job(session_factory, "ingest", "x")
    begin_job(session_factory, "ingest", "y")
    first.finish("finished")
    again = begin_job(session_factory, "rebuild", "indexes", exclusive_key="rebuild:a")
    with pytest.raises(JobRunning):
        # A running job cannot be claimed a second time either.
        begin_job(session_factory, "rebuild", job_id=again.job_id, exclusive_key="rebuild:a")
    other.finish("finished")
    again.finish("finished")


def test_a_job_of_a_dead_process_of_this_host_is_interrupted_at_once(session_factory):
    lease = begin_job(session_factory, "harvest", "oai:x", exclusive_key="harvest:x")
    run_id = _with_run(session_factory, lease.job_id)
    with session_factory() as session:
        assert interrupt_expired(session) == []  # alive (this process), lease fresh
        host = socket.gethostname()
        session.execute(
            update(Job).where(Job.id == lease.job_id).values(holder=f"{host}:{_dead_pid()}:x")
        )
        session.commit()
        (marked,) = interrupt_expired(session)
        assert marked.id == lease.job_id and marked.status == "interrupted"
        assert marked.message == INTERRUPTED_REASON and marked.exclusive_key is None
        assert session.get(IngestRun, run_id).status == "interrupted"
    # Its key is free again: the resume (or a new harvest) may run.
    resumed = begin_job(session_factory, "harvest", job_id=lease.job_id, exclusive_key="harvest:x")
    with session_factory() as session:
        job = session.get(Job, lease.job_id)
        assert (job.status, job.attempts, job.message) == ("running", 2, None)
    resumed.finish("finished")


def test_a_job_of_another_host_is_interrupted_when_its_lease_expires(session_factory):
    lease = begin_job(session_factory, "rebuild", "indexes")
    with session_factory() as session:
        session.execute(
            update(Job).where(Job.id == lease.job_id).values(holder="other-machine:1:x")
        )
        session.commit()
        assert interrupt_expired(session) == []  # its lease still runs
        session.execute(update(Job).where(Job.id == lease.job_id).values(lease_expires_ms=1))
        session.commit()
        assert [job.id for job in interrupt_expired(session)] == [lease.job_id]
    # The dead holder's late finish changes nothing: the job is no longer its to end.
    lease.finish("finished")
    with session_factory() as session:
        assert session.get(Job, lease.job_id).status == "interrupted"


def test_a_failed_job_ends_its_ingest_run_with_a_plain_message(session_factory):
    with pytest.raises(RuntimeError), leased_job(session_factory, "ingest", "f") as lease:
        run_id = _with_run(session_factory, lease.job_id)
        raise RuntimeError("/secret/path: SQL went wrong")
    with session_factory() as session:
        job = session.get(Job, lease.job_id)
        assert (job.status, job.message) == ("failed", UNEXPECTED_REASON)
        assert session.get(IngestRun, run_id).status == "failed"
    with pytest.raises(JobFailed), leased_job(session_factory, "harvest", "h") as lease:
        raise JobFailed("cannot harvest http://example.org/oai: not OAI-PMH")
    with session_factory() as session:
        assert session.get(Job, lease.job_id).message.startswith("cannot harvest")


def test_progress_and_the_final_state_are_recorded(session_factory):
    with leased_job(session_factory, "rebuild", "p") as lease:
        lease.progress(5, 10)  # the first note is written at once
        with session_factory() as session:
            job = session.get(Job, lease.job_id)
            assert (job.done, job.total) == (5, 10)
        lease.progress(10, 10)  # within a second: written when the job ends
    with session_factory() as session:
        job = session.get(Job, lease.job_id)
        assert (job.status, job.done, job.total, job.lease_expires_ms) == ("finished", 10, 10, 0)


def test_a_finished_job_is_never_seen_without_its_summary(session_factory):
    # A page polling the job must not catch it "finished" between two writes, the status and
    # then the summary: both go in one statement.
    engine = session_factory.kw["bind"]
    finishing = []

    def note(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("UPDATE JOB ") and "finished" in str(parameters):
            finishing.append(str(parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        with leased_job(session_factory, "rebuild", "s") as lease:
            lease.summary = "Rebuilt: 3 wares"
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert finishing and all("Rebuilt: 3 wares" in statement for statement in finishing)
    with session_factory() as session:
        job = session.get(Job, lease.job_id)
        assert (job.status, job.message) == ("finished", "Rebuilt: 3 wares")


def test_work_folders_go_unless_their_job_runs(settings, session_factory):
    running = begin_job(session_factory, "harvest", "r")
    ended = begin_job(session_factory, "harvest", "e")
    ended.finish("finished")
    kept, stale = work_folder(settings, running.job_id), work_folder(settings, ended.job_id)
    (stale / "photo.jpg").write_bytes(b"x")
    orphan = settings.home / "jobs" / "999999"
    orphan.mkdir()
    with session_factory() as session:
        removed = remove_stale_work_folders(session, settings)
    assert sorted(removed) == sorted([stale.name, orphan.name])
    assert kept.is_dir() and not stale.exists() and not orphan.exists()
    running.finish("finished")


def test_every_ingest_run_belongs_to_a_job(settings, session_factory):
    from ingest.pipeline import IngestOptions, run_ingest
    from ingest.records import SourceRecord

    record = SourceRecord("J-1", "Jobs Museum", None, {"title_en": "A jar", "status": "draft"})
    report = run_ingest(
        settings, session_factory, "test", "potbank", [(2, record)], IngestOptions()
    )
    with session_factory() as session:
        job = session.scalars(select(Job).where(Job.ingest_run_id == report.run_id)).one()
        assert (job.kind, job.status) == ("ingest", "finished")
        assert session.get(IngestRun, report.run_id).status == "finished"


def test_a_job_taken_for_dead_that_still_ends_records_its_end(session_factory):
    # Its heartbeat starved past the lease (a long stall): marked interrupted, then it ends.
    lease = begin_job(session_factory, "rebuild", "stalled", exclusive_key="rebuild:s")
    with session_factory() as session:
        session.execute(update(Job).where(Job.id == lease.job_id).values(lease_expires_ms=1))
        session.commit()
        assert [job.id for job in interrupt_expired(session)] == [lease.job_id]
    lease.finish("finished", "Rebuilt")
    with session_factory() as session:
        job = session.get(Job, lease.job_id)
        assert (job.status, job.message, job.exclusive_key) == ("finished", "Rebuilt", None)


def test_a_running_ingest_run_no_running_job_drives_is_interrupted(session_factory):
    lease = begin_job(session_factory, "ingest", "live")
    driven = _with_run(session_factory, lease.job_id)
    with session_factory() as session:
        # Left by a Potbank from before runs belonged to jobs, its process long gone.
        orphan = IngestRun(source="old", mapping="m")
        session.add(orphan)
        session.commit()
        interrupt_expired(session)
        assert session.get(IngestRun, orphan.id).status == "interrupted"
        assert session.get(IngestRun, driven).status == "running"
    lease.finish("finished")
