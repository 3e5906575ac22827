"""Admins start index rebuilds and OAI-PMH harvests from the status page, follow their progress
and resume an interrupted one: jobs of ``web.operations``, run in a background thread of the
server, the same jobs the CLI runs (and lists) in the foreground."""

from __future__ import annotations

import urllib.parse
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from archive.catalogue import record_audit
from archive.jobs import Job, JobLease, JobRunning, interrupt_expired
from ingest.oai_harvest import HarvestOptions
from web import operations
from web.auth import Rule, access
from web.curate.access import actor
from web.curate.blueprint import curate
from web.views.context import app_state, db_session
from web.views.formatting import translate as _

METADATA_PREFIXES = ("", "lido", "oai_dc")
# Field lengths a harvest form accepts (the job's label and key are bounded too).
MAX_URL, MAX_NAME = 500, 300


def job_state(job: Job) -> dict[str, Any]:
    """What the job page shows, as JSON for its script (the bulk page's fields)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "active": job.status == "running",
        "processed": job.done,
        "total": job.total,
        "message": job.message,
        "attempts": job.attempts,
    }


def _job_or_404(job_id: int) -> Job:
    interrupt_expired(db_session())
    job = db_session().get(Job, job_id)
    if job is None:
        abort(404)
    return job


def _start(operation: operations.Operation, job_id: int | None = None) -> Response:
    state = app_state()
    email, user_id = actor()
    try:
        lease: JobLease = operations.begin(
            state.settings, state.session_factory, operation, email, job_id
        )
    except JobRunning as error:
        flash(_("A job doing the same is already running: wait for it to end."))
        if error.job_id:
            return redirect(url_for("curate.job", job_id=error.job_id))
        return redirect(url_for("curate.status"))
    record_audit(
        db_session(),
        actor=email,
        user_id=user_id,
        action="resume" if job_id else "start",
        entity_type="job",
        entity_id=lease.job_id,
        before=None,
        after={"kind": operation.kind, **operation.params},
    )
    db_session().commit()
    operations.start_in_background(state.settings, state.session_factory, lease, operation)
    flash(_("The job is running: this page follows it."))
    return redirect(url_for("curate.job", job_id=lease.job_id))


@curate.post("/jobs/rebuild")
@access(Rule.ADMIN)
def start_rebuild() -> Response:
    """Rebuild every index into a new generation (the site serves the current one meanwhile)."""
    return _start(operations.Operation.rebuild())


def _harvest_options(form: Any, email: str) -> HarvestOptions | str:
    """The harvest the form asks for, or what is wrong with it (a sentence to show)."""
    endpoint = form.get("endpoint", "").strip()
    parts = urllib.parse.urlsplit(endpoint)
    if len(endpoint) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Give the OAI-PMH address as an http or https URL.")
    prefix = form.get("metadata_prefix", "")
    if prefix not in METADATA_PREFIXES:
        return _("Choose LIDO, Dublin Core or the best the remote offers.")
    names = {key: form.get(key, "").strip() for key in ("set_spec", "institution", "collection")}
    if any(len(value) > MAX_NAME for value in names.values()):
        return _("The set, institution and collection names are too long.")
    return HarvestOptions(
        endpoint=endpoint,
        metadata_prefix=prefix or None,
        full=form.get("full") == "1",
        actor=email,  # the audit trail of every ware it changes names the admin
        **{key: value or None for key, value in names.items()},  # type: ignore[arg-type]
    )


@curate.post("/jobs/harvest")
@access(Rule.ADMIN)
def start_harvest() -> Response:
    """Harvest another repository's OAI-PMH endpoint (incremental unless "full" is ticked)."""
    options = _harvest_options(request.form, actor()[0])
    if isinstance(options, str):
        flash(options)
        return redirect(url_for("curate.status"))
    return _start(operations.Operation.harvest(options))


@curate.get("/jobs/<int:job_id>")
@access(Rule.ADMIN)
def job(job_id: int) -> Response | str:
    """One job's progress and outcome (an upload's own page has its report)."""
    found = _job_or_404(job_id)
    if found.kind == "bulk" and found.bulk_job_id is not None:
        return redirect(url_for("curate.bulk_job", job_id=found.bulk_job_id))
    return render_template(
        "curate/job.html", job=found, state=job_state(found), resumable=operations.can_resume(found)
    )


@curate.get("/jobs/<int:job_id>/status")
@access(Rule.ADMIN)
def job_status(job_id: int) -> Response:
    """The progress as JSON (the job page polls it)."""
    return jsonify(job_state(_job_or_404(job_id)))


@curate.post("/jobs/<int:job_id>/resume")
@access(Rule.ADMIN)
def job_resume(job_id: int) -> Response:
    """Run an interrupted or failed rebuild or harvest again, with the parameters it kept."""
    found = _job_or_404(job_id)
    if found.kind == "bulk" and found.bulk_job_id is not None:
        return redirect(url_for("curate.bulk_job", job_id=found.bulk_job_id))
    if not operations.can_resume(found):
        flash(_("Only an interrupted or failed rebuild or harvest can be resumed."))
        return redirect(url_for("curate.job", job_id=found.id))
    return _start(operations.Operation.of(found), found.id)
