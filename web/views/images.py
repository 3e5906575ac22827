"""Photographs served from the image store, only for published wares."""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_file

from archive.imaging import DERIVATIVE_SIZES
from web.views import queries
from web.views.context import app_state, db_session

images = Blueprint("images", __name__, url_prefix="/images")

# Content-addressed: the bytes under a digest never change, so browsers may keep them forever.
ONE_YEAR = 365 * 24 * 60 * 60
MIMETYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "tif": "image/tiff"}


def _immutable(response: Response) -> Response:
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True
    return response


def _published_or_404(sha256: str, *, shown: bool = False):  # type: ignore[no-untyped-def]
    # The store builds paths only from a 64-hex digest; checking here too turns a bad one into a
    # 404 rather than an error, before the database is asked.
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        abort(404)
    photo = queries.published_photograph(db_session(), sha256, shown=shown)
    if photo is None:
        abort(404)
    return photo


@images.get("/<sha256>/<size>.jpg")
def derivative(sha256: str, size: str) -> Response:
    """A thumbnail (320 px) or display (1200 px) JPEG of a published photograph, named by its
    image key (turned and cropped as a curator set it; see ``archive.imaging.Rendition``)."""
    if size not in DERIVATIVE_SIZES:
        abort(404)
    _published_or_404(sha256, shown=True)
    path = app_state().store.derivative_path(sha256, size)
    if not path.is_file():
        abort(404)
    return _immutable(
        send_file(path, mimetype="image/jpeg", etag=f"{sha256}-{size}", max_age=ONE_YEAR)
    )


@images.get("/<sha256>/original")
def original(sha256: str) -> Response:
    """The photograph as it was contributed."""
    photo = _published_or_404(sha256)
    path = app_state().store.original_path(sha256, photo.format)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=MIMETYPES.get(photo.format, "application/octet-stream"),
        etag=sha256,
        max_age=ONE_YEAR,
        download_name=f"{sha256}.{photo.format}",
    )
    return _immutable(response)
