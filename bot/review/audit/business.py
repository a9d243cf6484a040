"""Open (business) seconds between two POSIX times, fast enough for a million rows.

`bot.hours.business_time_between` walks the days between its two instants; here each local day's
open interval and the open seconds of all days before it are kept once, so a pair costs two
look-ups. The answers are the same (tests/review/test_audit_business.py checks that against
`business_time_between` on generated instants, across DST changes).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.hours import MAX_SPAN, BusinessCalendar, day_interval

SPAN = MAX_SPAN.total_seconds()
QUARTER = 900  # seconds


class BusinessSeconds:
    def __init__(self, calendar: BusinessCalendar | None) -> None:
        self.calendar = calendar
        self._first = 0  # ordinal of the first known day
        # Per known day, from `_first` on: (opens, closes, open seconds of the days before it).
        self._days: list[tuple[float, float, float]] = []
        # Every UTC offset is a multiple of 15 minutes, so the local day is the same all through
        # a quarter-hour of POSIX time: one zone conversion per quarter, not per instant.
        self._ordinals: dict[int, int] = {}

    def between(self, start: float, end: float) -> float:
        if end <= start:
            return 0.0
        start = max(start, end - SPAN)
        if self.calendar is None:
            return end - start
        first, last = self._ordinal(start), self._ordinal(end)
        # Both days known before either sum is read: extending the table rebases its sums.
        self._day(first)
        self._day(last)
        return max(self._cumulative(end, last) - self._cumulative(start, first), 0.0)

    def is_open(self, moment: float) -> bool:
        if self.calendar is None:
            return True
        opens, closes, _ = self._day(self._ordinal(moment))
        return opens <= moment < closes

    def _cumulative(self, moment: float, ordinal: int) -> float:
        opens, closes, before = self._days[ordinal - self._first]
        return before + min(max(moment - opens, 0.0), closes - opens)

    def _ordinal(self, moment: float) -> int:
        quarter = int(moment // QUARTER)
        ordinal = self._ordinals.get(quarter)
        if ordinal is None:
            assert self.calendar is not None
            ordinal = datetime.fromtimestamp(quarter * QUARTER, self.calendar.tz).toordinal()
            self._ordinals[quarter] = ordinal
        return ordinal

    def _day(self, ordinal: int) -> tuple[float, float, float]:
        index = ordinal - self._first
        if not self._days:
            self._build(ordinal, ordinal)
        elif index < 0:
            self._build(ordinal, self._first + len(self._days) - 1)
        elif index >= len(self._days):
            self._build(self._first, ordinal)
        return self._days[ordinal - self._first]

    def _build(self, first: int, last: int) -> None:
        """Days `first`..`last` (with a little slack), prefix sums from `first`."""
        assert self.calendar is not None
        first, last = first - 7, last + 31
        days: list[tuple[float, float, float]] = []
        total, floor = 0.0, float("-inf")
        for ordinal in range(first, last + 1):
            interval = day_interval(date.fromordinal(ordinal), self.calendar)
            if interval is None:
                opens = closes = floor if floor > float("-inf") else _midnight(ordinal)
            else:
                # `floor`: a zone that skips a date maps two days onto one span; count it once.
                opens = max(interval[0].timestamp(), floor)
                closes = max(interval[1].timestamp(), opens)
            days.append((opens, closes, total))
            total += closes - opens
            floor = max(floor, closes)
        self._first, self._days = first, days


def _midnight(ordinal: int) -> float:
    return datetime.fromordinal(ordinal).replace(tzinfo=UTC).timestamp()
