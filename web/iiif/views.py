"""The IIIF endpoints: Image API 3.0 under ``/iiif/3/<sha256>`` and Presentation API 3.0 documents.

Photographs are identified by their SHA-256: the store is content-addressed, so the identifier
is stable across database rebuilds and across partner instances that harvest each other (the
same photograph has the same IIIF identifier everywhere), and it never reveals row counts.
Only photographs of published wares are served; everything else is 404.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, redirect, request, send_file, url_for
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from archive.catalogue import get_ware
from archive.imaging import Rendition
from archive.models import Collection, Institution, Photograph, Ware, WareMaker, WareStatus
from web.bounded_cache import CacheBounds, store, touch, write_atomically
from web.cors import allow_cross_origin
from web.iiif import image as iiif_image
from web.iiif.presentation import (
    IMAGE_CONTEXT,
    PRESENTATION_CONTEXT,
    collection_document,
    institution_document,
    rights_uri,
    top_document,
    ware_manifest,
)
from web.jsonld import json_ld_response
from web.views.context import app_state, db_session

iiif = Blueprint(
    "iiif",
    __name__,
    url_prefix="/iiif/3",
    static_folder="static",
    template_folder="templates",
)

ONE_YEAR = 365 * 24 * 60 * 60
ONE_HOUR = 60 * 60
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
LEVEL_PROFILE_URI = "http://iiif.io/api/image/3/level2.json"


@iiif.after_request
def _cors(response: Response) -> Response:
    # Any viewer on any site may use these images and documents: that is the point of IIIF.
    return allow_cross_origin(response)


@iiif.errorhandler(iiif_image.IIIFError)
def _iiif_error(error: iiif_image.IIIFError) -> Response:
    return _plain_error(error.status, error.message)


class ImageMoved(Exception):
    """The image asked for is shown under another identifier now (``location``)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@iiif.errorhandler(ImageMoved)
def _moved(moved: ImageMoved) -> Response:
    return redirect(moved.location, 301)  # type: ignore[return-value]


@iiif.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return _plain_error(error.code or 500, error.description or error.name)


def _plain_error(status: int, message: str) -> Response:
    # Viewers show the body as is: plain text, not the site's HTML error page.
    response = Response(message + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_ld(document: dict[str, Any], context: str, max_age: int) -> Response:
    # JSON-LD with the context's profile by default, as both IIIF APIs say; JSON when asked.
    return json_ld_response(document, context, max_age)


def published_photograph(identifier: str) -> Photograph:
    """The photograph shown under this identifier (its image key) on a published ware, or a 404.

    A photograph a curator has since turned or cropped is shown under a new identifier (its
    image key; the bytes under an identifier never change): the old one, its original's
    digest, is redirected there, so a harvested manifest or a bookmark finds it as it is shown.
    """
    if not _SHA256.match(identifier):
        abort(404, description="no such image")
    photo = (
        db_session()
        .scalars(
            select(Photograph)
            .join(Ware, Photograph.ware_id == Ware.id)
            .where(
                or_(Photograph.image_key == identifier, Photograph.sha256 == identifier),
                Ware.status == WareStatus.PUBLISHED,
                Ware.deleted_at.is_(None),
            )
            # One shown under this very identifier first.
            .order_by((Photograph.image_key != identifier), Photograph.id)
            .limit(1)
        )
        .first()
    )
    if photo is None:
        abort(404, description="no such image")
    if photo.image_key != identifier:
        arguments = dict(request.view_args or {}, identifier=photo.image_key)
        raise ImageMoved(url_for(request.endpoint or "iiif.image_info", **arguments))
    return photo


def deep_zoom_sources(ware: Ware) -> list[str]:
    """The info.json URLs of a ware's photographs, for the deep-zoom viewer's tile sources."""
    return [url_for("iiif.image_info", identifier=photo.image_key) for photo in ware.photographs]


@iiif.get("/<identifier>")
def image_base(identifier: str) -> Response:
    """The base URI of an image redirects to its information document (303, as specified)."""
    published_photograph(identifier)
    return redirect(url_for("iiif.image_info", identifier=identifier), 303)  # type: ignore[return-value]


@iiif.get("/<identifier>/info.json")
def image_info(identifier: str) -> Response:
    """The image information document (``info.json``) of a published photograph."""
    photo = published_photograph(identifier)
    width, height = photo.width, photo.height
    sizes = [{"width": w, "height": h} for w, h in iiif_image.whole_image_sizes(width, height)]
    scale_factors = iiif_image.scale_factors(width, height)
    info: dict[str, Any] = {
        "@context": IMAGE_CONTEXT,
        "id": url_for("iiif.image_base", identifier=identifier, _external=True),
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": "level2",
        "width": width,
        "height": height,
        "maxWidth": iiif_image.MAX_WIDTH,
        "maxArea": iiif_image.MAX_AREA,
        "sizes": sizes,
        "tiles": [{"width": iiif_image.TILE_SIZE, "scaleFactors": scale_factors}],
        "preferredFormats": ["jpg"],
        "extraQualities": ["color", "gray", "bitonal"],
        "extraFormats": ["png", "webp"],
        "extraFeatures": [
            "canonicalLinkHeader",
            "mirroring",
            "profileLinkHeader",
            "regionSquare",
            "sizeUpscaling",
        ],
    }
    licence = rights_uri(photo.licence)
    if licence:
        info["rights"] = licence
    response = _json_ld(info, IMAGE_CONTEXT, 24 * ONE_HOUR)
    response.headers["Link"] = f'<{LEVEL_PROFILE_URI}>;rel="profile"'
    return response


@iiif.get("/<identifier>/<region>/<size>/<rotation>/<quality_format>")
def image(identifier: str, region: str, size: str, rotation: str, quality_format: str) -> Response:
    """An image request: region, size, rotation, quality and format, rendered and cached."""
    photo = published_photograph(identifier)
    parsed = iiif_image.parse_request(
        region, size, rotation, quality_format, photo.width, photo.height
    )
    etag = f"{photo.image_key}-{parsed.cache_name()}"
    if iiif_image.is_cacheable(parsed, photo.width, photo.height):
        cache_root = app_state().settings.home / "iiif-cache"
        cached = iiif_image.cache_path(cache_root, photo.image_key, parsed)
        if not cached.is_file():
            write_atomically(cached, _render(photo, parsed))
        response = send_file(cached, mimetype=parsed.media_type, etag=etag, conditional=True)
    elif request.if_none_match.contains(etag):
        response = Response(status=304)
        response.set_etag(etag)
    else:
        response = Response(_variation(photo, parsed), mimetype=parsed.media_type)
        response.set_etag(etag)
    # The bytes under an identifier never change: caches may keep them for a year.
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    canonical = (
        url_for("iiif.image_base", identifier=identifier, _external=True)
        + "/"
        + parsed.canonical_path(photo.width, photo.height)
    )
    response.headers["Link"] = f'<{canonical}>;rel="canonical", <{LEVEL_PROFILE_URI}>;rel="profile"'
    return response


def _variation(photo: Photograph, parsed: iiif_image.ImageRequest) -> bytes:
    """A rendering no viewer is told about, from the bounded variation cache or drawn afresh.

    Its bytes are read, not sent from the file: another process may prune it at any moment.
    """
    settings = app_state().settings
    path = iiif_image.variation_path(settings.home / "iiif-variations", photo.image_key, parsed)
    if touch(path):
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
    data = _render(photo, parsed)
    store(path, data, CacheBounds(settings.iiif_variation_files, settings.iiif_variation_bytes))
    return data


def _render(photo: Photograph, parsed: iiif_image.ImageRequest) -> bytes:
    state = app_state()
    original = state.store.original_path(photo.sha256, photo.format)
    if not original.is_file():
        abort(404, description="the image file is missing from the store")
    return iiif_image.render(
        original.read_bytes(),
        parsed,
        photo.width,
        photo.height,
        state.settings.max_image_pixels,
        Rendition.stored(photo.rotation, photo.crop),
    )


@iiif.get("/manifests/ware/<int:ware_id>", endpoint="ware_manifest")
def ware_manifest_view(ware_id: int) -> Response:
    """The Presentation 3.0 Manifest of a published ware."""
    ware = get_ware(db_session(), ware_id)
    if ware is None:
        abort(404, description=f"no published ware {ware_id}")
    if not ware.photographs:
        # A Manifest must paint at least one Canvas: without a photograph there is none.
        abort(404, description=f"ware {ware_id} has no photograph, so no IIIF manifest")
    return _json_ld(ware_manifest(ware), PRESENTATION_CONTEXT, ONE_HOUR)


def _in_iiif() -> ColumnElement[bool]:
    """Wares with a Manifest: published, not withdrawn, and photographed."""
    return and_(
        Ware.status == WareStatus.PUBLISHED, Ware.deleted_at.is_(None), Ware.photographs.any()
    )


def _public_wares(*conditions: Any) -> list[Ware]:
    query = (
        select(Ware)
        .where(_in_iiif(), *conditions)
        .options(
            selectinload(Ware.photographs),
            selectinload(Ware.makers).selectinload(WareMaker.maker),
        )
        .order_by(Ware.id)
    )
    return list(db_session().scalars(query))


@iiif.get("/collections/collection/<int:collection_id>", endpoint="collection_collection")
def collection_view(collection_id: int) -> Response:
    """The IIIF Collection of a catalogue collection's published, photographed wares."""
    collection = db_session().scalar(
        select(Collection)
        .where(Collection.id == collection_id)
        .options(selectinload(Collection.institution))
    )
    if collection is None:
        abort(404, description=f"no collection {collection_id}")
    wares = _public_wares(Ware.collection_id == collection_id)
    return _json_ld(collection_document(collection, wares), PRESENTATION_CONTEXT, ONE_HOUR)


@iiif.get("/collections/institution/<int:institution_id>", endpoint="institution_collection")
def institution_view(institution_id: int) -> Response:
    """The IIIF Collection of an institution: its collections and its uncollected wares."""
    institution = db_session().get(Institution, institution_id)
    if institution is None:
        abort(404, description=f"no institution {institution_id}")
    public_collections = select(Ware.collection_id).where(_in_iiif()).distinct()
    collections = list(
        db_session().scalars(
            select(Collection)
            .where(
                Collection.institution_id == institution_id,
                Collection.id.in_(public_collections),
            )
            .order_by(Collection.name)
        )
    )
    loose = _public_wares(Ware.institution_id == institution_id, Ware.collection_id.is_(None))
    document = institution_document(institution, collections, loose)
    return _json_ld(document, PRESENTATION_CONTEXT, ONE_HOUR)


@iiif.get("/collections", endpoint="top_collection")
def top_collection_view() -> Response:
    """The archive's top Collection: the institutions with published, photographed wares."""
    contributing = select(Ware.institution_id).where(_in_iiif()).distinct()
    institutions = list(
        db_session().scalars(
            select(Institution).where(Institution.id.in_(contributing)).order_by(Institution.name)
        )
    )
    return _json_ld(top_document(institutions), PRESENTATION_CONTEXT, ONE_HOUR)


@iiif.get("/<path:anything>")
def unknown(anything: str) -> Response:
    """Anything else under the prefix: a plain 404 with CORS, not the site's HTML page."""
    abort(404, description="not a IIIF resource of this server")
