"""Pure time arithmetic in people's own time zones (zoneinfo; DST-correct wall-clock times).

Every datetime given to or returned by this module is aware; results are in UTC. Business hours
and quiet hours are wall-clock times, so each local day is turned into UTC on its own (iterating
local dates, never adding 24 h): 9:00 stays 9:00 local on the 23- and 25-hour days of a DST change.

Business hours turn wall-clock times that a DST change skips or repeats into instants with
zoneinfo's ``fold=0`` rule:
- a time that does not exist (inside a spring-forward gap) is read with the offset in force before
  the gap, so it lands the gap's length later (02:30 on the New York spring-forward day is 03:30);
- a time that occurs twice (fall-back) means its first occurrence (01:30 summer time, not winter).
A business day whose opening and closing both collapse onto the same instant has no open time.

Quiet hours do not: a moment is quiet when the rep's wall clock at that moment shows a time inside
the window, both passes of a repeated hour included. A reminder must never reach someone whose
clock shows a quiet time, whatever instant fold=0 would have picked for the window's edges.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
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
# How far ahead the end of quiet hours is looked for, in local days and offset samples. A quiet
# spell lasts under a day of wall clock, plus a repeated hour; a spring-forward gap can swallow a
# window's free minutes and push the end one more day out.
QUIET_SCAN_DAYS = 3
TRANSITION_STEP = 3 * 3_600  # seconds

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


def in_zone(calendar: BusinessCalendar | None, tz: ZoneInfo) -> BusinessCalendar | None:
    """The business calendar as a person keeps it: the same days and hours, their own zone."""
    return replace(calendar, tz=tz) if calendar is not None else None


def business_calendar(config: Config) -> BusinessCalendar | None:
    """The business calendar of a whole config (same time zone rule as ``Config.business_tz``)."""
    return calendar_from_config(config.business_hours, config.timezone)


def day_interval(day: date, calendar: BusinessCalendar) -> Interval | None:
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
        interval = day_interval(day, calendar)
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
        interval = day_interval(day, calendar)
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


def _quiet_at(moment: datetime, quiet: QuietHours) -> bool:
    # The wall clock decides (see the module docstring); fold does not enter a time comparison.
    local = moment.astimezone(quiet.tz).time()
    if quiet.start <= quiet.end:  # start == end: an empty window, never quiet
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def _end_instants(moment: datetime, quiet: QuietHours) -> Iterator[datetime]:
    """Every instant whose wall clock shows `end`, on the local day of `moment` and around it."""
    today = moment.astimezone(quiet.tz).date()
    # A day back: a fall-back across midnight returns the clock to yesterday. Two days ahead: a
    # window's last free minutes can fall into a spring-forward gap (or a skipped date, Apia 2011).
    for days in range(-1, QUIET_SCAN_DAYS):
        for fold in (0, 1):  # both passes of a repeated hour
            local = datetime.combine(today + timedelta(days=days), quiet.end, tzinfo=quiet.tz)
            instant = local.replace(fold=fold).astimezone(UTC)
            # A time inside a spring-forward gap maps to an instant whose clock shows another
            # time: the clock never reaches `end` that day, the transition is the way out.
            if instant.astimezone(quiet.tz).replace(tzinfo=None) == local.replace(tzinfo=None):
                yield instant


def _offset_at(second: int, tz: ZoneInfo) -> timedelta | None:
    return datetime.fromtimestamp(second, tz).utcoffset()


def _transitions(moment: datetime, tz: ZoneInfo) -> Iterator[datetime]:
    """The UTC-offset changes of `tz` in the QUIET_SCAN_DAYS after `moment`, to the second.

    zoneinfo has no public list of transitions: sample the offset every TRANSITION_STEP and
    bisect where it changed. tzdata transitions fall on whole seconds, and since 1970 no two in
    any zone are under a week apart, so no pair cancels out between two samples.
    """
    lo = math.floor(moment.timestamp())
    before = _offset_at(lo, tz)
    horizon = lo + QUIET_SCAN_DAYS * 86_400
    for hi in range(lo + TRANSITION_STEP, horizon + 1, TRANSITION_STEP):
        after = _offset_at(hi, tz)
        if after != before:
            yield datetime.fromtimestamp(_first_second_after(lo, hi, before, tz), UTC)
        lo, before = hi, after


def _first_second_after(lo: int, hi: int, before: timedelta | None, tz: ZoneInfo) -> int:
    # Invariant: the offset at `lo` is `before`, at `hi` it is not.
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _offset_at(mid, tz) == before else (lo, mid)
    return hi


def in_quiet_hours(moment: datetime, quiet: QuietHours | None) -> bool:
    """Whether the rep's wall clock at `moment` shows a time in [start, end)."""
    moment = _utc(moment)
    return quiet is not None and _quiet_at(moment, quiet)


def quiet_hours_end(moment: datetime, quiet: QuietHours | None) -> datetime:
    """`moment` itself if not quiet, else the first instant after it that is not quiet."""
    moment = _utc(moment)
    if quiet is None or not _quiet_at(moment, quiet):
        return moment
    # Between transitions the wall clock runs on without jumps, so quiet ends only where it shows
    # `end` or where a transition jumps it out of the window (22:00-02:30 ends at 03:00 on the
    # spring-forward night). The earliest such instant that is really free is the end.
    candidates = [*_end_instants(moment, quiet), *_transitions(moment, quiet.tz)]
    free = [instant for instant in candidates if instant > moment and not _quiet_at(instant, quiet)]
    if not free:  # pragma: no cover - every window leaves free time within two local days
        raise AssertionError(f"no end of quiet hours found after {moment.isoformat()}")
    return min(free)


def deliverable_at(moment: datetime, quiet: QuietHours | None, *, urgent: bool = False) -> datetime:
    """When a reminder due at `moment` may be sent: urgent ones break through quiet hours."""
    return _utc(moment) if urgent else quiet_hours_end(moment, quiet)
