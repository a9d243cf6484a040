"""Quiet hours are read on the rep's wall clock, both passes of a repeated hour included.

Hand-computed cases around DST changes (exact instants, written out in local time and in UTC),
then properties checked against the rule itself: a moment is quiet iff its local wall time lies
in [start, end) (a window with end < start spans midnight)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.hours import QuietHours, deliverable_at, in_quiet_hours, quiet_hours_end

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def window(start: str, end: str, tz: ZoneInfo) -> QuietHours:
    return QuietHours(start=time.fromisoformat(start), end=time.fromisoformat(end), tz=tz)


# --- New York: spring forward 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC) ---------------------


def test_spring_forward_start_in_the_gap_is_quiet_from_the_jump() -> None:
    quiet = window("02:30", "09:00", NY)
    assert in_quiet_hours(utc(2026, 3, 8, 7, 20), quiet)  # 03:20 EDT: fold=0 said 03:30 starts
    assert in_quiet_hours(utc(2026, 3, 8, 7), quiet)  # 03:00 EDT, the jump itself
    assert not in_quiet_hours(utc(2026, 3, 8, 6, 59), quiet)  # 01:59 EST
    assert quiet_hours_end(utc(2026, 3, 8, 7, 20), quiet) == utc(2026, 3, 8, 13)  # 09:00 EDT


def test_spring_forward_end_in_the_gap_is_the_jump() -> None:
    # 22:00-02:30: the clock leaves the window when it jumps from 02:00 EST to 03:00 EDT.
    quiet = window("22:00", "02:30", NY)
    saturday_night = utc(2026, 3, 8, 4)  # 23:00 EST on 2026-03-07
    assert quiet_hours_end(saturday_night, quiet) == utc(2026, 3, 8, 7)  # not 03:30 EDT
    assert in_quiet_hours(utc(2026, 3, 8, 6, 59), quiet)  # 01:59 EST
    assert not in_quiet_hours(utc(2026, 3, 8, 7), quiet)  # 03:00 EDT


def test_free_minutes_lost_in_the_gap_push_the_end_a_day_out() -> None:
    # 02:30-02:15 leaves 02:15-02:30 free, which 2026-03-08 skips: quiet until 02:15 on the 9th.
    quiet = window("02:30", "02:15", NY)
    assert quiet_hours_end(utc(2026, 3, 7, 7, 30), quiet) == utc(2026, 3, 9, 6, 15)  # EDT


# --- New York: fall back 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC), 01:xx twice ---------------


def test_fall_back_repeated_hour_is_quiet_on_both_passes() -> None:
    quiet = window("22:00", "01:30", NY)
    assert in_quiet_hours(utc(2026, 11, 1, 5, 15), quiet)  # 01:15 EDT, first pass
    assert not in_quiet_hours(utc(2026, 11, 1, 5, 30), quiet)  # 01:30 EDT
    assert not in_quiet_hours(utc(2026, 11, 1, 5, 45), quiet)  # 01:45 EDT
    assert in_quiet_hours(utc(2026, 11, 1, 6), quiet)  # 01:00 EST, second pass
    assert in_quiet_hours(utc(2026, 11, 1, 6, 10), quiet)  # 01:10 EST: fold=0 sent it
    assert not in_quiet_hours(utc(2026, 11, 1, 6, 30), quiet)  # 01:30 EST


def test_fall_back_quiet_ends_at_the_end_of_the_current_pass() -> None:
    quiet = window("22:00", "01:30", NY)
    assert quiet_hours_end(utc(2026, 11, 1, 3), quiet) == utc(2026, 11, 1, 5, 30)  # 23:00 EDT
    assert quiet_hours_end(utc(2026, 11, 1, 6, 10), quiet) == utc(2026, 11, 1, 6, 30)  # 01:30 EST
    assert quiet_hours_end(utc(2026, 11, 1, 5, 45), quiet) == utc(2026, 11, 1, 5, 45)  # free


def test_fall_back_jump_into_free_time_ends_quiet() -> None:
    # 01:30-03:00: at 02:00 EDT the clock goes back to 01:00 EST, before the window opens again.
    quiet = window("01:30", "03:00", NY)
    assert quiet_hours_end(utc(2026, 11, 1, 5, 40), quiet) == utc(2026, 11, 1, 6)
    assert not in_quiet_hours(utc(2026, 11, 1, 6, 20), quiet)  # 01:20 EST
    assert quiet_hours_end(utc(2026, 11, 1, 6, 30), quiet) == utc(2026, 11, 1, 8)  # 03:00 EST


# --- southern hemisphere: Sydney falls back 2026-04-05 03:00 AEDT -> 02:00 AEST (16:00 UTC) -----


def test_sydney_fall_back_repeated_hour() -> None:
    quiet = window("23:00", "02:30", SYDNEY)
    evening = utc(2026, 4, 4, 12, 30)  # 23:30 AEDT on 2026-04-04
    assert quiet_hours_end(evening, quiet) == utc(2026, 4, 4, 15, 30)  # 02:30 AEDT
    assert not in_quiet_hours(utc(2026, 4, 4, 15, 45), quiet)  # 02:45 AEDT
    assert in_quiet_hours(utc(2026, 4, 4, 16, 10), quiet)  # 02:10 AEST, second pass
    assert quiet_hours_end(utc(2026, 4, 4, 16, 10), quiet) == utc(2026, 4, 4, 16, 30)


def test_sydney_spring_forward_ends_quiet_at_the_jump() -> None:
    # 2026-10-04 02:00 AEST -> 03:00 AEDT (16:00 UTC on the 3rd); 02:30 never shows.
    quiet = window("22:00", "02:30", SYDNEY)
    assert quiet_hours_end(utc(2026, 10, 3, 13), quiet) == utc(2026, 10, 3, 16)  # 23:00 AEST


def test_lord_howe_half_hour_fall_back() -> None:
    # 2026-04-05 02:00 +11 -> 01:30 +10:30 (15:00 UTC on the 4th): 01:30-02:00 happens twice.
    quiet = window("22:00", "01:45", LORD_HOWE)
    assert quiet_hours_end(utc(2026, 4, 4, 12), quiet) == utc(2026, 4, 4, 14, 45)  # 01:45 +11
    assert not in_quiet_hours(utc(2026, 4, 4, 14, 50), quiet)  # 01:50 +11
    assert in_quiet_hours(utc(2026, 4, 4, 15, 5), quiet)  # 01:35 +10:30
    assert quiet_hours_end(utc(2026, 4, 4, 15, 5), quiet) == utc(2026, 4, 4, 15, 15)


# --- Europe/London: 2026-03-29 01:00 GMT -> 02:00 BST, 2026-10-25 02:00 BST -> 01:00 GMT --------


def test_london_spring_forward_jump_into_the_window_starts_quiet() -> None:
    quiet = window("01:15", "06:00", LONDON)  # 01:15 does not exist on 2026-03-29
    assert not in_quiet_hours(utc(2026, 3, 29, 0, 59), quiet)  # 00:59 GMT
    assert in_quiet_hours(utc(2026, 3, 29, 1), quiet)  # 02:00 BST: fold=0 waited until 01:15 UTC
    assert quiet_hours_end(utc(2026, 3, 29, 1, 5), quiet) == utc(2026, 3, 29, 5)  # 06:00 BST


def test_london_fall_back_repeated_hour() -> None:
    quiet = window("00:00", "01:30", LONDON)
    assert quiet_hours_end(utc(2026, 10, 24, 23, 10), quiet) == utc(2026, 10, 25, 0, 30)  # BST
    assert not in_quiet_hours(utc(2026, 10, 25, 0, 45), quiet)  # 01:45 BST
    assert in_quiet_hours(utc(2026, 10, 25, 1, 10), quiet)  # 01:10 GMT
    assert quiet_hours_end(utc(2026, 10, 25, 1, 10), quiet) == utc(2026, 10, 25, 1, 30)


@pytest.mark.parametrize(
    ("moment", "quiet", "ends"),
    [
        (utc(2026, 1, 14, 21, 59), False, utc(2026, 1, 14, 21, 59)),
        (utc(2026, 1, 14, 22), True, utc(2026, 1, 15, 7)),
        (utc(2026, 1, 14, 23), True, utc(2026, 1, 15, 7)),
        (utc(2026, 1, 15, 0), True, utc(2026, 1, 15, 7)),
        (utc(2026, 1, 15, 6, 59), True, utc(2026, 1, 15, 7)),
        (utc(2026, 1, 15, 7), False, utc(2026, 1, 15, 7)),
        (utc(2026, 7, 14, 23), True, utc(2026, 7, 15, 6)),  # 00:00 BST -> 07:00 BST
    ],
)
def test_midnight_spanning_window_in_london(moment: datetime, quiet: bool, ends: datetime) -> None:
    nights = window("22:00", "07:00", LONDON)
    assert in_quiet_hours(moment, nights) is quiet
    assert quiet_hours_end(moment, nights) == ends
    assert deliverable_at(moment, nights) == ends
    assert deliverable_at(moment, nights, urgent=True) == moment


# --- properties ----------------------------------------------------------------------------------

ZONES = [
    NY,
    LONDON,
    SYDNEY,
    LORD_HOWE,  # 30-minute shift
    ZoneInfo("America/Santiago"),  # falls back across midnight, 24:00 -> 23:00
    ZoneInfo("America/Havana"),  # springs forward at midnight
    ZoneInfo("Asia/Beirut"),
    ZoneInfo("Pacific/Chatham"),  # +12:45 / +13:45
]


def _offset_changes(tz: ZoneInfo, year: int) -> list[datetime]:
    """Hours (UTC) at which the offset of `tz` changes during `year`: a daily, then hourly scan."""
    changes = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        following = day + timedelta(days=1)
        if day.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            hour = day
            while hour.astimezone(tz).utcoffset() == day.astimezone(tz).utcoffset():
                hour += timedelta(hours=1)
            changes.append(hour)
        day = following
    return changes


CHANGES = {tz: _offset_changes(tz, 2026) for tz in ZONES}


@st.composite
def zones_and_moments(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    tz = draw(st.sampled_from(ZONES))
    near = st.sampled_from(CHANGES[tz]).flatmap(
        lambda change: st.integers(-40 * 3_600, 40 * 3_600).map(
            lambda seconds: change + timedelta(seconds=seconds)
        )
    )
    anywhere = st.datetimes(
        min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC)
    )
    return tz, draw(st.one_of(near, near, anywhere))


# Minutes of the day, weighted to the night hours where DST changes happen.
MINUTES = st.one_of(st.integers(0, 4 * 60), st.integers(22 * 60, 1439), st.integers(0, 1439))
CLOCK = MINUTES.map(lambda minute: time(*divmod(minute, 60)))
WINDOWS = st.tuples(CLOCK, CLOCK)


def wall_clock_quiet(moment: datetime, quiet: QuietHours) -> bool:
    local = moment.astimezone(quiet.tz).time()
    if quiet.end < quiet.start:
        return local >= quiet.start or local < quiet.end
    return quiet.start <= local < quiet.end


@settings(max_examples=200)
@given(zone_moment=zones_and_moments(), window=WINDOWS)
def test_quiet_is_the_wall_clock_in_the_window(
    zone_moment: tuple[ZoneInfo, datetime], window: tuple[time, time]
) -> None:
    tz, moment = zone_moment
    quiet = QuietHours(start=window[0], end=window[1], tz=tz)
    assert in_quiet_hours(moment, quiet) == wall_clock_quiet(moment, quiet)
    assert deliverable_at(moment, quiet, urgent=True) == moment


@settings(max_examples=200)
@given(zone_moment=zones_and_moments(), window=WINDOWS)
def test_quiet_hours_end_is_the_first_free_instant(
    zone_moment: tuple[ZoneInfo, datetime], window: tuple[time, time]
) -> None:
    tz, moment = zone_moment
    quiet = QuietHours(start=window[0], end=window[1], tz=tz)
    ends = quiet_hours_end(moment, quiet)
    assert deliverable_at(moment, quiet) == ends
    assert deliverable_at(moment, quiet, urgent=True) == moment
    assert ends >= moment
    assert not wall_clock_quiet(ends, quiet)
    if not wall_clock_quiet(moment, quiet):
        assert ends == moment
        return
    samples = [moment + (ends - moment) * i / 50 for i in range(50)]
    samples.append(max(moment, ends - timedelta(seconds=1)))
    assert all(wall_clock_quiet(sample, quiet) for sample in samples)
    # The way out is the clock reaching `end`, or a DST jump.
    before = (ends - timedelta(seconds=1)).astimezone(tz)
    jumped = before.utcoffset() != ends.astimezone(tz).utcoffset()
    assert ends.astimezone(tz).time() == quiet.end or jumped


def test_the_scan_finds_the_days_of_change() -> None:
    # Every zone above changes twice in 2026: a broken scan must not quietly weaken the tests.
    assert all(len(changes) == 2 for changes in CHANGES.values()), CHANGES
    assert [change.date() for change in CHANGES[NY]] == [date(2026, 3, 8), date(2026, 11, 1)]
    assert CHANGES[LORD_HOWE][0] == utc(2026, 4, 4, 15)
