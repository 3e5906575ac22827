"""Cross-origin access for the open doors: IIIF, the JSON API and Linked Art.

Anything these doors answer is public (published wares only), so any site may read it: a viewer
elsewhere loads our manifests and tiles, another museum's page calls the API. ``*`` and no
``Allow-Credentials`` means browsers never send cookies with such a request, so a logged-in
curator's session is never used by another site.

A browser sends a preflight ``OPTIONS`` before any request that is not "simple", and the
IIIF-recommended ``Accept: application/ld+json;profile="…"`` is not simple (the double quote is
a CORS-unsafe byte), nor is ``Range``, ``Authorization`` or a JSON ``Content-Type``. Flask
answers ``OPTIONS`` on every route by itself; this adds what the browser checks on that answer.
"""

from __future__ import annotations

from flask import Response, request

ALLOWED_HEADERS = (
    "Accept",
    "Accept-Language",
    "Authorization",
    "Content-Type",
    "If-Modified-Since",
    "If-None-Match",
    "Range",
)
# Headers a script on another site may read besides the safelisted ones.
EXPOSED_HEADERS = ("Content-Encoding", "ETag", "Link", "Vary")
PREFLIGHT_MAX_AGE = 24 * 60 * 60


def allow_cross_origin(response: Response, methods: str = "GET, HEAD, OPTIONS") -> Response:
    """Open ``response`` to every origin; on a preflight, also say what may be sent."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = methods
        response.headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_HEADERS)
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response
