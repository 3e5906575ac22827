"""IIIF for Potbank: the Image API 3.0 and Presentation API 3.0 under ``/iiif/3/``."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the IIIF blueprint on ``app`` (the app factory calls this once)."""
    from web.iiif.views import iiif

    app.register_blueprint(iiif)
