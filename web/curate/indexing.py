"""Keep the search indexes following each catalogue change made in the curating pages."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from flask import current_app
from sqlalchemy.orm import Session

from archive.settings import Settings
from web.views.context import app_state

logger = logging.getLogger(__name__)

SYNC_KEY = "potbank.index_sync"
Syncer = Callable[[Session, Iterable[int]], None]


def _default_syncer(settings: Settings) -> Syncer:
    def sync(session: Session, ware_ids: Iterable[int]) -> None:
        from index.sync import IndexSync

        IndexSync(settings).update_wares(session, ware_ids)

    return sync


def index_syncer() -> Syncer:
    """The app's index updater: ``index.sync.IndexSync`` unless a test put another in place."""
    syncer = current_app.extensions.get(SYNC_KEY)
    if syncer is None:
        syncer = _default_syncer(app_state().settings)
    return syncer


def sync_wares(session: Session, ware_ids: Iterable[int]) -> bool:
    """Bring the indexes up to date for these wares after their change was committed.

    A failure here must not undo the change: the catalogue is the truth and the indexes are
    derived, so it is logged and ``potbank index verify``/``rebuild`` repairs the drift.
    """
    try:
        index_syncer()(session, list(ware_ids))
    except Exception:  # any index failure: the catalogue change stands regardless
        logger.exception("index update failed for wares %s", list(ware_ids))
        return False
    return True
