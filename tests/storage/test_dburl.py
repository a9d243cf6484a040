"""DATABASE_URL as hosts give it, and one line (never a traceback, never the password) for every
way it can be wrong: a bad URL, an unreachable server, a refused login, a missing database."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.vocabulary import ExitCode
from storage.db import Database
from storage.dburl import DatabaseProblem, explain, normalise

SECRET = "Zq9PWsecret"


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("postgres://u:p@db.example.com:5432/leads", "postgresql+psycopg://u:p@db.example.com:5432/leads"),
        ("postgresql://u:p@h/x?sslmode=require", "postgresql+psycopg://u:p@h/x?sslmode=require"),
        ("POSTGRES://u@h/x", "postgresql+psycopg://u@h/x"),
        ("postgresql+psycopg://u@h/x", "postgresql+psycopg://u@h/x"),
        ("sqlite:///leadbot.db", "sqlite:///leadbot.db"),
        ("not a url", "not a url"),
    ],
)  # fmt: skip
def test_the_forms_hosts_give_are_postgresql_through_psycopg(given_url: str, expected: str) -> None:
    assert normalise(given_url) == expected


def test_a_postgres_url_opens_psycopg_engines_without_connecting() -> None:
    db = Database("postgres://leadbot:pw@127.0.0.1:1/leadbot")
    try:
        assert db.engine.dialect.driver == "psycopg"
        assert not db.is_sqlite
        assert db.url.startswith("postgresql+psycopg://")
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "is not a database URL"),
        ("garbage", "is not a database URL"),
        ("postgresql://u:p@h:abc/x", "is not a database URL"),
        ("mysql://u:p@h/x", "does not support (mysql)"),
        ("postgresql://u:p@ss@127.0.0.1/x", "has a host that is not a host name"),
        ("postgresql://u:p@127.0.0.1:99999/x", "has port 99999"),
        ("sqlite://u:p@host/x.db", "is SQLite, which has no host or user"),
        ("sqlite:///a%00b.db", "NUL character"),
    ],
)
def test_a_url_that_cannot_be_used_says_why_without_the_password(url: str, words: str) -> None:
    with pytest.raises(DatabaseProblem) as caught:
        Database(url)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)
    assert ":p@" not in str(caught.value) and "ss@" not in str(caught.value)


def test_a_missing_driver_or_a_bad_option_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DatabaseProblem, match="driver that is not installed"):
        Database("postgresql+psycopg2://u:p@127.0.0.1/x")
    with pytest.raises(DatabaseProblem, match="could not convert string to float"):
        Database(f"sqlite:///{tmp_path / 'x.db'}?timeout=soon")


def test_an_unreachable_port_is_named_and_the_password_is_not(tmp_path: Path) -> None:
    port = _closed_port()
    url = f"postgres://leadbot:{SECRET}@127.0.0.1:{port}/leadbot"
    db = Database(url)
    with pytest.raises(Exception) as caught:
        db.upgrade()
    db.dispose()
    line = explain(caught.value, url, "DATABASE_URL")
    assert line == (
        f"cannot reach the PostgreSQL server at 127.0.0.1:{port}: connection refused (DATABASE_URL)"
    )


def test_a_sqlite_file_in_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gone' / 'leadbot.db'}"
    with pytest.raises(Exception) as caught:
        Database(url).upgrade()
    line = explain(caught.value, url, "DATABASE_URL")
    assert line is not None and "its folder is missing or not writable" in line


def test_an_error_of_a_statement_is_left_to_its_traceback(sqlite_url: str) -> None:
    """Only trouble with the database itself is explained; a bug keeps its traceback."""
    db = Database(sqlite_url)
    db.upgrade()
    with pytest.raises(Exception) as caught, db.write() as session:
        session.execute(text("SELECT * FROM leads WHERE no_such_column = 1"))
    db.dispose()
    assert explain(caught.value, sqlite_url) is None
    assert explain(ValueError("x"), sqlite_url) is None


@pytest.mark.postgres
def test_a_wrong_password_and_a_missing_database_against_postgresql(postgres_url: str) -> None:
    real = make_url(postgres_url)
    wrong = real.set(password=SECRET).render_as_string(hide_password=False)
    line = _failure_of(wrong)
    assert line.startswith(f"the PostgreSQL server at {real.host}:{real.port or 5432} refused")
    assert "user 'leadbot' and its password (DATABASE_URL)" in line
    missing = real.set(database="leadbot_no_such_db").render_as_string(hide_password=False)
    assert _failure_of(missing).endswith("has no database 'leadbot_no_such_db' (DATABASE_URL)")


def _failure_of(url: str) -> str:
    db = Database(url)
    with pytest.raises(Exception) as caught:
        db.upgrade()
    db.dispose()
    line = explain(caught.value, url, "DATABASE_URL")
    assert line is not None and SECRET not in line and "\n" not in line
    return line


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Hosts that answer at once: no name to look up (a resolver may take seconds to say no).
HOSTS = ["127.0.0.1", "localhost", "[::1]", "", "127.0.0.1:1", "127.0.0.1:0", "127.0.0.1:x"]
# No NUL: an environment variable cannot hold one.
GARBAGE = st.text(st.characters(codec="utf-8", exclude_characters="/\\\x00"), max_size=12)


@st.composite
def database_urls(draw: st.DrawFn) -> str:
    """URLs shaped like DATABASE_URL, each part possibly garbage, the password marked."""
    scheme = draw(st.sampled_from(
        ["postgres", "postgresql", "postgresql+psycopg", "postgresql+nope", "sqlite", "mysql",
         "", "http", "sqlite+pysqlite"]) | GARBAGE)  # fmt: skip
    user = draw(st.sampled_from(["leadbot", "", "a:b", "a@b"]) | GARBAGE)
    password = SECRET + draw(GARBAGE)
    host = draw(st.sampled_from(HOSTS))
    database = draw(st.sampled_from(["leadbot", "x.db", "", ":memory:"]) | GARBAGE)
    query = draw(st.sampled_from(["", "?sslmode=bogus", "?timeout=x", "?foo=bar", "?a"]))
    userinfo = draw(st.sampled_from([f"{user}:{password}@", f":{password}@"]))
    return f"{scheme}://{userinfo}{host}/{database}{query}"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(url=database_urls())
def test_no_database_url_gives_a_traceback_or_shows_its_password(
    url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # a URL that is a fine SQLite file is created here
    monkeypatch.setenv("DATABASE_URL", url)
    code = main(["db", "upgrade"])
    out, err = capsys.readouterr()
    assert code in (ExitCode.OK, ExitCode.DATABASE), err
    assert SECRET not in out + err
    if code == ExitCode.DATABASE:
        assert len(err.strip().splitlines()) == 1, err
        assert "DATABASE_URL" in err and "Traceback" not in err
