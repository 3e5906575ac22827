"""Static files addressed by their content, so browsers may cache them for a year.

``url_for('static', filename=...)`` gains ``?v=<digest of the file>``: a changed file gets a new
address, so a long cache lifetime never serves a stale stylesheet after an upgrade.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

ONE_YEAR = 365 * 24 * 60 * 60


def register(app: Flask) -> None:
    """Version the app's static URLs and cache versioned responses for a year."""
    folder = Path(app.static_folder or "")

    @cache
    def version(filename: str) -> str | None:
        path = (folder / filename).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]

    @app.url_defaults
    def _add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values:
            digest = version(str(values.get("filename", "")))
            if digest:
                values["v"] = digest

    @app.after_request
    def _cache_versioned(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
        return response
