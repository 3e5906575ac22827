"""Curating and contributing: the ware form, photographs, publishing, history, the review queue
and bulk upload, for curators (every institution) and partners (their own, as submissions).

``register(app)`` adds the pages; every route states its access rule (``web.auth.access``), and
registering refuses a route that does not.
"""

from __future__ import annotations

import os
from importlib import import_module

from flask import Flask, Response, request

from web.curate.blueprint import curate
from web.curate.bulk import BULK_LIMIT_KEY

# The modules that hold the views, one a line: importing one is what attaches its views to the
# blueprint, so a new view module is added here.
VIEW_MODULES = (
    "account",
    "bulk",
    "copy_photos",
    "history",
    "institutions",
    "invitations",
    "makers",
    "operations",
    "photos",
    "places",
    "public_site",
    "quality",
    "review",
    "safety",
    "status",
    "users",
    "vocabulary",
    "wares",
    "workbench",
    "working_copy",
)
for _module in VIEW_MODULES:
    import_module(f"{__name__}.{_module}")
RULED_BLUEPRINTS = ("auth", "curate")


def register(app: Flask) -> None:
    """Add the curating pages to ``app`` (after ``web.auth.register``)."""
    limit = os.environ.get(BULK_LIMIT_KEY, "").strip()
    if limit:
        app.config[BULK_LIMIT_KEY] = int(limit)
    app.register_blueprint(curate)
    app.after_request(_private_pages)
    unruled = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.partition(".")[0] in RULED_BLUEPRINTS
        and not hasattr(app.view_functions[rule.endpoint], "access_rule")
    ]
    if unruled:
        raise RuntimeError(f"routes without an access rule: {', '.join(sorted(unruled))}")


def _private_pages(response: Response) -> Response:
    # Curating and sign-in pages show unpublished work and personal data: no cache may keep them.
    if request.blueprint in RULED_BLUEPRINTS:
        response.cache_control.no_store = True
        response.cache_control.private = True
    return response
