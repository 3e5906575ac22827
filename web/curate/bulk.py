"""Bulk upload from the browser: a records file (CSV, TSV, JSON or a ZIP with its photographs)
plus a ZIP of photographs. The browser's form first makes a dry run (web.curate.bulk_preview):
the first rows as they will be catalogued and every problem of the file, with a mapping screen
whose result can be saved as a profile; "Import" then processes the kept files in the
background, with a progress page and a downloadable report."""

from __future__ import annotations

import csv
import io
import logging
import secrets
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response

from archive.catalogue import record_audit
from archive.curation import BulkJob, JobStatus
from archive.grants import Action, may_in_institution
from ingest.profiles import (
    PARSED_TARGETS,
    PLAIN_TARGETS,
    ProfileError,
    column_profile,
    load_profile,
    profile_names,
    save_profile,
)
from web.auth import Rule, access
from web.curate import bulk_preview, jobs
from web.curate.access import contributable_institutions, signed_in
from web.curate.blueprint import curate
from web.curate.uploads import PHOTOS_NAME, records_name
from web.exports import spreadsheet_safe
from web.views.context import app_state, db_session
from web.views.formatting import translate as _

logger = logging.getLogger(__name__)
RECENT_JOBS = 20
BULK_LIMIT_KEY = "POTBANK_MAX_BULK_UPLOAD_BYTES"
# A ZIP of a collection's photographs is far larger than one photograph: by default the limit
# for one bulk upload is this many times the single-upload limit.
BULK_LIMIT_FACTOR = 25


def bulk_upload_limit() -> int:
    """The largest bulk upload request accepted, in bytes (POTBANK_MAX_BULK_UPLOAD_BYTES)."""
    configured = current_app.config.get(BULK_LIMIT_KEY)
    if configured:
        return int(configured)
    return app_state().settings.max_upload_bytes * BULK_LIMIT_FACTOR


@curate.url_value_preprocessor
def _raise_limit_for_bulk_upload(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    # URL value preprocessors run before every before_request handler, and CSRF protection's
    # is the first to read the body: the bulk upload's larger limit must be in place before it.
    if endpoint == "curate.bulk_upload":
        request.max_content_length = bulk_upload_limit()


def _visible_jobs() -> Any:
    account = signed_in()
    query = select(BulkJob).order_by(BulkJob.id.desc())
    if not account.is_curator:
        query = query.where(BulkJob.user_id == account.id)
    return query


def _job_or_404(job_id: int) -> BulkJob:
    account = signed_in()
    job = db_session().get(BulkJob, job_id)
    # A partner sees only their own uploads; 404 rather than 403 so ids do not leak anything.
    if job is None or not (account.is_curator or job.user_id == account.id):
        abort(404)
    return jobs.settle(db_session(), job)


def _form(status: int = 200, error: str | None = None) -> tuple[str, int]:
    institutions = contributable_institutions()
    recent = [
        jobs.settle(db_session(), job)
        for job in db_session().scalars(_visible_jobs().limit(RECENT_JOBS))
    ]
    page = render_template(
        "curate/bulk.html",
        mappings=_profiles(),
        # One choice needs no question: a partner uploads to their own institution.
        institutions=institutions if len(institutions) > 1 else [],
        submissions_only=len(institutions) == 1
        and not may_in_institution(signed_in().permissions, Action.PUBLISH, institutions[0].id),
        recent=recent,
        error=error,
    )
    return page, status


@curate.get("/bulk")
@access(Rule.SIGNED_IN)
def bulk_form() -> tuple[str, int]:
    """The bulk upload form and the account's recent uploads."""
    return _form()


def _profiles() -> dict[str, str]:
    """Every profile usable by name, with its description (its name where it has none); a
    saved profile someone broke by hand is left out (and logged), never a failed page."""
    home = app_state().settings.home
    found = {}
    for name in profile_names(home):
        try:
            found[name] = load_profile(name, home).description or name
        except ProfileError as error:
            logger.warning("mapping profile %s cannot be used: %s", name, error)
    return found


@curate.post("/bulk")
@access(Rule.SIGNED_IN)
def bulk_upload() -> Response | tuple[str, int]:
    """Accept the files. The browser's form asks for a dry run (``action=preview``): the files
    wait for the mapping and the import. Without it (a script), the job starts at once with a
    named profile."""
    account = signed_in()
    state = app_state()
    records = request.files.get("records")
    photos = request.files.get("photos")
    preview = request.form.get("action") == "preview"
    mapping = request.form.get("mapping", "potbank")
    known = _profiles()
    if mapping not in known and not (preview and mapping == bulk_preview.COLUMNS_MODE):
        return _form(422, _("Choose one of the mapping profiles."))
    if records is None or not records.filename:
        return _form(422, _("Choose a records file (CSV or JSON)."))
    data = records.stream.read(state.settings.max_upload_bytes + 1)
    if len(data) > state.settings.max_upload_bytes:
        return _form(413, _("The records file is larger than this archive accepts."))
    allowed = contributable_institutions()
    name = request.form.get("institution", "")
    chosen = allowed[0] if len(allowed) == 1 else next((i for i in allowed if i.name == name), None)
    # Only an account that contributes everywhere may leave the institution to the rows.
    if chosen is None and account.permissions.institution_ids(Action.CONTRIBUTE) is not None:
        return _form(422, _("Choose one of the institutions."))
    # Rows become submissions for review unless this account curates the institution.
    as_submission = chosen is not None and not may_in_institution(
        account.permissions, Action.PUBLISH, chosen.id
    )
    if preview:
        waiting = bulk_preview.create(
            state,
            user_id=account.id,
            institution_id=chosen.id if chosen else None,
            as_submission=as_submission,
            records=records,
            data=data,
            photos=photos,
            mapping=mapping,
        )
        return redirect(url_for("curate.bulk_preview_page", token=waiting.token))
    job = BulkJob(
        user_id=account.id,
        institution_id=chosen.id if chosen else None,
        as_submission=as_submission,
        mapping=mapping,
        source_name=(records.filename or "upload")[-300:],
        folder=secrets.token_hex(16),
        phase=jobs.Phase.READING,
    )
    db_session().add(job)
    db_session().flush()
    folder = jobs.upload_folder(state, job)
    folder.mkdir(parents=True)
    (folder / records_name(records.filename, data[:4096])).write_bytes(data)
    if photos is not None and photos.filename:
        # Streamed to disk: a ZIP may be large; the job reads members from it with size caps.
        photos.save(folder / PHOTOS_NAME)
    db_session().commit()
    jobs.start(state, job.id)
    flash(_("Upload received: it is being processed."))
    return redirect(url_for("curate.bulk_job", job_id=job.id))


def _waiting(token: str) -> bulk_preview.Preview:
    found = bulk_preview.find(app_state(), token, signed_in().id)
    if found is None:
        # Another account's upload, an imported one, or one removed after a day: all alike.
        abort(404)
    return found


def _asked_mapping(columns: list[str], mode: str | None = None) -> bulk_preview.Mapping:
    """The mapping the form asks for; the column selects are read only when the form has them."""
    form = request.form
    assigned = None
    if form.get("assigned"):
        assigned = {name: form.get(f"target-{index}", "") for index, name in enumerate(columns)}
    chosen = mode if mode is not None else form.get("profile", bulk_preview.COLUMNS_MODE)
    return bulk_preview.mapping_from(app_state(), chosen, assigned, columns)


def _preview_page(
    waiting: bulk_preview.Preview,
    columns: list[str],
    mapping: bulk_preview.Mapping,
    status: int = 200,
    error: str | None = None,
) -> tuple[str, int]:
    check = None
    if mapping.profile is not None:
        check = bulk_preview.check(app_state(), db_session(), waiting, mapping.profile)
    page = render_template(
        "curate/bulk_preview.html",
        waiting=waiting,
        columns=columns,
        mapping=mapping,
        check=check,
        problem_dicts=[problem.as_dict() for problem in check.problems] if check else [],
        profiles=_profiles(),
        targets=PLAIN_TARGETS + PARSED_TARGETS,
        error=error,
    )
    return page, status


@curate.get("/bulk/preview/<token>")
@access(Rule.SIGNED_IN)
def bulk_preview_page(token: str) -> tuple[str, int]:
    """The dry run of a waiting upload with the mapping chosen when it was sent."""
    waiting = _waiting(token)
    columns = bulk_preview.columns(app_state(), waiting, waiting.mapping)
    return _preview_page(waiting, columns, _asked_mapping(columns, waiting.mapping))


@curate.post("/bulk/preview/<token>")
@access(Rule.SIGNED_IN)
def bulk_preview_update(token: str) -> tuple[str, int]:
    """The dry run again with the mapping as the screen now sets it."""
    waiting = _waiting(token)
    columns = bulk_preview.columns(app_state(), waiting, request.form.get("profile"))
    return _preview_page(waiting, columns, _asked_mapping(columns))


@curate.post("/bulk/preview/<token>/import")
@access(Rule.SIGNED_IN)
def bulk_preview_import(token: str) -> Response | tuple[str, int]:
    """Start the real import of the waiting files with the mapping on the screen."""
    waiting = _waiting(token)
    columns = bulk_preview.columns(app_state(), waiting, request.form.get("profile"))
    mapping = _asked_mapping(columns)
    if mapping.profile is None:
        return _preview_page(waiting, columns, mapping, 422, _("Fix the mapping first."))
    job = BulkJob(
        user_id=waiting.user_id,
        institution_id=waiting.institution_id,
        as_submission=waiting.as_submission,
        mapping=bulk_preview.claim(waiting, mapping),
        source_name=waiting.source_name,
        folder=waiting.token,
        phase=jobs.Phase.READING,
    )
    db_session().add(job)
    db_session().commit()
    jobs.start(app_state(), job.id)
    flash(_("Import started: it is being processed."))
    return redirect(url_for("curate.bulk_job", job_id=job.id))


@curate.post("/bulk/preview/<token>/discard")
@access(Rule.SIGNED_IN)
def bulk_preview_discard(token: str) -> Response:
    """Drop a waiting upload without importing it: its files are removed at once."""
    bulk_preview.discard(_waiting(token))
    flash(_("The upload was discarded; nothing was imported."))
    return redirect(url_for("curate.bulk_form"))


@curate.post("/bulk/preview/<token>/profile")
@access(Rule.CURATOR)
def bulk_preview_save_profile(token: str) -> tuple[str, int]:
    """Save the mapping built on the screen as a named profile of this instance (for later
    uploads and ``potbank ingest --profile NAME``), then show the dry run with it."""
    waiting = _waiting(token)
    columns = bulk_preview.columns(app_state(), waiting, request.form.get("profile"))
    mapping = _asked_mapping(columns, bulk_preview.COLUMNS_MODE)
    name = request.form.get("profile_name", "").strip()
    description = request.form.get("profile_description", "").strip()[:300]
    try:
        data = column_profile(name, description, mapping.columns)
        save_profile(app_state().settings.home, data)
    except ProfileError as error:
        return _preview_page(waiting, columns, mapping, 422, str(error))
    account = signed_in()
    record_audit(
        db_session(),
        actor=account.email,
        user_id=account.id,
        action="save_profile",
        entity_type="mapping_profile",
        entity_id=None,
        before=None,
        after=data,
    )
    db_session().commit()
    flash(_("Mapping profile {name} saved.", name=name))
    return _preview_page(waiting, columns, _asked_mapping(columns, name))


def job_state(job: BulkJob) -> dict[str, Any]:
    """What the progress page shows, as JSON for its script: the total is null until the
    rows are counted (the phase is then "reading"), never a made-up 0."""
    active = job.status in jobs.ACTIVE
    counting = active and job.phase in (None, jobs.Phase.READING)
    return {
        "id": job.id,
        "status": job.status.value,
        "active": active,
        "phase": job.phase if active else None,
        "total": None if counting else job.total_rows,
        "processed": job.processed_rows,
        "photos_total": None if counting else job.photos_total,
        "photos_done": job.photos_done,
        "summary": job.summary,
        "message": job.message,
        "problems": len(job.problems or []),
    }


@curate.get("/bulk/<int:job_id>")
@access(Rule.SIGNED_IN)
def bulk_job(job_id: int) -> str:
    """The progress of one upload, and its report when done."""
    job = _job_or_404(job_id)
    jobs.remove_abandoned_uploads(app_state(), db_session())
    return render_template(
        "curate/bulk_job.html",
        job=job,
        state=job_state(job),
        resumable=jobs.resumable(app_state(), job),
    )


@curate.post("/bulk/<int:job_id>/resume")
@access(Rule.SIGNED_IN)
def bulk_resume(job_id: int) -> Response:
    """Run an interrupted upload again from its kept files (loading again is safe)."""
    job = _job_or_404(job_id)
    if jobs.resume(app_state(), db_session(), job):
        flash(_("The upload is being processed again."))
    else:
        flash(_("This upload cannot be resumed: upload the file again."))
    return redirect(url_for("curate.bulk_job", job_id=job.id))


@curate.get("/bulk/<int:job_id>/status")
@access(Rule.SIGNED_IN)
def bulk_status(job_id: int) -> Response:
    """The progress as JSON (the progress page polls it)."""
    return jsonify(job_state(_job_or_404(job_id)))


@curate.get("/bulk/<int:job_id>/report.csv")
@access(Rule.SIGNED_IN)
def bulk_report(job_id: int) -> Response:
    """The problems of a finished upload as a CSV safe to open in a spreadsheet."""
    job = _job_or_404(job_id)
    if job.status is not JobStatus.FINISHED:
        abort(404)
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        fieldnames=["line", "severity", "accession_number", "field", "reason", "details"],
        extrasaction="ignore",
    )
    writer.writeheader()
    for problem in job.problems or []:
        row = {**problem, "details": "; ".join(problem.get("details") or [])}
        writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="upload-{job.id}-report.csv"'
    return response
