"""The PostgreSQL pool (archive.db.make_engine): a connection the server dropped while it sat idle
is replaced before use (a restart or an idle timeout costs no request), and a connection reused a
moment later is handed out without a round trip (so one ended in that moment fails once)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from archive import db
from archive.db import make_engine


@pytest.fixture
def pg_engine(database_url: str):
    if not database_url.startswith("postgresql"):
        pytest.skip("the pool's ping is PostgreSQL's (SQLite opens a file, no server to lose)")
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(engine, pid: int) -> None:
    outside = make_engine(engine.url.render_as_string(hide_password=False))
    with outside.connect() as connection:
        ended = connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert ended.scalar()
    outside.dispose()
    time.sleep(0.2)  # the backend's exit reaches the socket


def test_an_idle_connection_the_server_dropped_is_replaced(pg_engine, monkeypatch):
    first = _backend_pid(pg_engine)
    # The server ends that connection (as a restart or idle_session_timeout would) while the
    # pool holds it.
    _terminate(pg_engine, first)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle long enough
    assert _backend_pid(pg_engine) != first  # answered, on a new connection


def test_a_connection_reused_at_once_is_not_tried_first(pg_engine):
    # The other side of the trade: a connection back in the pool a moment ago is handed out
    # without a round trip, so one the server ended in that moment fails its statement once;
    # the pool then replaces it (and its peers) and the next checkout works.
    first = _backend_pid(pg_engine)
    _terminate(pg_engine, first)
    with pytest.raises(DBAPIError) as failed:
        _backend_pid(pg_engine)
    assert failed.value.connection_invalidated
    assert _backend_pid(pg_engine) != first
