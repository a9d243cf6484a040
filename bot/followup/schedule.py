"""When a cadence step is due: pure time arithmetic, no database, no Slack.

A step's `day` counts the rep's business days from an anchor (the claim, or the first contact):
day 1 is the anchor's own local date if it is a business day. The step is due at that day's
opening (the rep's `calendar.start`, read with bot.hours' fold=0 rule, or 09:00 without a
calendar), or at the anchor itself on day 1 if that is later.

A step with a call must also fall inside the prospect's calling window, on the prospect's wall
clock: the first instant from the step's earliest moment at which every zone the prospect may be
in (bot.followup.prospect) shows a time in [window.start, window.end), while the rep's own date
is still that business day. The windows are read on the wall clock, exactly: each zone's day is
split where its UTC offset changes, so a DST change inside the window just shortens it, and a
call is never due at a time the prospect's clock skipped or shows outside the window.

`calendar`'s days, hours and holidays are read in `tz`, the rep's zone (the calendar as the rep
keeps it, see bot.routing.state), whatever `calendar.tz` says.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.hours import MAX_CLOSED_DAYS, MORNING, BusinessCalendar, _utc, _wall_to_utc

Interval = tuple[datetime, datetime]

DAY = timedelta(days=1)
# A local date lasts at most 25 h (a fall-back day): this far from any moment of it is past it.
DAY_REACH = timedelta(hours=26)
# Business days a call step looks ahead for a slot. A slot recurs daily, so a miss on this many
# days means the window never meets the rep's days (a narrow window far from their hours).
CALL_SCAN_DAYS = 14


@dataclass(frozen=True)
class CallingWindow:
    """When a prospect may be called, on the prospect's own wall clock: [start, end)."""

    start: time = time(8, 0)
    end: time = time(20, 0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start and end are wall-clock times: pass them without tzinfo")
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be later than start ({self.start})")


# --- business days -----------------------------------------------------------------------------


def is_business_day(day: date, calendar: BusinessCalendar | None) -> bool:
    return calendar is None or (day.weekday() in calendar.days and day not in calendar.holidays)


def _business_on_or_after(day: date, calendar: BusinessCalendar | None) -> date:
    # Bounded like bot.hours: a calendar closed this long in a row is a config mistake.
    for offset in range(MAX_CLOSED_DAYS + 1):
        if is_business_day(day + offset * DAY, calendar):
            return day + offset * DAY
    raise ValueError(
        f"no business day in the {MAX_CLOSED_DAYS + 1} days from {day}: "
        "check business_hours' days and holidays"
    )


def opening(day: date, calendar: BusinessCalendar | None, tz: ZoneInfo) -> datetime:
    """When `day`'s work starts on the rep's clock: the calendar's opening, else 9:00."""
    return _wall_to_utc(day, calendar.start if calendar else MORNING, tz)


def business_day(n: int, anchor: datetime, calendar: BusinessCalendar | None, tz: ZoneInfo) -> date:
    """The rep-local date of business day `n` (1 = the anchor's date, if a business day)."""
    if n < 1:
        raise ValueError(f"business days count from 1, got {n}")
    day = _business_on_or_after(_utc(anchor).astimezone(tz).date(), calendar)
    for _ in range(n - 1):
        day = _business_on_or_after(day + DAY, calendar)
    return day


def next_business_morning(
    after: datetime, calendar: BusinessCalendar | None, tz: ZoneInfo
) -> datetime:
    """The opening of the first business day after `after`'s local date ("+1 business day")."""
    day = _business_on_or_after(_utc(after).astimezone(tz).date() + DAY, calendar)
    return opening(day, calendar, tz)


def opening_on(day: date, calendar: BusinessCalendar | None, tz: ZoneInfo) -> datetime:
    """The opening of `day`, or of the first business day after it ("move to Friday")."""
    return opening(_business_on_or_after(day, calendar), calendar, tz)


# --- the due moment ----------------------------------------------------------------------------


def step_due(
    day: int,
    anchor: datetime,
    calendar: BusinessCalendar | None,
    tz: ZoneInfo,
    *,
    call: bool = False,
    prospect: tuple[ZoneInfo, ...] = (),
    window: CallingWindow = CallingWindow(),  # frozen: one shared default is safe
    not_before: datetime | None = None,
) -> datetime:
    """When the step of cadence day `day` is due, in UTC (see the module docstring).

    `not_before` (the previous step was done late) moves it to that moment, or to the first
    business day from that moment's local date. `prospect` empty means the rep's own zone.
    """
    anchor = _utc(anchor)
    on = business_day(day, anchor, calendar, tz)
    earliest = opening(on, calendar, tz)
    if day == 1:  # a lead claimed at 16:00 is worked at 16:00, not at the morning's opening
        earliest = max(earliest, anchor)
    if not_before is not None:
        on, earliest = _not_before(on, earliest, _utc(not_before), calendar, tz)
    if not call:
        return earliest
    return _call_due(on, earliest, calendar, tz, prospect or (tz,), window)


def _not_before(
    on: date,
    earliest: datetime,
    not_before: datetime,
    calendar: BusinessCalendar | None,
    tz: ZoneInfo,
) -> tuple[date, datetime]:
    later = not_before.astimezone(tz).date()
    if later <= on:
        return on, max(earliest, not_before)
    on = _business_on_or_after(later, calendar)
    return on, max(opening(on, calendar, tz), not_before)


def _call_due(
    on: date,
    earliest: datetime,
    calendar: BusinessCalendar | None,
    tz: ZoneInfo,
    zones: tuple[ZoneInfo, ...],
    window: CallingWindow,
) -> datetime:
    # A country too wide for one window (its zones never share a calling hour), or whose shared
    # hours never fall on the rep's days: its principal zone, the first, decides alone. Deciding
    # by the scan's outcome (not by a look at the zones alone) keeps later steps due later.
    slot = _first_slot(on, earliest, calendar, tz, _furthest_apart_first(zones, earliest), window)
    if slot is None and len(zones) > 1:
        slot = _first_slot(on, earliest, calendar, tz, zones[:1], window)
    # Not even that window meets the rep's business days: a task must still come, so it comes
    # when a step without a call would (only a narrow window far from the rep's hours does this).
    return earliest if slot is None else slot


def _furthest_apart_first(zones: tuple[ZoneInfo, ...], moment: datetime) -> tuple[ZoneInfo, ...]:
    """The same zones, the westernmost and easternmost first: when a wide country's windows share
    nothing, the intersection is then empty after two zones, not after all of them."""
    west_to_east = sorted(zones, key=lambda zone: moment.astimezone(zone).utcoffset() or DAY)
    ordered: list[ZoneInfo] = []
    while west_to_east:
        ordered.append(west_to_east.pop(0))
        if west_to_east:
            ordered.append(west_to_east.pop())
    return tuple(ordered)


def _first_slot(
    on: date,
    earliest: datetime,
    calendar: BusinessCalendar | None,
    tz: ZoneInfo,
    zones: tuple[ZoneInfo, ...],
    window: CallingWindow,
) -> datetime | None:
    """The first instant from `earliest` in every zone's window on a business day of the rep:
    `on` from `earliest`, then each next business day from its opening."""
    for _ in range(CALL_SCAN_DAYS):
        rep_day = _wall_spans(earliest, earliest + DAY_REACH, tz, timedelta(0), DAY, only=on)
        common = _common(rep_day, zones, window)
        if common:
            return common[0][0]
        on = _business_on_or_after(on + DAY, calendar)
        earliest = opening(on, calendar, tz)
    return None


# --- wall-clock intervals ----------------------------------------------------------------------


def _since_midnight(at: time) -> timedelta:
    return timedelta(
        hours=at.hour, minutes=at.minute, seconds=at.second, microseconds=at.microsecond
    )


def _common(
    spans: list[Interval], zones: tuple[ZoneInfo, ...], window: CallingWindow
) -> list[Interval]:
    """The parts of `spans` (ordered, disjoint) that every zone's wall clock shows inside
    `window`, in order."""
    start, end = _since_midnight(window.start), _since_midnight(window.end)
    common = spans
    for zone in zones:
        if not common:
            break
        # Each zone only over what is still common: a wide country empties it in a few zones.
        common = _intersect(common, _wall_spans(common[0][0], common[-1][1], zone, start, end))
    return common


def _intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    """Two ordered lists of disjoint intervals -> their common parts, ordered."""
    common: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        lo, hi = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        if lo < hi:
            common.append((lo, hi))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return common


def _wall_spans(
    lo: datetime,
    hi: datetime,
    tz: ZoneInfo,
    start: timedelta,
    end: timedelta,
    only: date | None = None,
) -> list[Interval]:
    """The parts of [lo, hi) whose wall clock in `tz` shows a time in [start, end) after its
    midnight (on the date `only`, if given), in order. Within a run of one UTC offset the wall
    clock is UTC plus that offset, so each local date's part is exact subtraction."""
    spans: list[Interval] = []
    for run_lo, run_hi, offset in _offset_runs(lo, hi, tz):
        day = (run_lo + offset).date()
        while (midnight := datetime.combine(day, time(0), tzinfo=UTC) - offset) < run_hi:
            part = (max(midnight + start, run_lo), min(midnight + end, run_hi))
            if part[0] < part[1] and (only is None or day == only):
                spans.append(part)
            day += DAY
    return spans


def _offset(second: int, tz: ZoneInfo) -> timedelta | None:
    return datetime.fromtimestamp(second, tz).utcoffset()


def _offset_runs(
    lo: datetime, hi: datetime, tz: ZoneInfo
) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """[lo, hi) cut where `tz`'s UTC offset changes, each run with its offset.

    Compares the offsets at the ends and bisects to the second (tzdata's transitions fall on
    whole seconds). The spans asked for are a few days long, and since 1970 no zone has two
    transitions under a week apart, so no pair of them cancels out between the ends.
    """
    while lo < hi:
        offset = lo.astimezone(tz).utcoffset() or timedelta(0)
        first, last = math.floor(lo.timestamp()), math.ceil(hi.timestamp())
        cut = hi
        if _offset(last, tz) != offset:
            while last - first > 1:  # the offset at `first` is `offset`, at `last` it is not
                mid = (first + last) // 2
                first, last = (mid, last) if _offset(mid, tz) == offset else (first, mid)
            cut = min(datetime.fromtimestamp(last, UTC), hi)
        yield lo, cut, offset
        lo = cut
