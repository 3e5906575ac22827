"""OAI-PMH 2.0 for Potbank: the provider at ``/oai`` and the record formats it serves."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the OAI-PMH blueprint on ``app``; harvesters may POST, so it is CSRF-exempt."""
    from web.oai.provider import configure, oai

    configure(app.config)
    app.register_blueprint(oai)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        # OAI-PMH POSTs are reads from other servers: they carry no session and change nothing.
        csrf.exempt(oai)
