"""Pure time arithmetic in people's own time zones (zoneinfo; DST-correct wall-clock times).

Every datetime given to or returned by this module is aware; results are in UTC. Business hours
and quiet hours are wall-clock times, so each local day is turned into UTC on its own (iterating
local dates, never adding 24 h): 9:00 stays 9:00 local on the 23- and 25-hour days of a DST change.

Wall-clock times that a DST change skips or repeats follow zoneinfo's ``fold=0`` rule, always:
- a time that does not exist (inside a spring-forward gap) is read with the offset in force before
  the gap, so it lands the gap's length later (02:30 on the New York spring-forward day is 03:30);
- a time that occurs twice (fall-back) means its first occurrence (01:30 summer time, not winter).
A business day whose opening and closing both collapse onto the same instant has no open time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.durations import parse_duration

if TYPE_CHECKING:
    from bot.config.schema import BusinessHours, Config, Rep

TOMORROW_MORNING = "tomorrow"
MORNING = time(9, 0)
SNOOZE_CHOICES: tuple[tuple[str, str], ...] = (
    ("15m", "15 minutes"),
    ("1h", "1 hour"),
    ("4h", "4 hours"),
    (TOMORROW_MORNING, "Tomorrow 9:00 (my time)"),
)
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Longer than a year of holidays: a calendar closed this long in a row is a config mistake, and
# stopping the scan there keeps a deadline computation from looping forever.
MAX_CLOSED_DAYS = 400
# A calendar open a microsecond a week would need millions of years for a 1 h wait (and overflow
# `date`): no real deadline is a century of local days away.
MAX_SCAN_DAYS = 36_525
# The longest span business time is counted over: more than the longest `intake.max_age` (10
# years). A lead stored older than that (before intake had a window) would otherwise make each
# count walk every day since, or overflow `date` from year 1.
MAX_SPAN = timedelta(days=3_660)

Interval = tuple[datetime, datetime]


def tomorrow_at(now: datetime, tz: ZoneInfo, at: time = MORNING) -> datetime:
    """The next day's wall-clock `at` in `tz`, as UTC: 9:00 stays 9:00 across a DST change."""
    local_day = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(local_day, at, tzinfo=tz).astimezone(UTC)


def snooze_until(choice: str, now: datetime, tz: ZoneInfo) -> datetime:
    """`choice` is a duration ("15m") or "tomorrow"; raises ValueError for anything else."""
    if choice == TOMORROW_MORNING:
        return tomorrow_at(now, tz)
    return now + parse_duration(choice)


def _utc(moment: datetime) -> datetime:
    # A naive datetime would silently be read as the server's local time: refuse it instead.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def _wall_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    # fold=0 is forced so a time object carrying fold=1 cannot change the documented rule.
    return datetime.combine(day, at.replace(fold=0), tzinfo=tz).astimezone(UTC)


# --- business hours ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessCalendar:
    """When the business is open: `start`-`end` local time on `days`, except whole `holidays`."""

    days: frozenset[int]  # 0=Monday .. 6=Sunday
    start: time  # local wall-clock opening
    end: time  # local wall-clock closing, later than start (no overnight shifts)
    holidays: frozenset[date]  # whole local days closed
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError(f"days must be a non-empty subset of 0..6, got {sorted(self.days)}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start and end are local wall-clock times: pass them without tzinfo")
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be later than start ({self.start})")


def calendar_from_config(
    business_hours: BusinessHours | None, default_tz: str
) -> BusinessCalendar | None:
    """The config's ``business_hours`` as a calendar; None (``always``) means always open."""
    if business_hours is None:
        return None
    return BusinessCalendar(
        days=frozenset(WEEKDAYS.index(day) for day in business_hours.days),
        start=business_hours.start,
        end=business_hours.end,
        holidays=frozenset(business_hours.holidays),
        tz=ZoneInfo(business_hours.timezone or default_tz),
    )


def business_calendar(config: Config) -> BusinessCalendar | None:
    """The business calendar of a whole config (same time zone rule as ``Config.business_tz``)."""
    return calendar_from_config(config.business_hours, config.timezone)


def _day_interval(day: date, calendar: BusinessCalendar) -> Interval | None:
    if day.weekday() not in calendar.days or day in calendar.holidays:
        return None
    opens = _wall_to_utc(day, calendar.start, calendar.tz)
    closes = _wall_to_utc(day, calendar.end, calendar.tz)
    # Only a spring-forward gap can do this (opening inside the gap moves past the closing).
    return (opens, closes) if opens < closes else None


def _open_intervals(
    after: datetime, calendar: BusinessCalendar, until: datetime | None = None
) -> Iterator[Interval]:
    """Open intervals still open after `after`, in order, the first clipped to start at `after`.

    Unbounded (`until` None) it raises ValueError after MAX_CLOSED_DAYS closed days in a row or
    MAX_SCAN_DAYS in all; bounded it stops after the local day of `until`.
    """
    day = after.astimezone(calendar.tz).date() - timedelta(days=1)  # yesterday: DST slack
    last_day = until.astimezone(calendar.tz).date() + timedelta(days=1) if until else None
    give_up = day + timedelta(days=MAX_SCAN_DAYS)
    closed_days, floor = 0, after
    while last_day is None or day <= last_day:
        interval = _day_interval(day, calendar)
        # `floor` also drops a day that maps onto the previous one (a zone skipping a whole
        # date, like Pacific/Apia on 2011-12-30), so no open time is counted twice.
        if interval is not None and interval[1] > floor:
            closed_days = 0
            yield max(interval[0], floor), interval[1]
            floor = interval[1]
        elif last_day is None and (closed_days := closed_days + 1) > MAX_CLOSED_DAYS:
            raise ValueError(f"business hours are closed for {MAX_CLOSED_DAYS} days after {day}")
        if last_day is None and day >= give_up:
            raise ValueError(f"not enough business time in the {MAX_SCAN_DAYS} days after {after}")
        day += timedelta(days=1)


def is_open(moment: datetime, calendar: BusinessCalendar | None) -> bool:
    """Open from the opening instant up to, not including, the closing instant."""
    moment = _utc(moment)
    if calendar is None:
        return True
    today = moment.astimezone(calendar.tz).date()
    for day in (today - timedelta(days=1), today):
        interval = _day_interval(day, calendar)
        if interval is not None and interval[0] <= moment < interval[1]:
            return True
    return False


def next_open(moment: datetime, calendar: BusinessCalendar | None) -> datetime:
    """`moment` itself if open, else the next opening instant."""
    moment = _utc(moment)
    if calendar is None:
        return moment
    return next(_open_intervals(moment, calendar))[0]


def add_business_time(
    start: datetime, amount: timedelta, calendar: BusinessCalendar | None
) -> datetime:
    """The earliest instant after `amount` of open time from `start` (for 0: ``next_open``).

    A deadline that uses up an interval exactly is the closing instant, not the next opening:
    "due by closing time" is what a rep would say.
    """
    start = _utc(start)
    if amount < timedelta(0):
        raise ValueError(f"amount must not be negative, got {amount}")
    if calendar is None:
        return start + amount
    if not amount:
        return next_open(start, calendar)
    remaining = amount
    for opens, closes in _open_intervals(start, calendar):
        if remaining <= closes - opens:
            return opens + remaining
        remaining -= closes - opens
    raise AssertionError("unreachable: unbounded _open_intervals never stops")  # pragma: no cover


def business_time_between(a: datetime, b: datetime, calendar: BusinessCalendar | None) -> timedelta:
    """Open time in [a, b); zero when b is not after a. Never raises for a closed calendar.
    Of a span longer than MAX_SPAN only the last MAX_SPAN counts."""
    a, b = _utc(a), _utc(b)
    if b <= a:
        return timedelta(0)
    a = max(a, b - MAX_SPAN)
    if calendar is None:
        return b - a
    total = timedelta(0)
    for opens, closes in _open_intervals(a, calendar, until=b):
        if opens >= b:
            break
        total += min(closes, b) - opens
    return total


# --- quiet hours -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietHours:
    """A rep's daily quiet window in their own time zone; end < start spans midnight."""

    start: time
    end: time  # start == end means never quiet
    tz: ZoneInfo


def quiet_hours_for(rep: Rep, default_tz: str) -> QuietHours | None:
    """The rep's ``quiet_hours`` in the rep's time zone, else `default_tz`; None if unset."""
    window = rep.quiet_window
    if window is None:
        return None
    return QuietHours(start=window[0], end=window[1], tz=ZoneInfo(rep.timezone or default_tz))


def rep_quiet_hours(config: Config, user_id: str) -> QuietHours | None:
    """Quiet hours of a rep by id; None for people who are not reps or set none."""
    rep = config.rep(user_id)
    return quiet_hours_for(rep, config.timezone) if rep else None


def _quiet_periods(moment: datetime, quiet: QuietHours) -> list[Interval]:
    # A period that could contain `moment` starts on its local day or the day before; one more
    # day back covers a zone whose DST change moves a period across a local midnight.
    today = moment.astimezone(quiet.tz).date()
    periods = []
    for back in (2, 1, 0):
        day = today - timedelta(days=back)
        ends_on = day + timedelta(days=1) if quiet.end < quiet.start else day
        begins = _wall_to_utc(day, quiet.start, quiet.tz)
        ends = _wall_to_utc(ends_on, quiet.end, quiet.tz)
        if begins < ends:
            periods.append((begins, ends))
    return periods


def _containing_end(moment: datetime, quiet: QuietHours | None) -> datetime | None:
    if quiet is None or quiet.start == quiet.end:
        return None
    ends = [ends for begins, ends in _quiet_periods(moment, quiet) if begins <= moment < ends]
    return max(ends, default=None)


def in_quiet_hours(moment: datetime, quiet: QuietHours | None) -> bool:
    """Quiet from the start instant up to, not including, the end instant."""
    return _containing_end(_utc(moment), quiet) is not None


def quiet_hours_end(moment: datetime, quiet: QuietHours | None) -> datetime:
    """`moment` itself if not quiet, else the instant the current quiet period ends."""
    moment = _utc(moment)
    # Odd windows can make two days' periods touch around a DST change: keep going until free.
    # Terminates: each step moves strictly forward, and outside DST changes periods have gaps.
    while (ends := _containing_end(moment, quiet)) is not None:
        moment = ends
    return moment


def deliverable_at(moment: datetime, quiet: QuietHours | None, *, urgent: bool = False) -> datetime:
    """When a reminder due at `moment` may be sent: urgent ones break through quiet hours."""
    return _utc(moment) if urgent else quiet_hours_end(moment, quiet)
