"""The Flask app factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

from archive.db import make_engine, make_session_factory
from archive.settings import Settings, load_settings, read_or_create_secret_key
from archive.store import ImageStore
from web.auth.proxies import TrustedProxies
from web.views import (
    assets,
    compression,
    errors,
    formatting,
    ids,
    language,
    presenters,
    visual_results,
    vocabulary,
)
from web.views.context import EXTENSION_KEY, AppState, close_db_session, csrf, unpin_search

# No inline script or style anywhere, so the policy can forbid both; blob: lets the photo picker
# preview a chosen file before it is uploaded.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class HtmlSafeJSONProvider(DefaultJSONProvider):
    """JSON whose ``<``, ``>`` and ``&`` are written as ``\\u`` escapes: the same data to any JSON
    reader, but inert if a browser or a careless client ever treats the body as HTML."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialise ``obj`` with HTML-significant characters escaped."""
        text = super().dumps(obj, **kwargs)
        # These three characters occur in JSON only inside strings, so escaping them is lossless.
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def create_app(
    settings: Settings | None = None, *, testing: bool = False, search: Any = None
) -> Flask:
    """Build the Potbank web app for ``settings`` (read from the environment when omitted).

    ``search`` replaces the search facade (``index.service.SearchService``) when given; by default
    it is opened from the instance's indexes on the first request that searches.
    """
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=read_or_create_secret_key(settings),
        TESTING=testing,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        # A search form left open over lunch should still work: the token lives as long as
        # the browser session.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    # Keeps the order fields are written in (id and title first) and escapes HTML characters.
    app.json = HtmlSafeJSONProvider(app)
    engine = make_engine(settings.database_url)
    app.extensions[EXTENSION_KEY] = AppState(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        store=ImageStore(settings.store_dir, settings.max_image_pixels),
        search=search,
    )
    app.teardown_appcontext(close_db_session)
    # First registered, so it runs last: it compresses the body every other hook has finished.
    compression.register(app)
    app.teardown_appcontext(unpin_search)
    csrf.init_app(app)
    # Before any route is added: every <int:...> in them is then bounded to a database id.
    ids.register(app)
    formatting.register(app)
    language.register(app)
    presenters.register(app)
    vocabulary.register(app)
    visual_results.register(app)
    assets.register(app)
    _register_blueprints(app)
    errors.register(app)
    app.after_request(_security_headers)
    if settings.trusted_proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]
    return app


def _register_blueprints(app: Flask) -> None:
    from web import auth, curate, exports, iiif, linked_art, oai
    from web.api import api
    from web.views.exhibitions import exhibitions
    from web.views.explore import explore
    from web.views.images import images
    from web.views.pages import pages
    from web.views.search import search
    from web.views.tools import tools

    for blueprint in (search, pages, images, api, explore, exhibitions, tools):
        app.register_blueprint(blueprint)
    iiif.register(app)
    oai.register(app)
    exports.register(app)
    linked_art.register(app)
    auth.register(app)
    curate.register(app)


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
