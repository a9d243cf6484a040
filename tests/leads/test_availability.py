"""Availability (bot/leads/availability.py) on an injected clock: `/leads away` choices become
exact UTC moments, mornings at 9:00 on the rep's own wall clock whatever DST does in between,
and the rep's local date (not UTC's) decides what "today" is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import FixedClock, as_utc
from bot.leads.availability import (
    Availability,
    AwayChoice,
    AwayRefused,
    NextWeekday,
    OnDate,
    Tomorrow,
)
from storage.db import Database
from storage.models import RepAway
from tests.conftest import make_config

REPS = [
    {"id": "U0NY", "name": "Nia", "timezone": "America/New_York"},
    {"id": "U0LDN", "name": "Leo", "timezone": "Europe/London"},
    {"id": "U0SYD", "name": "Sid", "timezone": "Australia/Sydney"},
]
FRIDAY, SUNDAY, MONDAY, WEDNESDAY = NextWeekday(4), NextWeekday(6), NextWeekday(0), NextWeekday(2)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    # The date arithmetic is the subject here: SQLite only (the signed `/leads away` tests in
    # tests/handlers/test_commands.py store on both databases).
    database = Database(sqlite_url)
    database.upgrade()
    yield database
    database.dispose()


def away(db: Database, now: datetime, rep: str, choice: AwayChoice | None) -> datetime | None:
    """`set_away` at `now`, checked against what it stored."""
    until = Availability(db, make_config(reps=REPS), FixedClock(now)).set_away(rep, choice)
    with db.read() as session:
        stored = session.get(RepAway, rep)
        assert stored is not None
        assert (stored.until and as_utc(stored.until)) == until
    return until


@pytest.mark.parametrize(
    ("now", "rep", "choice", "until"),
    [
        # Wed 25 Nov, 10:00 in New York: Friday 9:00 EST.
        (utc(2026, 11, 25, 15), "U0NY", FRIDAY, utc(2026, 11, 27, 14)),
        # Fri 6 Mar: Sunday 8 Mar is the day DST starts, so 9:00 is EDT (UTC-4), not EST.
        (utc(2026, 3, 6, 15), "U0NY", SUNDAY, utc(2026, 3, 8, 13)),
        # Fri 30 Oct: DST ended on 1 Nov, so Monday's 9:00 is EST (UTC-5).
        (utc(2026, 10, 30, 14), "U0NY", MONDAY, utc(2026, 11, 2, 14)),
        # Friday on a Friday is next week's.
        (utc(2026, 11, 27, 15), "U0NY", FRIDAY, utc(2026, 12, 4, 14)),
        # A date in London, asked after BST ended (09:00 GMT) and before (still 09:00 GMT then).
        (utc(2026, 10, 30, 12), "U0LDN", OnDate(date(2026, 11, 2)), utc(2026, 11, 2, 9)),
        (utc(2026, 10, 23, 12), "U0LDN", OnDate(date(2026, 10, 26)), utc(2026, 10, 26, 9)),
        # Tomorrow and durations are as before.
        (utc(2026, 3, 7, 15), "U0NY", Tomorrow(), utc(2026, 3, 8, 13)),
        (utc(2026, 11, 25, 15), "U0NY", timedelta(hours=2), utc(2026, 11, 25, 17)),
        (utc(2026, 11, 25, 15), "U0NY", None, None),
    ],
)
def test_away_until_is_9_00_on_the_reps_wall_clock(
    db: Database, now: datetime, rep: str, choice: AwayChoice | None, until: datetime | None
) -> None:
    assert away(db, now, rep, choice) == until


# Tue 24 Nov in UTC, but already Wed 25 Nov 00:30 in Sydney (AEDT, UTC+11).
SYDNEY_AFTER_MIDNIGHT = utc(2026, 11, 24, 13, 30)
SYDNEY_BEFORE_MIDNIGHT = utc(2026, 11, 24, 12, 59)  # 23:59 on Tue 24 Nov in Sydney


@pytest.mark.parametrize(
    ("now", "choice", "until"),
    [
        # Wednesday has begun in Sydney: the next Wednesday is a week away, not UTC's tomorrow.
        (SYDNEY_AFTER_MIDNIGHT, WEDNESDAY, utc(2026, 12, 1, 22)),
        (SYDNEY_AFTER_MIDNIGHT, OnDate(date(2026, 11, 26)), utc(2026, 11, 25, 22)),
        (SYDNEY_AFTER_MIDNIGHT, Tomorrow(), utc(2026, 11, 25, 22)),
        # A minute earlier it is still Tuesday there: Wednesday is in nine hours.
        (SYDNEY_BEFORE_MIDNIGHT, WEDNESDAY, utc(2026, 11, 24, 22)),
        (SYDNEY_BEFORE_MIDNIGHT, OnDate(date(2026, 11, 25)), utc(2026, 11, 24, 22)),
    ],
)
def test_the_reps_local_date_decides_today(
    db: Database, now: datetime, choice: AwayChoice, until: datetime
) -> None:
    assert away(db, now, "U0SYD", choice) == until


@pytest.mark.parametrize(
    ("now", "rep", "day", "message"),
    [
        (
            utc(2026, 11, 25, 15),
            "U0NY",
            date(2026, 11, 20),
            "2026-11-20 is in the past: give a later date, e.g. 2026-11-26",
        ),
        (
            utc(2026, 11, 25, 15),
            "U0NY",
            date(2026, 11, 25),
            "2026-11-25 is today: give a later date, e.g. 2026-11-26, or a duration",
        ),
        # Still 24 Nov in UTC, but 25 Nov, today, in Sydney.
        (
            SYDNEY_AFTER_MIDNIGHT,
            "U0SYD",
            date(2026, 11, 25),
            "2026-11-25 is today: give a later date, e.g. 2026-11-26, or a duration",
        ),
        (
            utc(2026, 11, 25, 15),
            "U0NY",
            date(2027, 11, 26),
            "2027-11-26 is more than a year ahead: give a date up to 2027-11-25, or just "
            "`/leads away` (until `/leads back`)",
        ),
        # 29 February's year ends on 28 February.
        (
            utc(2028, 2, 29, 15),
            "U0NY",
            date(2029, 3, 1),
            "2029-03-01 is more than a year ahead: give a date up to 2029-02-28, or just "
            "`/leads away` (until `/leads back`)",
        ),
    ],
)
def test_a_date_not_ahead_is_refused_and_nothing_is_stored(
    db: Database, now: datetime, rep: str, day: date, message: str
) -> None:
    availability = Availability(db, make_config(reps=REPS), FixedClock(now))
    with pytest.raises(AwayRefused) as err:
        availability.set_away(rep, OnDate(day))
    assert str(err.value) == message
    with db.read() as session:
        assert session.get(RepAway, rep) is None


def test_a_date_exactly_a_year_ahead_is_accepted(db: Database) -> None:
    assert away(db, utc(2026, 11, 25, 15), "U0NY", OnDate(date(2027, 11, 25))) == utc(
        2027, 11, 25, 14
    )
