"""The admins' status page: which search is active and why, how to configure it, and the long
jobs (uploads, ingests, rebuilds, harvests, from the web or the CLI) with the forms that start a
rebuild or a harvest (``web.curate.operations``).

Configuration advice (environment variables, loading errors) belongs here, not on public pages.
"""

from __future__ import annotations

from flask import render_template

from archive.jobs import interrupt_expired, recent_jobs
from web import operations
from web.auth import Rule, access
from web.curate.blueprint import curate
from web.curate.operations import METADATA_PREFIXES
from web.views import queries
from web.views.context import db_session, search_service, settings

RECENT_JOBS = 30


@curate.get("/status")
@access(Rule.ADMIN)
def status() -> str:
    """Search engines, index sizes and configuration advice for whoever runs the archive."""
    service = search_service()
    embedder = dict(service.embedder_status())
    # Jobs whose process died say so before they are listed (and free what they held).
    interrupt_expired(db_session())
    jobs = recent_jobs(db_session(), RECENT_JOBS)
    return render_template(
        "curate/status.html",
        embedder=embedder,
        clip_configured=bool(settings().clip_pretrained),
        counts=queries.counts(db_session()),
        indexed=service.text.count(),
        home=settings().home,
        jobs=jobs,
        resumable={job.id for job in jobs if operations.can_resume(job)},
        prefixes=METADATA_PREFIXES,
    )
