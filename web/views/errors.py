"""Error responses: JSON under the API, friendly pages everywhere else."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from web.views.language import N_

API_PREFIX = "/api/"
logger = logging.getLogger(__name__)

# What a visitor is told for each status; the exception's own text may be too technical.
FRIENDLY = {
    400: (
        N_("This request could not be understood"),
        N_(
            "Something in the address or the form was not what we expected. "
            "Please go back and try again."
        ),
    ),
    403: (N_("Not allowed"), N_("You do not have permission to see this page.")),
    404: (
        N_("Not found"),
        N_(
            "There is no page here. The ware may have been withdrawn, "
            "or the address may be mistyped."
        ),
    ),
    405: (N_("Not allowed"), N_("This page cannot be used that way.")),
    413: (
        N_("Photograph too large"),
        N_("That file is larger than this archive accepts. Please choose a smaller photograph."),
    ),
    429: (N_("Too many requests"), N_("Please wait a moment and try again.")),
    500: (
        N_("Something went wrong"),
        N_("The archive could not answer this request. It has been noted; please try again later."),
    ),
}


def wants_json() -> bool:
    """Whether the failing request was to the JSON API."""
    return request.path.startswith(API_PREFIX)


def json_error(status: int, code: str, message: str) -> Response:
    """The API's error shape: ``{"error": {"code": ..., "message": ...}}`` with ``status``."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _code_name(error: HTTPException) -> str:
    return (error.name or "error").lower().replace(" ", "_")


def handle_http_error(error: HTTPException) -> Response | tuple[str, int]:
    """Render an HTTP error as JSON (API) or as a page."""
    status = error.code or 500
    if wants_json():
        return json_error(status, _code_name(error), error.description or error.name)
    title, message = FRIENDLY.get(status, (error.name, error.description or ""))
    if status == 400 and error.description and "CSRF" in error.description:
        message = N_(
            "The form had expired or did not come from this site. "
            "Please reload the page and try again."
        )
    return render_template("error.html", status=status, title=title, message=message), status


def handle_unexpected(error: Exception) -> Response | tuple[str, int]:
    """Log an unexpected exception and answer 500 without leaking its details."""
    logger.exception("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return handle_http_error(InternalServerError())


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
