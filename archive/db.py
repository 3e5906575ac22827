"""Engines, sessions and migrations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from archive.portable_text import strip_nul_parameters

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Values per IN (...) list: far below SQLite's and PostgreSQL's parameter limits.
IN_LIST_SIZE = 500
T = TypeVar("T")


def in_chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """The distinct ``values``, in their first order, in lists of IN_LIST_SIZE (one per query)."""
    distinct = list(dict.fromkeys(values))
    for start in range(0, len(distinct), IN_LIST_SIZE):
        yield distinct[start : start + IN_LIST_SIZE]


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys and WAL so readers never block the writer."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    else:
        engine = create_engine(url, pool_pre_ping=True)
    # PostgreSQL refuses NUL in text; both databases are given none, so both behave alike.
    strip_nul_parameters(engine)
    return engine


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
