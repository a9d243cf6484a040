"""Alembic owns the schema: migrations produce exactly what the models declare."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from bot.routing.state import move_pointer
from storage.db import Database, SqliteWriteLock, alembic_config, newest_revision
from storage.idle_ping import IDLE
from storage.models import Base, RoutePointer
from tests.conftest import _fresh_postgres


def test_migrations_match_the_models(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    db.upgrade()  # a second run is a no-op
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == []


def test_a_current_schema_is_left_alone_and_an_older_one_is_migrated(database_url: str) -> None:
    """A start finds the schema current by the file names alone, without loading Alembic; the
    file names' newest revision is Alembic's own head, and a database one revision behind it
    is still brought up to date."""
    assert newest_revision() == ScriptDirectory.from_config(alembic_config("")).get_current_head()
    db = Database(database_url)
    db.upgrade()
    version = text("SELECT version_num FROM alembic_version")
    with db.engine.begin() as conn:
        assert list(conn.execute(version).scalars()) == [newest_revision()]
    config = alembic_config(database_url)
    command.downgrade(config, "-1")
    db.upgrade()
    with db.engine.begin() as conn:
        assert list(conn.execute(version).scalars()) == [newest_revision()]
    db.dispose()


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    db.upgrade()
    with db.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
    db.dispose()


@pytest.mark.postgres
def test_only_the_pointers_move_commits_without_waiting_for_the_disk(postgres_url: str) -> None:
    """Routing moves a pool's pointer in a statement on its own (`Database.brief`), made
    durable by its intake's commit right after it (storage/db.py): its transaction alone skips
    the wait for the disk. Inside a transaction of ours, where the setting outlives the
    statement, it shows; a lead, a click, a lease, a read always wait."""
    db = Database(_fresh_postgres(postgres_url))
    db.upgrade()
    with db.write() as session:
        session.add(RoutePointer(pool="default", position=5))
    show = text("SHOW synchronous_commit")
    with db.brief() as side:  # each statement its own transaction
        assert move_pointer(side, "default", (1, 3)) == 5  # 5 % 2 == 1: three steps
        assert move_pointer(side, "default", (1, 3)) == 8  # 8 % 2 == 0: one step
        assert move_pointer(side, "nowhere", (1,)) is None  # no pointer yet
        assert side.execute(show).scalar() == "on"  # the setting ended with its statement
    with db.write() as session:
        assert session.execute(show).scalar() == "on"
        assert move_pointer(session, "default", (1,)) == 9
        assert session.execute(show).scalar() == "off"
    with db.read() as session:
        assert session.execute(show).scalar() == "on"
        assert session.scalar(select(RoutePointer.position)) == 10
    db.dispose()


def _cut_every_connection_of(db: Database) -> None:
    """The server ends the pool's sessions, as a restart or an idle-timeout proxy would."""
    with psycopg.connect(db.url.replace("postgresql+psycopg://", "postgresql://")) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"  # gone on return
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.mark.postgres
def test_a_connection_idle_in_the_pool_is_checked_and_replaced_before_use(
    postgres_url: str,
) -> None:
    """Connections are pinged only after IDLE in the pool (storage/idle_ping.py): one cut
    while idle is replaced unseen; one cut just after use fails its one transaction, which
    is the round trip per transaction saved. Either way the next works."""
    db = Database(_fresh_postgres(postgres_url))
    with db.write() as session:
        session.execute(text("SELECT 1"))
    _cut_every_connection_of(db)
    time.sleep(IDLE + 0.2)
    with db.write() as session:  # pinged, found dead, replaced: the caller never knows
        assert session.execute(text("SELECT 1")).scalar() == 1
    _cut_every_connection_of(db)
    with pytest.raises(OperationalError), db.write() as session:  # used a moment ago: trusted
        session.execute(text("SELECT 1"))
    with db.write() as session:  # the failure refreshed the pool
        assert session.execute(text("SELECT 1")).scalar() == 1
    db.dispose()


@pytest.mark.postgres
def test_instances_starting_together_migrate_once(postgres_url: str) -> None:
    """Two instances started at once on a fresh PostgreSQL both ran the migrations and one
    crashed (`UniqueViolation … pg_type_typname_nsp_index`, 6 of 34 starts): they now take
    turns under an advisory lock, and the later ones find nothing to do. Processes, as
    deployed: Alembic's context is one per process."""
    env = {**os.environ, "DATABASE_URL": postgres_url}
    for round_ in range(3):
        _fresh_postgres(postgres_url)
        starts = [
            subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(3)
        ]
        outputs = [(p.wait(timeout=120), p.communicate()[0]) for p in starts]
        failed = [output for code, output in outputs if code != 0]
        assert failed == [], f"round {round_}: {failed[0][-2000:]}"
    db = Database(postgres_url)
    with db.read() as session:
        versions = session.execute(text("SELECT count(*) FROM alembic_version")).scalar_one()
    db.dispose()
    assert versions == 1


def _held_elsewhere(lock_path: str) -> bool:
    """Whether another open file (as another process would have) finds the lock taken."""
    fd = os.open(lock_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_sqlite_writers_of_every_process_queue_on_one_file_lock(sqlite_url: str) -> None:
    """`leadbot serve` and its delivery worker share the file: they must queue on a lock that
    wakes the next writer at once, not on SQLite's napping busy handler."""
    db = Database(sqlite_url)
    db.upgrade()
    lock_path = sqlite_url.removeprefix("sqlite:///") + ".lock"
    with db.write() as session:
        session.execute(text("SELECT 1"))
        assert _held_elsewhere(lock_path)
    assert not _held_elsewhere(lock_path)
    db.dispose()
    lock = SqliteWriteLock(lock_path.removesuffix(".lock"))
    with lock:
        with lock:  # the same thread again: reentrant, as the thread lock is
            pass
        assert _held_elsewhere(lock_path), "the inner hold must not drop the outer's lock"
    assert not _held_elsewhere(lock_path)


def test_sqlite_in_memory_has_no_lock_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a lock file named from an empty path would land here
    db = Database("sqlite://")
    with db.write() as session:
        session.execute(text("SELECT 1"))
    assert not list(tmp_path.iterdir())
