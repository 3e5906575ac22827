"""Engines, sessions and migrations."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from archive.portable_text import strip_nul_parameters

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Values per IN (...) list: far below SQLite's and PostgreSQL's parameter limits.
IN_LIST_SIZE = 500
T = TypeVar("T")
# A server process's connections to a database server: its request threads (8 by default), the
# standby index writer and the chores thread, each holding one at a time. A smaller pool made
# every busy moment open and close extra connections (each a new server process on PostgreSQL:
# 142 in 20 s of load were measured with SQLAlchemy's default of 5).
POOL_SIZE = 12
POOL_OVERFLOW = 12
# A pooled connection unused for longer than this is tried before it is handed out, so one that
# the database server dropped meanwhile (a restart, an idle timeout) is replaced instead of
# failing a request. Pinging every checkout (``pool_pre_ping``) cost a round trip per request,
# an eighth of a search page's; under load connections are reused within milliseconds.
PING_AFTER_IDLE_SECONDS = 2.0


def in_chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """The distinct ``values``, in their first order, in lists of IN_LIST_SIZE (one per query)."""
    distinct = list(dict.fromkeys(values))
    for start in range(0, len(distinct), IN_LIST_SIZE):
        yield distinct[start : start + IN_LIST_SIZE]


def make_engine(url: str, *, busy_timeout: float = 30.0, pooled: bool = True) -> Engine:
    """Create an engine; SQLite gets foreign keys and WAL so readers never block the writer.

    ``busy_timeout``: how long a SQLite write waits for another connection's write lock before
    it fails with "database is locked"; ``pooled=False`` opens a connection per checkout."""
    if url.startswith("sqlite"):
        pool: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
        engine = create_engine(url, connect_args={"timeout": busy_timeout}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    else:
        engine = create_engine(
            url,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            # The most recently returned connection first: under load a few stay busy and the
            # rest stay idle (and are tried before use), rather than all turning over.
            pool_use_lifo=True,
        )
        _ping_idle_connections(engine)
    # PostgreSQL refuses NUL in text; both databases are given none, so both behave alike.
    strip_nul_parameters(engine)
    return engine


def _ping_idle_connections(engine: Engine) -> None:
    """Try a connection before it is handed out if it sat unused for PING_AFTER_IDLE_SECONDS;
    a dead one is replaced (SQLAlchemy retries the checkout on ``DisconnectionError``)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _try_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return  # new, or used a moment ago
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as error:
            raise exc.DisconnectionError(str(error)) from error


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer now.

    On SQLite, pysqlite opens a transaction only before a data change, so a SAVEPOINT issued
    first would start (and its RELEASE commit) a transaction of its own. BEGIN IMMEDIATE opens
    it here and takes the write lock at once (waiting out other writers), so every savepoint
    nests inside and the whole unit commits or rolls back together. SQLAlchemy's documented
    recipe (BEGIN on every transaction, engine-wide) would do the same for savepoints, but it
    makes reading transactions hold WAL snapshots that then fail to upgrade to writing
    ("database is locked") when another connection committed meanwhile, which the web's
    background jobs do. Other databases begin properly already; this is a no-op there.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# Tables a bulk load fills, whose planner statistics it refreshes (``refresh_statistics``).
BULK_TABLES = ("ware", "ware_maker", "maker", "maker_name", "photograph", "index_change")


def refresh_statistics(session: Session, tables: Sequence[str] = BULK_TABLES) -> None:
    """ANALYZE the tables a bulk load filled, on PostgreSQL (SQLite plans without them).

    PostgreSQL's planner otherwise keeps the statistics it had before the load, those of empty
    tables, until autovacuum's next round: it then read a page of 24 search results by scanning
    every ware for its status (7 ms instead of a few tenths, on every search and ware page),
    and the site served less than half the requests/s of SQLite (bench/bench_load.py). The
    PostgreSQL manual advises ANALYZE after bulk loading for the same reason."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.commit()
    for table in tables:
        session.execute(text(f'ANALYZE "{table}"'))
    session.commit()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory; objects stay readable after commit (we hand them to templates)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    """An Alembic config for ``url`` without an ini file, so the package works when installed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Create or migrate the database at ``url`` to the newest schema."""
    from alembic import command

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
