"""IIIF for Potbank: the Image API 3.0 and Presentation API 3.0 under ``/iiif/3/``."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the IIIF blueprint on ``app`` (the app factory calls this once).

    Templates may then ``{% include "iiif/deep_zoom.html" %}`` with ``ware`` in the context.
    """
    from web.iiif.views import deep_zoom_sources, iiif

    app.register_blueprint(iiif)
    app.jinja_env.globals["deep_zoom_sources"] = deep_zoom_sources
