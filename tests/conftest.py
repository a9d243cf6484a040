"""Shared fixtures: a real fake-Slack over HTTP, a real database file, the real app on a port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from bot.app import LeadbotApp, create_app
from bot.clock import Clock, FixedClock
from bot.config.load import parse_config
from bot.config.schema import Config
from bot.delivery.outbox import RetryPolicy
from bot.fakeslack.server import FakeSlack
from bot.settings import Settings
from tests.fakes.harness import Harness

pytest_plugins = ("tests.crash_dumps",)

# No deadline: a timed assertion fails on a busy CI machine, not on a bug (slowness is measured in
# bench/). "thorough" (HYPOTHESIS_PROFILE=thorough) is for hunting before a change lands.
hypothesis_settings.register_profile("leadbot", deadline=None)
hypothesis_settings.register_profile("thorough", deadline=None, max_examples=2000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "leadbot"))

POSTGRES_MODE = os.environ.get("LEADBOT_TEST_POSTGRES", "auto")  # auto | required | off
POSTGRES_URL = os.environ.get(
    "LEADBOT_TEST_POSTGRES_URL", "postgresql+psycopg://leadbot:leadbot@127.0.0.1:5432/leadbot_test"
)
SIGNING_SECRET = "test-signing-secret"
INTAKE_TOKEN = "test-intake-token"

BASE_CONFIG: dict[str, Any] = {
    "timezone": "America/New_York",
    "business_hours": "always",
    "channels": {"leads": "C0LEADS", "queue": "C0QUEUE", "managers": "C0MGRS"},
    "managers": [{"id": "U0MAYA", "name": "Maya"}],
    "admins": ["U0MAYA"],
    "reps": [
        {"id": "U0ALICE", "name": "Alice", "timezone": "Europe/Berlin", "manager": "U0MAYA"},
        {"id": "U0BO", "name": "Bo", "timezone": "America/New_York", "manager": "U0MAYA"},
        {"id": "U0CHEN", "name": "Chen", "timezone": "Asia/Singapore", "manager": "U0MAYA"},
    ],
    "scheduler": {"tick": "1s"},
    # Slack's real pace (one post a second per channel) would make a test of 30 leads wait 30 s
    # for #leads; the pacing tests (tests/delivery/test_delivery_core.py) set their own.
    "delivery": {"post_per_channel": 20, "tier3_per_minute": 600},
    # Off: a running scheduler would send the weekly digests on a Monday morning, in the middle
    # of a test about something else. tests/review/test_digest_send.py turns them on.
    "digest": {"enabled": False},
}


def make_config(**overrides: Any) -> Config:
    """BASE_CONFIG with top-level sections replaced by `overrides`, validated as leadbot.yml is."""
    return parse_config({**BASE_CONFIG, **overrides}, source="test")


def _postgres_unavailable() -> str | None:
    if POSTGRES_MODE == "off":
        return "LEADBOT_TEST_POSTGRES=off"
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except (OperationalError, ImportError) as err:
        return f"no PostgreSQL at {POSTGRES_URL.split('@')[-1]} ({type(err).__name__})"
    return None


def _worker_database(url: str, worker: str) -> str:
    """`url` for this pytest-xdist worker: its own database beside the named one (created the first
    time, which needs CREATEDB), because every PostgreSQL test empties its schema first and two
    workers emptying one schema would pull it from under each other."""
    if worker == "master":
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url(worker_id: str) -> str:
    """The PostgreSQL test database's URL, as is (`database_url` empties it first); under xdist,
    the worker's own database. Without a server the test is skipped, or fails under
    LEADBOT_TEST_POSTGRES=required."""
    reason = _postgres_unavailable()
    if reason:
        if POSTGRES_MODE == "required":
            pytest.fail(f"LEADBOT_TEST_POSTGRES=required but {reason}")
        pytest.skip(f"PostgreSQL test skipped: {reason}")
    return _worker_database(POSTGRES_URL, worker_id)


def _fresh_postgres(url: str) -> str:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs on a real SQLite file and, where available, on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'leadbot.db'}"
    return _fresh_postgres(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file in the test's temporary directory: for tests that run on SQLite only."""
    return f"sqlite:///{tmp_path / 'leadbot.db'}"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A running fake Slack Web API on a free port, stopped at teardown."""
    with FakeSlack() as fake:
        yield fake


FAST_RETRY = RetryPolicy(base=timedelta(milliseconds=50), cap=timedelta(milliseconds=200))


def bot_settings(fake: FakeSlack, database_url: str, **overrides: Any) -> Settings:
    """The tests' settings: the fake Slack, the test database, the test secrets."""
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.url,
        "database_url": database_url,
        "intake_token": INTAKE_TOKEN,
    }
    return Settings(**{**values, **overrides})


def start_bot(
    fake: FakeSlack,
    database_url: str,
    config: Config | None = None,
    *,
    clock: Clock | None = None,
    settings_overrides: dict[str, Any] | None = None,
) -> Harness:
    """The real app on a port. With a `clock`, only the dispatcher runs: tests drive the sweep."""
    settings = bot_settings(fake, database_url, **(settings_overrides or {}))
    app: LeadbotApp = create_app(settings, config or make_config(), clock=clock, retry=FAST_RETRY)
    if clock is None:
        app.start_workers()
    else:
        app.services.dispatcher.start()
    app.serve_in_thread()
    return Harness(app, fake, SIGNING_SECRET, INTAKE_TOKEN)


@pytest.fixture
def bot(fake_slack: FakeSlack, database_url: str) -> Iterator[Harness]:
    """The real app on the system clock with every worker running, on SQLite and PostgreSQL."""
    harness = start_bot(fake_slack, database_url)
    yield harness
    harness.app.stop()


# -- a virtual clock and a bot on it -------------------------------------------------------------
CLOCK_START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday: 10:00 in New York


@pytest.fixture
def clock_start() -> datetime:
    """Where `clock` starts: an aware UTC datetime. A module or folder that needs another moment
    defines its own `clock_start` fixture."""
    return CLOCK_START


@pytest.fixture
def clock(clock_start: datetime) -> FixedClock:
    """A virtual clock standing at `clock_start`; it moves only when the test moves it."""
    return FixedClock(clock_start)


@pytest.fixture
def bot_config() -> Config:
    """The config `timed_bot` runs with: `make_config()`, unless a module or folder overrides it."""
    return make_config()


@pytest.fixture
def timed_bot(
    fake_slack: FakeSlack, database_url: str, bot_config: Config, clock: FixedClock
) -> Iterator[Harness]:
    """The real app on the virtual `clock`, on SQLite and PostgreSQL. Only the dispatcher runs:
    the test drives the sweep and the App Home refresher. Stopped at teardown."""
    harness = start_bot(fake_slack, database_url, bot_config, clock=clock)
    yield harness
    harness.app.stop()


class MakeBot(Protocol):
    def __call__(
        self, config: Config | None = None, *, url: str | None = None, clock: Clock | None = None
    ) -> Harness: ...


@pytest.fixture
def make_bot(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[MakeBot]:
    """Starts bots on demand against `fake_slack`: `make_bot(config, url=..., clock=...)` (see
    `start_bot`). `url` defaults to the test's SQLite file; pass `url=database_url` to run on
    both databases. Every bot it started is stopped at teardown."""
    started: list[Harness] = []

    def make(
        config: Config | None = None, *, url: str | None = None, clock: Clock | None = None
    ) -> Harness:
        harness = start_bot(fake_slack, url or sqlite_url, config, clock=clock)
        started.append(harness)
        return harness

    yield make
    for harness in reversed(started):
        harness.app.stop()
