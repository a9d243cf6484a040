"""Engines and transactions.

SQLite allows one writer: write transactions start with `BEGIN IMMEDIATE` so concurrent writers
queue on the busy timeout instead of failing with "database is locked" half way through.
Reads use a second engine with the default deferred BEGIN so they never wait for a writer (WAL).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, func, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from storage import dburl
from storage.checkpoint import FALLBACK_PAGES, Checkpointer
from storage.idle_ping import ping_when_idle

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
CONNECT_S = 10  # PostgreSQL: seconds to wait for a server that does not answer
# Engines are made with hide_parameters: an error's message then names the statement but not
# its values, which hold leads' emails and phones, and errors are logged.
MIGRATION_LOCK = 0x6C656164_626F7401  # any fixed bigint: "leadbot" and 1, the migrations' lock
# Trouble with the database itself (unreachable, read-only, full, shutting down; PostgreSQL's
# read-only transaction is an InternalError), not a statement leadbot got wrong.
TROUBLE = (OperationalError, InterfaceError, InternalError)


def _sqlite_engine(url: str, *, immediate: bool, pages: list[int] | None = None) -> Engine:
    """`pages`: the connections' `wal_autocheckpoint`, read as each opens (storage/checkpoint.py
    raises it); None: SQLite's default."""
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if pages:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(pages[0])}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgresql_engine(url: str, *, overflow: int) -> Engine:
    # libpq waits for an unanswered server as long as TCP does (minutes): a start-up against a
    # host that drops packets should fail in seconds, saying so, unless the URL says otherwise.
    timeout = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": CONNECT_S}
    engine = create_engine(
        url, pool_size=10, max_overflow=overflow, hide_parameters=True, connect_args=timeout
    )
    ping_when_idle(engine)  # not `pool_pre_ping`: a round trip per transaction (idle_ping.py)
    return engine


# In routing's move of a pool pointer (a statement on its own, `Database.brief`): its transaction
# then commits without waiting for its WAL to reach the disk. It is always followed by its
# intake's own commit, which does wait, and a commit made durable makes every commit
# written before it durable too (the WAL is flushed up to that point). So the pointer is as
# durable as the lead it placed, and intakes of one pool no longer hold its row lock through a
# disk flush each (on the bench machine a flush measured 0.8 ms p50 and 4.9 ms p99 one day, next
# to nothing another). A pointer move whose lead then failed may be lost in a crash: the next
# lead goes to that rep instead, and nothing else depends on it. `set_config(…, true)` is `SET
# LOCAL`: a session-wide setting would leak to other clients' transactions behind a
# transaction-pooling PgBouncer. Inside that statement, not one of its own: one round trip less
# for every lead (bench/README.md).
COMMIT_WITHOUT_WAITING = func.set_config("synchronous_commit", "off", True)


def _autocommit(engine: Engine) -> Engine:
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _plain_connect_errors(engine: Engine, url: str) -> None:
    """The driver's own refusal of a value (not a database error, so SQLAlchemy passes it on
    as a bare ValueError) becomes a DatabaseProblem: one line for the user, no traceback."""

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except (ValueError, TypeError, OverflowError) as err:
            raise dburl.unusable(err, url) from None


class SqliteWriteLock:
    """This process's SQLite writers queue on a lock of their own, and processes sharing the
    file (`leadbot serve` and its delivery worker, bot/worker/) on an `flock` of a file beside
    it: SQLite's busy handler sleeps in steps of up to 100 ms while another connection holds the
    write lock, where a waiter on these locks is woken the moment it is free. Reentrant, as the
    thread lock is: only the outermost hold takes and drops the file lock."""

    def __init__(self, database_path: str | None) -> None:
        self.path = f"{database_path}.lock" if database_path else None
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._fd_pid = 0  # a descriptor inherited through fork shares its lock: reopen

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        self._depth += 1
        if self._depth == 1 and (fd := self._file()) is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._depth == 1 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._depth -= 1
            self._thread_lock.release()

    def _file(self) -> int | None:
        if self.path is None:
            return None
        if self._fd is None or self._fd_pid != os.getpid():
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:  # a read-only directory: SQLite's own lock still guards the file
                self._fd = None
            self._fd_pid = os.getpid()
        return self._fd


def sqlite_sender_lock(url: str) -> str | None:
    """The file whose `flock` the one process sending from a SQLite database holds for its life
    (`bot/worker/`); None for PostgreSQL, where senders share rows by lease."""
    if make_url(url).get_backend_name() != "sqlite":
        return None
    path = _sqlite_file(url)
    return f"{path}.sender.lock" if path else None


def _sqlite_file(url: str) -> str | None:
    database = make_url(url).database
    return None if database in (None, "", ":memory:") else database


class Database:
    """The two session factories the services use: `write()` and `read()`. A URL that cannot be
    used raises `dburl.DatabaseProblem` (one line, no password); `postgres://` is PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = dburl.normalise(url.strip())
        self.is_sqlite = dburl.parse(self.url).get_backend_name() == "sqlite"
        try:
            self._open_engines()
        except Exception as err:  # a missing driver, an option of the wrong type
            raise dburl.unusable(err, self.url) from None
        self._write_lock: AbstractContextManager[object] = (
            SqliteWriteLock(_sqlite_file(self.url)) if self.is_sqlite else nullcontext()
        )
        # In every write session's `Session.info`: what the app watching its commits needs
        # (bot/leads/changes.py finds the observer of lead changes there).
        self.session_info: dict[str, Any] = {}
        self._write = sessionmaker(self.engine, expire_on_commit=False, info=self.session_info)
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)
        # PostgreSQL: a read's statements each on their own. At READ COMMITTED a transaction
        # gives its statements no shared snapshot (each takes its own), so BEGIN and COMMIT were
        # two round trips that bought nothing: a DM card's plan is one read (bench/README.md).
        # SQLite: a read transaction, whose statements do share one snapshot.
        self._glance = (
            self._read
            if self.autocommit_engine is None
            else sessionmaker(self.autocommit_engine, expire_on_commit=False)
        )
        self._brief = (
            None
            if self.brief_engine is None
            else sessionmaker(_autocommit(self.brief_engine), expire_on_commit=False)
        )

    def _open_engines(self) -> None:
        self._checkpointer: Checkpointer | None = None
        self._autocheckpoint: list[int] = []  # empty: SQLite's default
        if self.is_sqlite:
            self.engine = _sqlite_engine(self.url, immediate=True, pages=self._autocheckpoint)
            self.read_engine = _sqlite_engine(self.url, immediate=False)
            self.brief_engine: Engine | None = None
            self.autocommit_engine: Engine | None = None
        else:
            self.engine = _postgresql_engine(self.url, overflow=20)
            self.read_engine = self.engine
            # The main pool, each statement on its own: reads, and the outbox's lease.
            self.autocommit_engine = _autocommit(self.engine)
            # Its own pool: a brief statement (the pointer's move) runs while a write
            # transaction holds a connection, so drawing both from one pool could leave every
            # thread waiting; as large as the main one, or each intake would open one of its own.
            self.brief_engine = _postgresql_engine(self.url, overflow=30)
        second = self.read_engine if self.is_sqlite else self.brief_engine
        for engine in (self.engine, second):
            if engine is not None:
                _plain_connect_errors(engine, self.url)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on any error."""
        # SQLite's busy handler naps while another connection writes: see SqliteWriteLock.
        with self._write_lock, self._write() as session, session.begin():
            yield session

    @contextmanager
    def scratch(self) -> Iterator[Session]:
        """A write transaction that is always rolled back: for dry runs that must see their own
        earlier steps (a batch of leads taking turns) and leave nothing behind."""
        with self._write_lock, self._write() as session:
            session.begin()
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def brief(self) -> Iterator[Session]:
        """Writes beside an open transaction, each statement on its own, committed at once
        (PostgreSQL only: on SQLite it would wait for the open one). Routing moves a pool's
        pointer with one, which carries COMMIT_WITHOUT_WAITING."""
        assert self._brief is not None, "brief statements are for PostgreSQL"
        with self._brief() as session, session.begin():
            yield session

    @property
    def has_brief(self) -> bool:
        return self.brief_engine is not None

    @contextmanager
    def read(self, *, stream: bool = False) -> Iterator[Session]:
        """Reads. On PostgreSQL each statement on its own (see `_glance`); `stream`: in a
        transaction after all, as a server-side cursor (`yield_per`) needs."""
        factory = self._read if stream else self._glance
        with factory() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision (idempotent). On PostgreSQL the
        migrations run in one transaction under an advisory lock: instances started together
        take turns (each would otherwise create the same tables, and all but one crash), and
        the later ones find the schema current."""
        if self._at_newest_revision():
            return
        from alembic import command  # only with a migration to run: see below

        cfg = alembic_config(self.url)
        if self.is_sqlite:
            with self.read_engine.connect():  # a file that cannot be opened says so here
                pass
            command.upgrade(cfg, "head")
            return
        with self.engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")

    def _at_newest_revision(self) -> bool:
        """The schema is current: nothing for Alembic to do, so it is not even imported (with
        its script directory, about 80 ms of every start on this machine, and a restart after
        a crash delivers nothing until it is up). Any doubt (no table yet, a file that cannot
        be opened) is Alembic's to settle."""
        try:
            with self.read_engine.connect() as connection:
                found = connection.execute(text("SELECT version_num FROM alembic_version"))
                return list(found.scalars()) == [newest_revision()]
        except (OperationalError, ProgrammingError):
            return False

    def insert(self, table: Any) -> Any:
        """The dialect's INSERT, which has `on_conflict_do_nothing` / `_do_update`: an upsert
        holds where a read-then-write races another instance."""
        return sqlite_insert(table) if self.is_sqlite else postgresql_insert(table)

    def checkpoint_in_background(self) -> None:
        """SQLite: checkpoints by a thread of their own, not by whichever commit crosses the
        threshold (storage/checkpoint.py); for the long-running processes. Elsewhere: nothing."""
        path = _sqlite_file(self.url) if self.is_sqlite else None
        if path is None or self._checkpointer is not None:
            return
        self._autocheckpoint[:] = [FALLBACK_PAGES]
        self.engine.dispose()  # its next connections open with the raised threshold
        self._checkpointer = Checkpointer(path)
        self._checkpointer.start()

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
        if self.brief_engine is not None:
            self.brief_engine.dispose()


def newest_revision() -> str:
    """The newest migration's revision, from the file names: each is `NNNN_what.py` with
    revision "NNNN", revising the one before it, in one line (tests/storage/test_db.py holds
    Alembic's own head to this)."""
    names = sorted(path.name for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py"))
    return names[-1].split("_", 1)[0]


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig  # only when one runs: see upgrade

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' is ConfigParser's interpolation character; passwords may contain it.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg
