"""Alembic owns the schema: migrations produce exactly what the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from storage.db import Database
from storage.models import Base


def test_migrations_match_the_models(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    db.upgrade()  # a second run is a no-op
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == []


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    db.upgrade()
    with db.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
    db.dispose()
