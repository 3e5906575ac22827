"""Linked Art for Potbank: museum linked data (CIDOC-CRM as JSON-LD) under ``/linked-art/``.

``documents`` builds the JSON-LD, ``vocabulary`` holds the Getty AAT terms, ``views`` the routes.
A published exhibition is a Linked Art ``Activity`` classified as ``vocabulary.EXHIBITION``
(see ``documents.exhibition_activity``), served at ``/linked-art/activity/<slug>``.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the Linked Art routes, and JSON-LD content negotiation on ware pages."""
    from web.linked_art.views import linked_art, vary_ware_page, ware_page_as_linked_art

    app.register_blueprint(linked_art)
    app.before_request(ware_page_as_linked_art)
    app.after_request(vary_ware_page)
