"""Reps saying they are away (`/leads away [until]`) and back (`/leads back`): routing skips
away reps (bot/routing/state.py reads the same table).

What the rep typed arrives already checked for form (handlers/args.py builds an `AwayChoice`);
whether a date is still ahead depends on the rep's own today, so that is decided here, where the
clock and the rep's time zone are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete

from bot.clock import Clock
from bot.config.schema import Config
from bot.hours import MORNING, tomorrow_at
from storage.db import Database
from storage.models import RepAway

# The longest a rep can be away until a given moment: further out is a typo (2062 for 2026) or
# a leave better said with `/leads away` and `/leads back`.
MAX_AWAY_DURATION = timedelta(days=365)


@dataclass(frozen=True)
class Tomorrow:
    """Until 9:00 tomorrow, the rep's time."""


@dataclass(frozen=True)
class NextWeekday:
    """Until 9:00 on the next such weekday strictly after the rep's today (Friday on a Friday is
    a week away)."""

    weekday: int  # 0 = Monday, as date.weekday()


@dataclass(frozen=True)
class OnDate:
    """Until 9:00 on a calendar date, the rep's time."""

    day: date


AwayChoice = timedelta | Tomorrow | NextWeekday | OnDate


class AwayRefused(ValueError):
    """A well-formed choice that cannot be used now (a date not ahead); shown to the rep as is."""


def away_until(choice: AwayChoice, now: datetime, tz: ZoneInfo) -> datetime:
    """The UTC moment `choice` ends: mornings are 9:00 on the rep's wall clock in `tz`, built
    per local date (never by adding 24 h), so a DST change in between does not move them."""
    if isinstance(choice, timedelta):
        return now + choice
    if isinstance(choice, Tomorrow):
        return tomorrow_at(now, tz)
    today = now.astimezone(tz).date()
    if isinstance(choice, NextWeekday):
        day = today + timedelta(days=(choice.weekday - today.weekday() - 1) % 7 + 1)
    else:
        day = _checked_date(choice.day, today)
    return datetime.combine(day, MORNING, tzinfo=tz).astimezone(UTC)


def _checked_date(day: date, today: date) -> date:
    tomorrow = today + timedelta(days=1)
    if day == today:
        raise AwayRefused(f"{day} is today: give a later date, e.g. {tomorrow}, or a duration")
    if day < today:
        raise AwayRefused(f"{day} is in the past: give a later date, e.g. {tomorrow}")
    if day > (latest := _a_year_after(today)):
        raise AwayRefused(
            f"{day} is more than a year ahead: give a date up to {latest}, "
            "or just `/leads away` (until `/leads back`)"
        )
    return day


def _a_year_after(today: date) -> date:
    # 29 February has no twin next year: the year then ends on 28 February.
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)


class Availability:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    def set_away(self, user_id: str, choice: AwayChoice | None) -> datetime | None:
        """Mark the rep away until `choice` (see `away_until`) or, for None, until they say they
        are back. Raises AwayRefused, storing nothing, for a date that is not ahead."""
        now = self.clock.now()
        until = None if choice is None else away_until(choice, now, self.config.tz_for(user_id))
        with self.db.write() as session:
            session.merge(RepAway(user_id=user_id, since=now, until=until))
        return until

    def set_back(self, user_id: str) -> bool:
        with self.db.write() as session:
            return bool(session.execute(delete(RepAway).where(RepAway.user_id == user_id)).rowcount)
