"""The admins' status page: which search is active and why, and how to configure it.

Configuration advice (environment variables, loading errors) belongs here, not on public pages.
"""

from __future__ import annotations

from flask import render_template

from web.auth import Rule, access
from web.curate.blueprint import curate
from web.views import queries
from web.views.context import db_session, search_service, settings


@curate.get("/status")
@access(Rule.ADMIN)
def status() -> str:
    """Search engines, index sizes and configuration advice for whoever runs the archive."""
    service = search_service()
    embedder = dict(service.embedder_status())
    return render_template(
        "curate/status.html",
        embedder=embedder,
        clip_configured=bool(settings().clip_pretrained),
        counts=queries.counts(db_session()),
        indexed=service.text.count(),
        home=settings().home,
    )
