from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from archive.db import make_engine, upgrade_database
from archive.models import Base


def test_baseline_migration_matches_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_is_idempotent(database_url):
    upgrade_database(database_url)
    engine = make_engine(database_url)
    assert {"ware", "maker", "photograph", "audit_event", "ingest_run"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()
