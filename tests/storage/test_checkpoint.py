"""SQLite's WAL is checkpointed by a thread of its own in the long-running processes
(storage/checkpoint.py), not by the commits: a commit no longer pays for everyone's pages."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from sqlalchemy import text

from storage.checkpoint import FALLBACK_PAGES
from storage.db import Database


def _in_the_main_file(path: Path) -> int:
    """Rows of the table as the database file alone holds them (the WAL not read): 0 when
    not even the table has reached it."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as conn:
        known = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'").fetchone()
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0]) if known[0] else 0


def test_the_thread_copies_the_wal_back_and_the_commits_do_not(tmp_path: Path) -> None:
    path = tmp_path / "leadbot.db"
    db = Database(f"sqlite:///{path}")
    try:
        with db.write() as session:
            session.execute(text("CREATE TABLE t (n INTEGER)"))
        db.checkpoint_in_background()
        with db.write() as session:
            threshold = session.execute(text("PRAGMA wal_autocheckpoint")).scalar()
            session.execute(text("INSERT INTO t VALUES (1), (2), (3)"))
        assert threshold == FALLBACK_PAGES
        deadline = time.monotonic() + 10
        while _in_the_main_file(path) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _in_the_main_file(path) == 3  # copied by the thread: no commit crossed 10,000
    finally:
        db.dispose()


def test_without_it_a_small_write_stays_in_the_wal(tmp_path: Path) -> None:
    """The check above can fail: the same rows, no thread, stay out of the main file."""
    path = tmp_path / "leadbot.db"
    db = Database(f"sqlite:///{path}")
    try:
        with db.write() as session:
            session.execute(text("CREATE TABLE t (n INTEGER)"))
            session.execute(text("INSERT INTO t VALUES (1), (2), (3)"))
        time.sleep(1.5)
        assert _in_the_main_file(path) == 0
    finally:
        db.dispose()
