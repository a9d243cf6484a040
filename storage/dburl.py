"""Database URLs as hosts give them, and what went wrong with one, in one line.

Hosting providers hand out `postgres://…` or `postgresql://…`; SQLAlchemy reads the first as an
unknown dialect and the second as psycopg2, which leadbot does not install: both mean
PostgreSQL through psycopg 3. Every message here is a single line that never holds the URL's
password (nor a query option that carries one): it is printed, and may be logged.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, InternalError, OperationalError

SUPPORTED = ("postgresql", "sqlite")
EXAMPLES = "postgresql://user:password@host:5432/leadbot or sqlite:///leadbot.db"
# What a host or database name may look like for us to repeat it: a URL mangled by an
# unescaped `@` or `/` in its password puts pieces of the password there.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,200}")
_SAFE_HOST = re.compile(r"[A-Za-z0-9_.\-]{1,253}|[0-9A-Fa-f:.]{2,45}")
# The driver's words for each kind of trouble (psycopg reports no SQLSTATE when connecting).
_UNREACHABLE = (
    "connection refused",
    "timeout expired",
    "timed out",
    "failed to resolve host",
    "could not translate host name",
    "name or service not known",
    "network is unreachable",
    "no route to host",
    "server closed the connection",
    "connection reset",
    "no such file or directory",  # a Unix socket that is not there
)
# SQLite's words for trouble with the file itself, not with a statement.
_SQLITE_FILE_TROUBLE = (
    "unable to open database file",
    "no such table",
    "database is locked",
    "readonly database",
    "disk i/o error",
    "file is not a database",
    "malformed",
    "database or disk is full",
)
_REFUSED_LOGIN = (
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    "no pg_hba.conf entry",
    "does not exist",  # a role; a missing database is caught first
)


class DatabaseProblem(Exception):
    """A database URL leadbot cannot use: one line, no password, said of the URL ("is not a
    database URL"), so that the caller puts the URL's name in front (`explain`)."""


def normalise(url: str) -> str:
    """`postgres://` and `postgresql://` as PostgreSQL through psycopg 3; anything else as is."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    backend, plus, driver = scheme.partition("+")
    if backend.lower() in ("postgres", "postgresql"):
        return f"postgresql+{driver if plus else 'psycopg'}://{rest}"
    return url


def parse(url: str) -> URL:
    """The URL leadbot will open, or DatabaseProblem saying what is wrong with it."""
    try:
        parsed = make_url(normalise(url.strip()))
    except Exception:  # ArgumentError, or ValueError for a port that is not a number
        raise DatabaseProblem(f"is not a database URL (expected e.g. {EXAMPLES})") from None
    parts = (parsed.database, parsed.host, parsed.username, parsed.password)
    if "\x00" in url or any("\x00" in part for part in parts if part):
        raise DatabaseProblem("holds a NUL character (%00): not a database URL")
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        named = f" ({backend})" if _SAFE_NAME.fullmatch(backend) else ""
        raise DatabaseProblem(f"names a database leadbot does not support{named}: {EXAMPLES}")
    if backend == "postgresql":
        _check_server_parts(parsed)
    elif parsed.host or parsed.username or parsed.password:
        raise DatabaseProblem("is SQLite, which has no host or user: sqlite:///path/to/leadbot.db")
    return parsed


def _check_server_parts(url: URL) -> None:
    host = url.host or ""
    if host and not _SAFE_HOST.fullmatch(host):
        raise DatabaseProblem(
            "has a host that is not a host name: write @ / : ? # in the password as "
            "%40 %2F %3A %3F %23"
        )
    if url.port is not None and not 0 < url.port < 65536:
        raise DatabaseProblem(f"has port {url.port}: a port is 1 to 65535")


def require_existing(url: str) -> None:
    """For a command that only reads leadbot's database: a SQLite file that is not there is
    said so (DatabaseProblem), never created empty to find nothing in it."""
    parsed = parse(url)
    sqlite = parsed.get_backend_name() == "sqlite" and parsed.database
    if sqlite and not Path(parsed.database or "").is_file():
        raise DatabaseProblem(
            f"names {where(parsed)}, which does not exist: there is no leadbot database there "
            "(is this the folder leadbot runs in?)"
        )


def where(url: URL) -> str:
    """The server (`host:port`) or the SQLite file a message may name."""
    if url.get_backend_name() == "sqlite":
        return f"the SQLite file {url.database!r}" if url.database else "an in-memory SQLite"
    return f"the PostgreSQL server at {url.host or 'localhost'}:{url.port or 5432}"


def explain(err: BaseException, url: str, name: str = "the database URL") -> str | None:
    """One line for a database failure leadbot cannot go on without, naming the URL as `name`
    (None: not such a failure, but a bug to show with its traceback). A statement's own error
    is not this module's business: only failures to connect, and trouble with the server or
    the file itself."""
    if isinstance(err, DatabaseProblem):
        return f"{name} {err}"
    if not isinstance(err, DBAPIError):
        return None
    connecting = err.statement is None  # SQLAlchemy's errors while opening a connection
    if not (connecting or isinstance(err, (OperationalError, InterfaceError, InternalError))):
        missing = _missing_schema(err)
        return None if missing is None else f"the database of {name} {missing}"
    try:
        parsed = parse(url)
    except DatabaseProblem as problem:
        return f"{name} {problem}"
    words = _driver_words(err, parsed)
    if parsed.get_backend_name() == "sqlite" and not connecting and not _file_trouble(words):
        return None  # SQLite reports a statement's mistakes as OperationalError too
    return f"{_classify(words, parsed, connecting)} ({name})"


def _file_trouble(words: str) -> bool:
    return any(mark in words.lower() for mark in _SQLITE_FILE_TROUBLE)


def _classify(words: str, url: URL, connecting: bool) -> str:
    lower = words.lower()
    place = where(url)
    if url.get_backend_name() == "sqlite":
        if "unable to open database file" in lower:
            return f"cannot open {place}: its folder is missing or not writable"
        if "no such table" in lower:
            return f"{place} has no leadbot tables yet: run `leadbot db upgrade`"
        return f"{place} failed: {words}"
    if "database" in lower and "does not exist" in lower:
        name = url.database if url.database and _SAFE_NAME.fullmatch(url.database) else None
        return f"{place} has no database {name!r}" if name else f"{place} has no such database"
    if any(mark in lower for mark in _REFUSED_LOGIN):
        user = url.username if url.username and _SAFE_NAME.fullmatch(url.username) else None
        who = f"user {user!r} and its password" if user else "the user and password"
        return f"{place} refused {who}"
    if any(mark in lower for mark in _UNREACHABLE):
        return f"cannot reach {place}: {_reason(lower)}"
    if connecting:
        return f"cannot connect to {place}: {words}"
    return f"{place} failed: {words}"


def _reason(lower: str) -> str:
    for mark in _UNREACHABLE:
        if mark in lower:
            return mark
    return "unreachable"


def _missing_schema(err: DBAPIError) -> str | None:
    """PostgreSQL's undefined table (42P01) or insufficient privilege (42501)."""
    state = getattr(err.orig, "sqlstate", None)
    if state == "42P01":
        return "has no leadbot tables yet: run `leadbot db upgrade`"
    if state == "42501":
        return "the database user lacks a privilege leadbot needs (see the server's log)"
    return None


def _driver_words(err: DBAPIError, url: URL) -> str:
    """The driver's first line, without SQLAlchemy's prefix and without any secret."""
    text = str(err.orig) if err.orig is not None else str(err)
    line = next((part.strip() for part in text.splitlines() if part.strip()), type(err).__name__)
    line = re.sub(r"^connection (failed|is bad): ", "", line)
    line = re.sub(r'^connection to server at "[^"]*", port \d+ failed: ', "", line)
    line = line.removeprefix("FATAL:").strip()
    for secret in _secrets(url):
        line = line.replace(secret, "***")
    return line[:300]


def _secrets(url: URL) -> list[str]:
    found = [url.password] if url.password else []
    for key, value in url.query.items():
        if "pass" in key.lower() or "secret" in key.lower():
            found.extend([value] if isinstance(value, str) else list(value))
    return [str(secret) for secret in found if secret]


def unusable(err: Exception, url: str) -> DatabaseProblem:
    """A URL that parsed but that SQLAlchemy or the driver will not open (a missing driver, an
    option of the wrong kind), as a DatabaseProblem."""
    if isinstance(err, ImportError):
        return DatabaseProblem(
            "needs a database driver that is not installed: for PostgreSQL, "
            "pip install 'leadbot[postgres]' and write postgresql://…"
        )
    parsed = make_url(url)
    words = next((line for line in str(err).splitlines() if line.strip()), type(err).__name__)
    for secret in _secrets(parsed):
        words = words.replace(secret, "***")
    return DatabaseProblem(f"has a value the database driver cannot use: {words[:200]}")
