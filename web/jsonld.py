"""JSON-LD answers for the linked-data doors (IIIF, Linked Art): media type and compression.

IIIF's Image and Presentation APIs and Linked Art all say the same: the document is served as
``application/ld+json`` with the profile of its context, unless the client asks for plain
``application/json`` (some older viewers do). The documents are verbose JSON that compresses
well, so they are gzipped for every client that accepts it.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from flask import Response, request

JSON_LD = "application/ld+json"
PLAIN_JSON = "application/json"
# Below this a gzip header costs more than it saves.
GZIP_MIN_BYTES = 512


def _accepted(kind: str) -> float:
    """The quality the request's Accept header gives ``kind``, its parameters ignored."""
    best = 0.0
    for value, quality in request.accept_mimetypes:
        media = value.split(";", 1)[0].strip().lower()
        if media == kind:
            return quality
        if media in ("*/*", "application/*"):
            best = max(best, quality)
    return best


def wants_plain_json() -> bool:
    """Whether the client prefers ``application/json`` to ``application/ld+json``.

    Only an Accept header that ranks plain JSON above JSON-LD gets it: no header, ``*/*`` and
    a tie all get JSON-LD, the default the specifications set.
    """
    if not request.accept_mimetypes:
        return False
    return _accepted(PLAIN_JSON) > _accepted(JSON_LD)


def media_type(profile: str | None) -> str:
    """The Content-Type for this request: JSON-LD with ``profile``, or plain JSON if asked."""
    if wants_plain_json():
        return PLAIN_JSON
    return f'{JSON_LD};profile="{profile}"' if profile else JSON_LD


def gzip_if_accepted(response: Response) -> Response:
    """Compress ``response`` with gzip when the client accepts it and it is worth it."""
    response.vary.add("Accept-Encoding")
    if request.method == "HEAD" or response.direct_passthrough:
        return response
    body = response.get_data()
    if len(body) < GZIP_MIN_BYTES or not request.accept_encodings["gzip"]:
        return response
    response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def json_ld_response(document: dict[str, Any], profile: str | None, max_age: int) -> Response:
    """``document`` as a public, cacheable JSON-LD (or JSON) answer, gzipped where accepted."""
    body = json.dumps(document, ensure_ascii=False)
    response = Response(body, content_type=media_type(profile))
    response.vary.add("Accept")
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return gzip_if_accepted(response)


def prefers_json_ld() -> bool:
    """Whether the client names ``application/ld+json`` and ranks it above HTML.

    For content negotiation on a page: browsers (``text/html``, ``*/*``) get the page; a
    linked-data client that asks for JSON-LD by name gets the document.
    """
    named = [
        quality
        for value, quality in request.accept_mimetypes
        if value.split(";", 1)[0].strip().lower() == JSON_LD
    ]
    return bool(named) and max(named) > _accepted("text/html")
