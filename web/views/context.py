"""Per-app state and per-request resources: the database session and the search service."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, g
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from archive.settings import Settings
from archive.store import ImageStore

if TYPE_CHECKING:
    from index.service import SearchService

EXTENSION_KEY = "potbank"

# One CSRF guard for every app: every POST needs a token unless a view is exempted by name.
csrf = CSRFProtect()


@dataclass
class AppState:
    """What one app holds for its lifetime: built once, shared by every request."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    store: ImageStore
    search: Any = None
    _search_lock: threading.Lock = field(default_factory=threading.Lock)

    def search_service(self) -> SearchService:
        """The search facade, opened on first use (it loads indexes, so not at app start)."""
        if self.search is None:
            with self._search_lock:
                if self.search is None:
                    from index.service import SearchService

                    self.search = SearchService(self.settings, self.session_factory)
        return self.search

    def close(self) -> None:
        """Release the connection pool (tests and short-lived apps call this)."""
        self.engine.dispose()


def app_state(app: Flask | None = None) -> AppState:
    """The Potbank state of ``app`` (the current app by default)."""
    return (app or current_app).extensions[EXTENSION_KEY]


def db_session() -> Session:
    """This request's session, opened on first use and closed when the request ends."""
    if "db_session" not in g:
        g.db_session = app_state().session_factory()
    return g.db_session


def close_db_session(error: BaseException | None = None) -> None:
    """Teardown: roll back anything left uncommitted (reads only here) and close the session."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        if error is not None:
            session.rollback()
        session.close()


def search_service() -> SearchService:
    """The app's search facade, pinned to one index generation for the rest of the request."""
    service = app_state().search_service()
    if "search_pinned" not in g:
        pin = getattr(service, "pin", None)  # a stand-in facade a test gives may not pin
        if pin is not None:
            pin()
            g.search_pinned = service
    return service


def unpin_search(error: BaseException | None = None) -> None:
    """Teardown: the request's index generation may be retired now."""
    service = g.pop("search_pinned", None)
    if service is not None:
        service.unpin()


def settings() -> Settings:
    """The app's settings."""
    return app_state().settings
