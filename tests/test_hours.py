"""Business hours and quiet hours: exact instants, written out in local time and in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config.load import parse_config
from bot.config.schema import BusinessHours, Rep
from bot.hours import (
    MAX_SPAN,
    BusinessCalendar,
    QuietHours,
    add_business_time,
    business_calendar,
    business_time_between,
    calendar_from_config,
    deliverable_at,
    in_quiet_hours,
    is_open,
    next_open,
    quiet_hours_end,
    quiet_hours_for,
    rep_quiet_hours,
    snooze_until,
    tomorrow_at,
)

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))
THANKSGIVING, CHRISTMAS, LABOR_DAY = date(2026, 11, 26), date(2026, 12, 25), date(2026, 9, 7)

NY_OFFICE = BusinessCalendar(
    days=WEEKDAYS,
    start=time(9),
    end=time(17, 30),
    holidays=frozenset({THANKSGIVING, CHRISTMAS, LABOR_DAY}),
    tz=NY,
)
BERLIN_OFFICE = BusinessCalendar(
    days=WEEKDAYS, start=time(9), end=time(17, 30), holidays=frozenset(), tz=BERLIN
)
NIGHTS = QuietHours(start=time(20), end=time(8), tz=BERLIN)
LUNCH = QuietHours(start=time(12), end=time(13), tz=BERLIN)


def at(tz: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A local wall-clock time as the aware UTC datetime the module works with."""
    return datetime(y, mo, d, h, mi, tzinfo=tz).astimezone(UTC)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def every_day(start: time, end: time, tz: ZoneInfo = NY) -> BusinessCalendar:
    return BusinessCalendar(days=EVERY_DAY, start=start, end=end, holidays=frozenset(), tz=tz)


# --- the example and ordinary days (America/New_York, mon-fri 09:00-17:30) -------------


def test_hot_lead_friday_2300_is_due_monday_0905() -> None:
    hours = BusinessHours.model_validate(
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:30"}
    )
    calendar = calendar_from_config(hours, "America/New_York")
    friday_night = at(NY, 2026, 11, 20, 23)  # Friday 2026-11-20 23:00 EST
    due = add_business_time(friday_night, timedelta(minutes=5), calendar)
    assert due == at(NY, 2026, 11, 23, 9, 5) == utc(2026, 11, 23, 14, 5)  # Monday 09:05 EST
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("arrives", "wait", "due"),
    [
        # during hours, spilling over closing into the next morning
        (at(NY, 2026, 11, 17, 17), timedelta(hours=1), at(NY, 2026, 11, 18, 9, 30)),
        # before opening: the clock starts at 09:00
        (at(NY, 2026, 11, 17, 7), timedelta(hours=1), at(NY, 2026, 11, 17, 10)),
        # on a Saturday: nothing counts until Monday
        (at(NY, 2026, 11, 21, 12), timedelta(minutes=30), at(NY, 2026, 11, 23, 9, 30)),
        # the day before Thanksgiving (Thu 2026-11-26): Friday morning
        (at(NY, 2026, 11, 25, 17), timedelta(hours=1), at(NY, 2026, 11, 27, 9, 30)),
        # on Thanksgiving itself
        (at(NY, 2026, 11, 26, 10), timedelta(minutes=5), at(NY, 2026, 11, 27, 9, 5)),
        # Christmas Eve: Christmas is a Friday, so the weekend follows
        (at(NY, 2026, 12, 24, 17), timedelta(hours=1), at(NY, 2026, 12, 28, 9, 30)),
        # Friday spill over a Monday holiday (Labor Day 2026-09-07)
        (at(NY, 2026, 9, 4, 17), timedelta(hours=1), at(NY, 2026, 9, 8, 9, 30)),
        # several days of business time: 8.5 h per day
        (at(NY, 2026, 11, 16, 9), timedelta(hours=17, minutes=1), at(NY, 2026, 11, 18, 9, 1)),
    ],
)
def test_add_business_time(arrives: datetime, wait: timedelta, due: datetime) -> None:
    assert add_business_time(arrives, wait, NY_OFFICE) == due
    assert business_time_between(arrives, due, NY_OFFICE) == wait


def test_deadline_that_uses_up_the_day_is_the_closing_instant() -> None:
    opening = at(NY, 2026, 11, 17, 9)
    closing = at(NY, 2026, 11, 17, 17, 30)
    assert add_business_time(opening, timedelta(hours=8, minutes=30), NY_OFFICE) == closing
    assert is_open(opening, NY_OFFICE)
    assert is_open(closing - timedelta(microseconds=1), NY_OFFICE)
    assert not is_open(closing, NY_OFFICE)


@pytest.mark.parametrize(
    ("moment", "opens"),
    [
        (at(NY, 2026, 11, 17, 10), at(NY, 2026, 11, 17, 10)),  # open: itself
        (at(NY, 2026, 11, 17, 8, 59), at(NY, 2026, 11, 17, 9)),
        (at(NY, 2026, 11, 17, 17, 30), at(NY, 2026, 11, 18, 9)),  # closing instant is closed
        (at(NY, 2026, 11, 21, 12), at(NY, 2026, 11, 23, 9)),  # Saturday
        (at(NY, 2026, 11, 25, 18), at(NY, 2026, 11, 27, 9)),  # before Thanksgiving
    ],
)
def test_next_open_and_zero_wait(moment: datetime, opens: datetime) -> None:
    assert next_open(moment, NY_OFFICE) == opens
    assert add_business_time(moment, timedelta(0), NY_OFFICE) == opens
    assert is_open(moment, NY_OFFICE) == (moment == opens)


def test_always_open_calendar_is_plain_arithmetic() -> None:
    friday_night = at(NY, 2026, 11, 20, 23)
    assert calendar_from_config(None, "America/New_York") is None
    assert is_open(friday_night, None)
    assert next_open(friday_night, None) == friday_night
    assert add_business_time(friday_night, timedelta(minutes=5), None) == utc(2026, 11, 21, 4, 5)
    assert add_business_time(friday_night, timedelta(0), None) == friday_night
    assert business_time_between(friday_night, utc(2026, 11, 23), None) == timedelta(hours=44)


def test_business_time_between_is_zero_backwards_and_when_closed() -> None:
    monday = at(NY, 2026, 11, 23, 10)
    assert business_time_between(monday, monday - timedelta(hours=1), NY_OFFICE) == timedelta(0)
    assert business_time_between(monday, monday, NY_OFFICE) == timedelta(0)
    saturday, sunday = at(NY, 2026, 11, 21, 10), at(NY, 2026, 11, 22, 23)
    assert business_time_between(saturday, sunday, NY_OFFICE) == timedelta(0)
    whole_week = business_time_between(at(NY, 2026, 11, 16), at(NY, 2026, 11, 23), NY_OFFICE)
    assert whole_week == timedelta(hours=42, minutes=30)  # 5 x 8.5 h
    thanksgiving_week = business_time_between(at(NY, 2026, 11, 23), at(NY, 2026, 11, 30), NY_OFFICE)
    assert thanksgiving_week == timedelta(hours=34)  # 4 x 8.5 h


def test_business_time_over_decades_counts_a_bounded_span() -> None:
    """A lead stored with `received_at` in year 1 (before intake had a window) made every
    count of its business time up to now overflow `date`, and one a century old walked 36,500
    days on every call. Only the last MAX_SPAN counts: more than the longest `intake.max_age`."""
    now = at(NY, 2026, 11, 23, 10)
    last_span = business_time_between(now - MAX_SPAN, now, NY_OFFICE)
    assert timedelta(days=3650) < MAX_SPAN  # the longest intake.max_age
    for ancient in (datetime(1, 1, 1, tzinfo=UTC), datetime(1926, 11, 23, tzinfo=UTC)):
        assert business_time_between(ancient, now, NY_OFFICE) == last_span
        assert business_time_between(ancient, now, None) == MAX_SPAN


def test_config_accessors_use_business_and_rep_time_zones() -> None:
    config = parse_config(
        {
            "timezone": "America/New_York",
            "business_hours": {
                "days": ["mon", "fri"],
                "start": "08:00",
                "end": "12:00",
                "holidays": ["2026-12-25"],
                "timezone": "Europe/Berlin",
            },
            "channels": {"queue": "C0QUEUE"},
            "reps": [
                {
                    "id": "U0ALICE",
                    "name": "Alice",
                    "timezone": "Europe/Berlin",
                    "quiet_hours": "20:00-08:00",
                },
                {"id": "U0BO", "name": "Bo", "quiet_hours": "12:00-13:00"},
                {"id": "U0CHEN", "name": "Chen"},
            ],
        }
    )
    assert business_calendar(config) == BusinessCalendar(
        days=frozenset({0, 4}),
        start=time(8),
        end=time(12),
        holidays=frozenset({CHRISTMAS}),
        tz=BERLIN,
    )
    assert rep_quiet_hours(config, "U0ALICE") == QuietHours(time(20), time(8), BERLIN)
    assert rep_quiet_hours(config, "U0BO") == QuietHours(time(12), time(13), NY)
    assert rep_quiet_hours(config, "U0CHEN") is None
    assert rep_quiet_hours(config, "U0NOBODY") is None
    assert business_calendar(parse_config({**_minimal(), "business_hours": "always"})) is None


def _minimal() -> dict[str, object]:
    return {"channels": {"queue": "C0QUEUE"}, "reps": [{"id": "U0BO", "name": "Bo"}]}


def test_calendar_without_timezone_uses_the_default() -> None:
    hours = BusinessHours.model_validate({"start": "09:00", "end": "17:00"})
    calendar = calendar_from_config(hours, "Europe/Berlin")
    assert calendar is not None
    assert calendar.tz == BERLIN
    assert calendar.days == WEEKDAYS


# --- refusing nonsense, terminating on weird calendars -----------------------------------------


def test_calendar_closed_for_over_a_year_raises_instead_of_looping() -> None:
    year = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(500))
    closed = BusinessCalendar(days=EVERY_DAY, start=time(9), end=time(17), holidays=year, tz=NY)
    with pytest.raises(ValueError, match="closed for 400 days"):
        add_business_time(at(NY, 2026, 1, 2), timedelta(hours=1), closed)
    with pytest.raises(ValueError, match="closed for 400 days"):
        next_open(at(NY, 2026, 1, 2), closed)
    assert not is_open(at(NY, 2026, 6, 1, 10), closed)
    assert business_time_between(utc(2026, 1, 1), utc(2027, 5, 1), closed) == timedelta(0)


def test_a_year_of_holidays_is_still_scanned_through() -> None:
    year = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(365))
    closed_2026 = BusinessCalendar(days=WEEKDAYS, start=time(9), end=time(17), holidays=year, tz=NY)
    assert next_open(at(NY, 2026, 1, 2), closed_2026) == at(NY, 2027, 1, 1, 9)  # a Friday


def test_calendar_open_a_microsecond_a_week_gives_up_instead_of_overflowing() -> None:
    tiny = BusinessCalendar(
        days=frozenset({0}), start=time(0), end=time(0, 0, 0, 1), holidays=frozenset(), tz=NY
    )
    assert add_business_time(utc(2026, 1, 1), timedelta(microseconds=2), tiny) == (
        at(NY, 2026, 1, 12) + timedelta(microseconds=1)
    )
    with pytest.raises(ValueError, match="not enough business time"):
        add_business_time(utc(2026, 1, 1), timedelta(hours=1), tiny)


def test_invalid_input_is_refused() -> None:
    with pytest.raises(ValueError, match="later than start"):
        BusinessCalendar(days=WEEKDAYS, start=time(17), end=time(9), holidays=frozenset(), tz=NY)
    with pytest.raises(ValueError, match="non-empty subset"):
        BusinessCalendar(days=frozenset(), start=time(9), end=time(17), holidays=frozenset(), tz=NY)
    with pytest.raises(ValueError, match="naive"):
        is_open(datetime(2026, 11, 20, 10), NY_OFFICE)
    with pytest.raises(ValueError, match="naive"):
        in_quiet_hours(datetime(2026, 11, 20, 10), NIGHTS)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(utc(2026, 11, 20), timedelta(minutes=-1), NY_OFFICE)


def test_non_utc_aware_input_gives_utc_output() -> None:
    local_friday = datetime(2026, 11, 20, 23, tzinfo=NY)
    due = add_business_time(local_friday, timedelta(minutes=5), NY_OFFICE)
    assert due == utc(2026, 11, 23, 14, 5)
    assert due.tzinfo is UTC


# --- DST: 09:00 stays 09:00 local, UTC offsets move ---------------------------------------------

# (calendar, Friday before the change, Monday after it, UTC offset on Friday, on Monday)
DST_WEEKENDS = [
    pytest.param(NY_OFFICE, date(2026, 3, 6), date(2026, 3, 9), -5, -4, id="new-york-spring"),
    pytest.param(NY_OFFICE, date(2026, 10, 30), date(2026, 11, 2), -4, -5, id="new-york-fall"),
    pytest.param(BERLIN_OFFICE, date(2026, 3, 27), date(2026, 3, 30), 1, 2, id="berlin-spring"),
    pytest.param(BERLIN_OFFICE, date(2026, 10, 23), date(2026, 10, 26), 2, 1, id="berlin-fall"),
]


@pytest.mark.parametrize(("calendar", "friday", "monday", "before", "after"), DST_WEEKENDS)
def test_two_hour_wait_across_a_dst_weekend(
    calendar: BusinessCalendar, friday: date, monday: date, before: int, after: int
) -> None:
    arrives = datetime.combine(friday, time(17), tzinfo=calendar.tz)  # 30 min before closing
    due = add_business_time(arrives, timedelta(hours=2), calendar)
    assert due.astimezone(calendar.tz).replace(tzinfo=None) == datetime.combine(
        monday, time(10, 30)
    )
    assert arrives.utcoffset() == timedelta(hours=before)
    assert due.astimezone(calendar.tz).utcoffset() == timedelta(hours=after)
    # exact UTC: Monday 10:30 local minus Monday's offset
    assert due == datetime.combine(monday, time(10, 30), tzinfo=UTC) - timedelta(hours=after)
    assert business_time_between(arrives, due, calendar) == timedelta(hours=2)
    # the raw wait is 65.5 h of wall clock, one hour less or more in real time
    assert due - arrives == timedelta(hours=65, minutes=30) - timedelta(hours=after - before)


@pytest.mark.parametrize(
    ("calendar", "saturday", "monday_opens_utc"),
    [
        (NY_OFFICE, date(2026, 3, 7), utc(2026, 3, 9, 13)),  # 09:00 EDT
        (NY_OFFICE, date(2026, 10, 31), utc(2026, 11, 2, 14)),  # 09:00 EST
        (BERLIN_OFFICE, date(2026, 3, 28), utc(2026, 3, 30, 7)),  # 09:00 CEST
        (BERLIN_OFFICE, date(2026, 10, 24), utc(2026, 10, 26, 8)),  # 09:00 CET
    ],
)
def test_monday_after_dst_change_opens_at_0900_local(
    calendar: BusinessCalendar, saturday: date, monday_opens_utc: datetime
) -> None:
    assert next_open(datetime.combine(saturday, time(12), tzinfo=calendar.tz), calendar) == (
        monday_opens_utc
    )


@pytest.mark.parametrize(
    ("tz", "sunday", "saturday_opens", "sunday_opens", "sunday_closes"),
    [
        (NY, date(2026, 3, 8), utc(2026, 3, 7, 14), utc(2026, 3, 8, 13), utc(2026, 3, 8, 21, 30)),
        (
            NY,
            date(2026, 11, 1),
            utc(2026, 10, 31, 13),
            utc(2026, 11, 1, 14),
            utc(2026, 11, 1, 22, 30),
        ),
        (
            BERLIN,
            date(2026, 3, 29),
            utc(2026, 3, 28, 8),
            utc(2026, 3, 29, 7),
            utc(2026, 3, 29, 15, 30),
        ),
        (
            BERLIN,
            date(2026, 10, 25),
            utc(2026, 10, 24, 7),
            utc(2026, 10, 25, 8),
            utc(2026, 10, 25, 16, 30),
        ),
    ],
)
def test_the_dst_day_itself_keeps_local_opening_hours(
    tz: ZoneInfo,
    sunday: date,
    saturday_opens: datetime,
    sunday_opens: datetime,
    sunday_closes: datetime,
) -> None:
    calendar = every_day(time(9), time(17, 30), tz)
    saturday_night = datetime.combine(sunday - timedelta(days=1), time(20), tzinfo=tz)
    assert next_open(datetime.combine(sunday, time(0), tzinfo=tz), calendar) == sunday_opens
    assert add_business_time(saturday_night, timedelta(hours=8, minutes=30), calendar) == (
        sunday_closes
    )
    # the 23- or 25-hour day still has 8.5 business hours; so has the weekend each day
    weekend = business_time_between(
        saturday_opens, datetime.combine(sunday + timedelta(days=1), time(0), tzinfo=tz), calendar
    )
    assert weekend == timedelta(hours=17)


@pytest.mark.parametrize(("calendar", "friday", "monday", "before", "after"), DST_WEEKENDS)
def test_business_time_between_across_dst_weekend(
    calendar: BusinessCalendar, friday: date, monday: date, before: int, after: int
) -> None:
    friday_noon = datetime.combine(friday, time(12), tzinfo=calendar.tz)
    monday_noon = datetime.combine(monday, time(12), tzinfo=calendar.tz)
    assert business_time_between(friday_noon, monday_noon, calendar) == timedelta(
        hours=8, minutes=30
    )
    # (aware datetimes in one zone subtract as wall clock: compare real time in UTC)
    real = monday_noon.astimezone(UTC) - friday_noon.astimezone(UTC)
    assert real == timedelta(hours=72 - (after - before))


def test_opening_in_spring_forward_gap_moves_forward_by_the_gap() -> None:
    # 02:30 does not exist in New York on 2026-03-08: fold=0 reads it as 02:30 EST = 03:30 EDT.
    calendar = every_day(time(2, 30), time(4))
    sunday = datetime.combine(date(2026, 3, 8), time(0), tzinfo=NY)
    assert next_open(sunday, calendar) == utc(2026, 3, 8, 7, 30)
    assert utc(2026, 3, 8, 7, 30).astimezone(NY).time() == time(3, 30)
    assert business_time_between(sunday, sunday + timedelta(hours=12), calendar) == timedelta(
        minutes=30
    )


def test_opening_and_closing_both_in_the_gap_keep_their_length() -> None:
    calendar = every_day(time(2), time(2, 45))  # both nonexistent, both shifted by one hour
    sunday = datetime.combine(date(2026, 3, 8), time(0), tzinfo=NY)
    assert next_open(sunday, calendar) == utc(2026, 3, 8, 7)  # 03:00 EDT
    assert add_business_time(sunday, timedelta(minutes=45), calendar) == utc(2026, 3, 8, 7, 45)


def test_day_whose_hours_vanish_in_the_gap_is_closed() -> None:
    # 02:30 (gap) maps to 03:30 EDT, after the 03:00 EDT closing: no open time that day.
    calendar = every_day(time(2, 30), time(3))
    sunday = datetime.combine(date(2026, 3, 8), time(0), tzinfo=NY)
    assert next_open(sunday, calendar) == at(NY, 2026, 3, 9, 2, 30) == utc(2026, 3, 9, 6, 30)
    assert not is_open(utc(2026, 3, 8, 7, 15), calendar)


def test_ambiguous_opening_is_the_first_occurrence() -> None:
    # 01:30 happens twice in New York on 2026-11-01: the first (EDT, 05:30 UTC) is the opening.
    calendar = every_day(time(1, 30), time(4))
    sunday = datetime.combine(date(2026, 11, 1), time(0), tzinfo=NY)
    assert next_open(sunday, calendar) == utc(2026, 11, 1, 5, 30)
    day = business_time_between(sunday, sunday + timedelta(hours=12), calendar)
    assert day == timedelta(hours=3, minutes=30)  # 01:30 EDT .. 04:00 EST


# --- quiet hours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (at(BERLIN, 2026, 1, 14, 19, 59), False),
        (at(BERLIN, 2026, 1, 14, 20), True),
        (at(BERLIN, 2026, 1, 14, 23, 59), True),
        (at(BERLIN, 2026, 1, 15, 0), True),
        (at(BERLIN, 2026, 1, 15, 7, 59), True),
        (at(BERLIN, 2026, 1, 15, 8), False),
        (at(BERLIN, 2026, 1, 15, 12), False),
    ],
)
def test_quiet_hours_across_midnight(moment: datetime, quiet: bool) -> None:
    assert in_quiet_hours(moment, NIGHTS) is quiet


@pytest.mark.parametrize(
    ("moment", "ends"),
    [
        (at(BERLIN, 2026, 1, 14, 23), utc(2026, 1, 15, 7)),  # 08:00 CET next day
        (at(BERLIN, 2026, 1, 15, 3), utc(2026, 1, 15, 7)),  # 08:00 CET same day
        (at(BERLIN, 2026, 1, 14, 20), utc(2026, 1, 15, 7)),
        (at(BERLIN, 2026, 1, 14, 19, 59), at(BERLIN, 2026, 1, 14, 19, 59)),  # not quiet: itself
        (at(BERLIN, 2026, 1, 15, 8), at(BERLIN, 2026, 1, 15, 8)),
        # spring-forward night 2026-03-28/29: 08:00 CEST = 06:00 UTC
        (at(BERLIN, 2026, 3, 28, 23), utc(2026, 3, 29, 6)),
        (at(BERLIN, 2026, 3, 29, 3, 30), utc(2026, 3, 29, 6)),
        # fall-back night 2026-10-24/25: 08:00 CET = 07:00 UTC
        (at(BERLIN, 2026, 10, 24, 23), utc(2026, 10, 25, 7)),
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 7)),  # 02:30 CEST, first time
        (utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 7)),  # 02:30 CET, second time
    ],
)
def test_quiet_hours_end(moment: datetime, ends: datetime) -> None:
    assert quiet_hours_end(moment, NIGHTS) == ends
    assert ends.astimezone(BERLIN).time() in {time(8), moment.astimezone(BERLIN).time()}


def test_quiet_nights_around_dst_have_the_right_length() -> None:
    spring_night = quiet_hours_end(at(BERLIN, 2026, 3, 28, 20), NIGHTS) - at(
        BERLIN, 2026, 3, 28, 20
    )
    fall_night = quiet_hours_end(at(BERLIN, 2026, 10, 24, 20), NIGHTS) - at(
        BERLIN, 2026, 10, 24, 20
    )
    assert spring_night == timedelta(hours=11)
    assert fall_night == timedelta(hours=13)


def test_same_day_quiet_window() -> None:
    assert not in_quiet_hours(at(BERLIN, 2026, 1, 14, 11, 59), LUNCH)
    assert in_quiet_hours(at(BERLIN, 2026, 1, 14, 12), LUNCH)
    assert in_quiet_hours(at(BERLIN, 2026, 1, 14, 12, 59), LUNCH)
    assert not in_quiet_hours(at(BERLIN, 2026, 1, 14, 13), LUNCH)
    assert not in_quiet_hours(at(BERLIN, 2026, 1, 14, 23), LUNCH)
    assert quiet_hours_end(at(BERLIN, 2026, 1, 14, 12, 30), LUNCH) == utc(2026, 1, 14, 12)
    assert quiet_hours_end(at(BERLIN, 2026, 7, 14, 12, 30), LUNCH) == utc(2026, 7, 14, 11)


def test_deliverable_at_holds_reminders_unless_urgent() -> None:
    night = at(BERLIN, 2026, 1, 14, 23)
    assert deliverable_at(night, NIGHTS) == utc(2026, 1, 15, 7)
    assert deliverable_at(night, NIGHTS, urgent=True) == night
    afternoon = at(BERLIN, 2026, 1, 14, 15)
    assert deliverable_at(afternoon, NIGHTS) == afternoon
    assert deliverable_at(night, None) == night


def test_no_quiet_hours_and_empty_window_are_never_quiet() -> None:
    night = at(BERLIN, 2026, 1, 14, 23)
    never = QuietHours(start=time(20), end=time(20), tz=BERLIN)
    for quiet in (None, never):
        assert not in_quiet_hours(night, quiet)
        assert quiet_hours_end(night, quiet) == night


def test_quiet_end_in_spring_forward_gap_is_the_jump() -> None:
    # "22:00-02:30" in New York: 02:30 does not exist on 2026-03-08; the clock leaves the window
    # when it jumps from 02:00 EST to 03:00 EDT (07:00 UTC). More DST cases: test_quiet_hours.py.
    quiet = QuietHours(start=time(22), end=time(2, 30), tz=NY)
    assert quiet_hours_end(at(NY, 2026, 3, 7, 23), quiet) == utc(2026, 3, 8, 7)


def test_repeated_hour_is_quiet_on_both_passes() -> None:
    # "22:00-01:30" in New York on 2026-11-01: quiet ends at 01:30 EDT, and the clock shows
    # 01:00-01:30 again an hour later (EST): quiet again, until 01:30 EST.
    quiet = QuietHours(start=time(22), end=time(1, 30), tz=NY)
    assert quiet_hours_end(at(NY, 2026, 10, 31, 23), quiet) == utc(2026, 11, 1, 5, 30)
    assert in_quiet_hours(utc(2026, 11, 1, 5, 15), quiet)  # 01:15 EDT
    assert in_quiet_hours(utc(2026, 11, 1, 6, 15), quiet)  # 01:15 EST
    assert quiet_hours_end(utc(2026, 11, 1, 6, 15), quiet) == utc(2026, 11, 1, 6, 30)


def test_quiet_hours_for_rep() -> None:
    alice = Rep(id="U0ALICE", name="Alice", timezone="Europe/Berlin", quiet_hours="20:00-08:00")
    bo = Rep(id="U0BO", name="Bo", quiet_hours="12:00-13:00")
    chen = Rep(id="U0CHEN", name="Chen", timezone="Asia/Singapore")
    assert quiet_hours_for(alice, "America/New_York") == NIGHTS
    assert quiet_hours_for(bo, "Europe/Berlin") == LUNCH
    assert quiet_hours_for(chen, "UTC") is None


def test_existing_snooze_helpers_still_work() -> None:
    now = at(BERLIN, 2026, 3, 28, 22)
    assert tomorrow_at(now, BERLIN) == utc(2026, 3, 29, 7)  # 09:00 CEST after spring forward
    assert snooze_until("tomorrow", now, BERLIN) == utc(2026, 3, 29, 7)
    assert snooze_until("15m", now, BERLIN) == now + timedelta(minutes=15)


# --- properties ----------------------------------------------------------------------------------

ZONES = st.sampled_from([NY, BERLIN, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")])
CLOCK = st.times(max_value=time(23, 59, 59))
MOMENTS = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 2, 1), timezones=st.just(UTC)
)
AMOUNTS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=12))


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    # At least an hour a day keeps the scan short; tiny windows have their own test above.
    opens = draw(st.integers(0, 22 * 60))
    closes = opens + draw(st.integers(60, 24 * 60 - 1 - opens))
    start, end = time(*divmod(opens, 60)), time(*divmod(closes, 60))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=30))
    return BusinessCalendar(days=days, start=start, end=end, holidays=holidays, tz=draw(ZONES))


ANY_CALENDAR = st.one_of(st.sampled_from([NY_OFFICE, BERLIN_OFFICE]), calendars())


def _open_or_closing(moment: datetime, calendar: BusinessCalendar) -> bool:
    return is_open(moment, calendar) or is_open(moment - timedelta(microseconds=1), calendar)


@settings(deadline=None, max_examples=300)
@given(calendar=ANY_CALENDAR, start=MOMENTS, amount=AMOUNTS, extra=AMOUNTS)
def test_add_then_measure_round_trips(
    calendar: BusinessCalendar, start: datetime, amount: timedelta, extra: timedelta
) -> None:
    due = add_business_time(start, amount, calendar)
    assert due >= start
    assert business_time_between(start, due, calendar) == amount
    assert _open_or_closing(due, calendar)
    assert add_business_time(start, amount + extra, calendar) >= due  # monotonic in amount


@settings(deadline=None, max_examples=200)
@given(calendar=ANY_CALENDAR, a=MOMENTS, b=MOMENTS, c=MOMENTS)
def test_business_time_between_is_additive(
    calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted((a, b, c))
    total = business_time_between(a, c, calendar)
    assert total == business_time_between(a, b, calendar) + business_time_between(b, c, calendar)
    assert timedelta(0) <= total <= c - a


@settings(deadline=None, max_examples=300)
@given(zone=ZONES, window=st.lists(CLOCK, min_size=2, max_size=2, unique=True), moment=MOMENTS)
def test_quiet_hours_end_is_the_first_moment_out_of_quiet(
    zone: ZoneInfo, window: list[time], moment: datetime
) -> None:
    quiet = QuietHours(start=window[0], end=window[1], tz=zone)
    ends = quiet_hours_end(moment, quiet)
    assert not in_quiet_hours(ends, quiet)
    if in_quiet_hours(moment, quiet):
        assert ends > moment
        assert in_quiet_hours(ends - timedelta(microseconds=1), quiet)
        # Under a day of wall clock plus a repeated hour, or a day more when the window's free
        # minutes fall into a spring-forward gap (02:30-02:15 in New York on 2026-03-08).
        assert ends - moment <= timedelta(hours=49)
    else:
        assert ends == moment


def test_tomorrow_is_nine_in_the_reps_own_zone_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 22:30 UTC on Saturday 24 October is 00:30 CEST on Sunday the 25th in Berlin (past local
    # midnight), so "tomorrow" is Monday the 26th: 9:00 CET, after the switch back from CEST.
    now = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)
    assert tomorrow_at(now, berlin) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    new_york = ZoneInfo("America/New_York")
    # 23:30 in New York on Saturday 2026-03-07; Sunday 9:00 is EDT (UTC-4) after the spring switch.
    now = datetime(2026, 3, 8, 4, 30, tzinfo=UTC)
    assert snooze_until("tomorrow", now, new_york) == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    assert snooze_until("15m", now, new_york) == now + timedelta(minutes=15)
