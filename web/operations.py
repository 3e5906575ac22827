"""Index rebuilds and OAI-PMH harvests as leased jobs (``archive.jobs``): one machinery for both
doors. ``potbank index rebuild`` and ``potbank ingest oai:URL`` run their job in the foreground
of their own process; the admins' status page starts one in a background thread of the server.

Either way the job is a row of the job table with a lease and progress, listed on the status
page; a second rebuild of the same indexes, or a second harvest of the same endpoint and set, is
refused while one runs (the job's exclusive key); a job whose process died is marked interrupted
and can be resumed, from either door, with the parameters it kept (``Operation.params``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from archive.jobs import Job, JobFailed, JobLease, begin_job, run_lease
from archive.settings import Settings
from web.job_threads import JobThreads

logger = logging.getLogger(__name__)

KINDS = ("rebuild", "harvest")
# Reported as ``advance(done, total)``: photographs embedded (rebuild), records loaded (harvest).
Advance = Callable[[int, int], None]

_threads = JobThreads("operation")


@dataclass(frozen=True)
class Operation:
    """What a rebuild or harvest job does, as kept in its row for a resume."""

    kind: str
    params: dict[str, Any]

    @classmethod
    def rebuild(cls) -> Operation:
        return cls("rebuild", {})

    @classmethod
    def harvest(cls, options: Any) -> Operation:
        """A harvest with ``options`` (an ``ingest.oai_harvest.HarvestOptions``)."""
        return cls("harvest", dataclasses.asdict(options))

    @classmethod
    def of(cls, job: Job) -> Operation:
        """The operation an interrupted (or failed) job was running (ValueError if it is not a
        rebuild or harvest, or kept no parameters: a harvest from before they were kept)."""
        if job.kind not in KINDS:
            raise ValueError(f"a {job.kind} job is resumed from its own page, not here")
        if job.kind == "harvest" and not (job.params or {}).get("endpoint"):
            raise ValueError(f"job {job.id} kept no parameters to resume with")
        return cls(job.kind, dict(job.params or {}))

    def harvest_options(self) -> Any:
        from ingest.oai_harvest import HarvestOptions

        params = dict(self.params)
        params["image_hosts"] = tuple(params.get("image_hosts") or ())
        return HarvestOptions(**params)

    def label(self, settings: Settings) -> str:
        if self.kind == "rebuild":
            return f"index rebuild of {settings.index_dir}"
        options = self.harvest_options()
        in_set = f" (set {options.set_spec})" if options.set_spec else ""
        return f"oai:{options.endpoint}{in_set}"

    def exclusive_key(self, settings: Settings) -> str:
        """One running job per key: the index folder's id (two machines, each with its own
        indexes, may each rebuild theirs), or the endpoint and set harvested."""
        if self.kind == "rebuild":
            from index.generations import Generations

            return f"rebuild:{Generations(settings.index_dir).instance_id()}"
        options = self.harvest_options()
        return f"harvest:{options.endpoint}|{options.set_spec or ''}"[:300]


def can_resume(job: Job) -> bool:
    """Whether ``job`` is an interrupted or failed rebuild or harvest that can run again."""
    try:
        Operation.of(job)
    except ValueError:
        return False
    return job.status in ("interrupted", "failed")


def begin(
    settings: Settings,
    factory: sessionmaker[Session],
    operation: Operation,
    started_by: str,
    job_id: int | None = None,
) -> JobLease:
    """Claim a job for ``operation`` (``job_id``: resume that one); ``JobRunning`` if one of the
    same key runs already."""
    return begin_job(
        factory,
        operation.kind,
        operation.label(settings),
        job_id=job_id,
        exclusive_key=operation.exclusive_key(settings),
        params=operation.params,
        started_by=started_by,
    )


@dataclass
class Result:
    """How a job ended: its summary and, for a harvest, the report (the CLI lists problems)."""

    summary: str
    report: Any = None


def run(
    settings: Settings,
    factory: sessionmaker[Session],
    lease: JobLease,
    operation: Operation,
    advance: Advance | None = None,
) -> Result:
    """Run a claimed job here until it ends; its row says finished (with the summary) or failed
    (with a plain reason). Raises what the job raised."""

    def progress(done: int, total: int) -> None:
        lease.progress(done, total)
        if advance is not None:
            advance(done, total)

    with run_lease(lease):
        if operation.kind == "rebuild":
            result = _rebuild(settings, factory, progress)
        else:
            result = _harvest(settings, factory, lease.job_id, operation, progress)
        lease.summary = result.summary
    return result


def _rebuild(settings: Settings, factory: sessionmaker[Session], progress: Advance) -> Result:
    from index.sync import IndexSync
    from index.writer import RebuildRunning

    with factory() as session:
        try:
            counts = IndexSync(settings).rebuild(session, progress=progress)
        except RebuildRunning as error:
            raise JobFailed(str(error)) from None
    return Result(
        f"Rebuilt: {counts['wares']} wares in the keyword index, "
        f"{counts['photographs']} photographs in the image index"
    )


def _harvest(
    settings: Settings,
    factory: sessionmaker[Session],
    job_id: int,
    operation: Operation,
    progress: Advance,
) -> Result:
    from ingest.oai_harvest import HarvestError, harvest

    options = operation.harvest_options()
    loaded = 0

    def advance(count: int) -> None:
        nonlocal loaded
        loaded += count
        progress(loaded, 0)  # a remote seldom says how many records it has

    try:
        report = harvest(settings, factory, options, advance, job_id=job_id)
    except HarvestError as error:
        # The remote's fault, in words fit for the page (no path, no trace).
        words = str(error)
        if not words.startswith("cannot harvest"):
            words = f"cannot harvest {options.endpoint}: {words}"
        raise JobFailed(words) from None
    since = f" (changes since {report.harvested_from})" if report.harvested_from else ""
    return Result(f"Harvested {options.endpoint}{since}: {report.summary}", report)


def start_in_background(
    settings: Settings, factory: sessionmaker[Session], lease: JobLease, operation: Operation
) -> None:
    """Run a claimed job in a thread of this process (the request that claimed it returns)."""

    def body() -> None:
        try:
            run(settings, factory, lease, operation)
        except Exception:  # its row says failed; the trace goes to the log only
            logger.exception("%s job %s failed", operation.kind, lease.job_id)
        finally:
            _threads.forget(lease.job_id)

    _threads.start(lease.job_id, body)


def wait_all(timeout: float = 120) -> bool:
    """Wait for every job thread of this process (tests wait before removing an instance)."""
    return _threads.wait_all(timeout)
