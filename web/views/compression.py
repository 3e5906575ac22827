"""Compressed responses: HTML, CSS, JavaScript, JSON, XML and SVG go out as Brotli or gzip.

A small after-request layer rather than a server setting, so ``potbank serve``, ``potbank demo``
and any WSGI server behind a plain proxy all send compressed text. Photographs are compressed
already and are left alone. Versioned static files are compressed once per file version.
"""

from __future__ import annotations

import gzip
from functools import lru_cache

import brotli
from flask import Flask, Response, request

COMPRESSIBLE = (
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/xml",
    "application/javascript",
    "text/javascript",
    "application/json",
    "application/ld+json",
    "application/xml",
    "application/geo+json",
    "image/svg+xml",
)
# Below this the headers would outweigh what is saved.
MIN_BYTES = 512
# Above this a body is streamed or downloaded, not compressed in memory.
MAX_BYTES = 8 * 1024 * 1024
# Brotli's quality 5 is about as fast as gzip's 6 and smaller; static files get the best.
DYNAMIC_QUALITY, STATIC_QUALITY = 5, 11


def accepted_encoding(header: str) -> str | None:
    """``br`` or ``gzip`` when the Accept-Encoding header allows it (Brotli preferred)."""
    offered: dict[str, float] = {}
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        offered[name.strip().lower()] = quality
    for name in ("br", "gzip"):
        if offered.get(name, offered.get("*", 0.0)) > 0:
            return name
    return None


def compress(data: bytes, encoding: str, *, static: bool = False) -> bytes:
    """``data`` compressed with ``encoding`` (``br`` or ``gzip``)."""
    if encoding == "br":
        return brotli.compress(data, quality=STATIC_QUALITY if static else DYNAMIC_QUALITY)
    # mtime=0 keeps the output identical for identical input (stable ETags, cacheable).
    return gzip.compress(data, compresslevel=9 if static else 6, mtime=0)


@lru_cache(maxsize=256)
def _static_compressed(data: bytes, encoding: str) -> bytes:
    return compress(data, encoding, static=True)


def _compressible(response: Response) -> bool:
    mimetype = response.mimetype or ""
    return (
        mimetype in COMPRESSIBLE
        and response.status_code in (200, 201, 400, 403, 404)
        and "Content-Encoding" not in response.headers
        and request.method != "HEAD"
        # A file (send_file) is read whole below; any other stream is left as it is.
        and (response.direct_passthrough or not response.is_streamed)
    )


def compress_response(response: Response) -> Response:
    """After-request hook: compress a text response the client accepts compressed."""
    if not _compressible(response):
        return response
    response.vary.add("Accept-Encoding")
    encoding = accepted_encoding(request.headers.get("Accept-Encoding", ""))
    if encoding is None:
        return response
    static = request.endpoint == "static" or response.direct_passthrough
    if response.direct_passthrough:
        # A file response: read it (static files are small) so it can be compressed.
        length = response.content_length
        if length is None or length > MAX_BYTES:
            return response
        response.direct_passthrough = False
    data = response.get_data()
    if not MIN_BYTES <= len(data) <= MAX_BYTES:
        return response
    body = _static_compressed(data, encoding) if static else compress(data, encoding)
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    if response.headers.get("ETag"):
        # A compressed body is another representation: its validator must differ.
        tag, weak = response.get_etag()
        if tag:
            response.set_etag(f"{tag}-{encoding}", weak=weak)
    return response


def register(app: Flask) -> None:
    """Compress text responses of ``app``."""
    app.after_request(compress_response)
