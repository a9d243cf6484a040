"""Big benchmark databases take a minute to build: keep them, keyed by what they hold.

SQLite: a file per key in the bench's cache folder. PostgreSQL: the bench's own schema, with the
key in its comment (never `public`, which intake_bench drops, and never database leadbot_test).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.db import Database, alembic_config


def schema_head() -> str:
    """The Alembic head: a migration changes the schema, so it is part of every key."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    return str(head)


def cached_database(
    database_url: str | None,
    *,
    key: str,
    cache: Path,
    schema: str,
    build: Callable[[str], float],
    rebuild: bool = False,
) -> tuple[Database, float]:
    """The database for `key`, built now by `build(url) -> seconds` unless cached (0.0)."""
    if database_url is None:
        path = cache / f"leads-{key}.db"
        if rebuild or not path.exists():
            cache.mkdir(exist_ok=True)
            building = path.with_suffix(".building")
            for stale in cache.glob(f"{building.name}*"):
                stale.unlink()
            seconds = build(f"sqlite:///{building}")
            building.rename(path)  # build() disposed its engine: WAL checkpointed and removed
            return Database(f"sqlite:///{path}"), seconds
        return Database(f"sqlite:///{path}"), 0.0
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    url_text, engine = url.render_as_string(hide_password=False), create_engine(database_url)
    with engine.begin() as conn:
        sql = "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = :s"
        cached = conn.execute(text(sql), {"s": schema}).scalar() == key and not rebuild
        if not cached:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
    seconds = 0.0 if cached else build(url_text)
    with engine.begin() as conn:
        conn.execute(text(f"COMMENT ON SCHEMA {schema} IS '{key}'"))  # built: reuse it next time
    engine.dispose()
    return Database(url_text), seconds
