"""When cadence steps are due: exact instants, written out in local time and in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bot.followup.prospect import prospect_zones
from bot.followup.schedule import (
    CallingWindow,
    business_day,
    next_business_morning,
    step_due,
)
from bot.hours import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
TOKYO = ZoneInfo("Asia/Tokyo")
AUCKLAND = ZoneInfo("Pacific/Auckland")
SINGAPORE = ZoneInfo("Asia/Singapore")
WEEKDAYS = frozenset(range(5))
DEFAULT = CallingWindow()


def office(tz: ZoneInfo, *holidays: date, days: frozenset[int] = WEEKDAYS) -> BusinessCalendar:
    return BusinessCalendar(days, time(9), time(17), frozenset(holidays), tz)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


BERLIN_OFFICE = office(BERLIN)
FRIDAY_1600 = datetime(2026, 11, 27, 16, 0, tzinfo=BERLIN)  # CET, 15:00 UTC
MONDAY_0900 = datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)  # CET, 08:00 UTC


# --- business days -----------------------------------------------------------------------------


def test_days_count_the_reps_business_days_from_the_claim() -> None:
    assert step_due(1, FRIDAY_1600, BERLIN_OFFICE, BERLIN) == utc(2026, 11, 27, 15)  # Fri 16:00
    assert step_due(2, FRIDAY_1600, BERLIN_OFFICE, BERLIN) == utc(2026, 11, 30, 8)  # Mon 09:00
    assert step_due(4, FRIDAY_1600, BERLIN_OFFICE, BERLIN) == utc(2026, 12, 2, 8)  # Wed 09:00
    assert step_due(14, FRIDAY_1600, BERLIN_OFFICE, BERLIN) == utc(2026, 12, 16, 8)


def test_a_holiday_is_not_a_business_day() -> None:
    calendar = office(BERLIN, date(2026, 11, 30))
    assert step_due(2, FRIDAY_1600, calendar, BERLIN) == utc(2026, 12, 1, 8)  # Tue 09:00
    assert business_day(2, FRIDAY_1600, calendar, BERLIN) == date(2026, 12, 1)


def test_a_claim_on_a_day_off_starts_at_the_next_opening() -> None:
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=BERLIN)
    assert step_due(1, saturday, BERLIN_OFFICE, BERLIN) == utc(2026, 11, 30, 8)
    assert step_due(2, saturday, BERLIN_OFFICE, BERLIN) == utc(2026, 12, 1, 8)


def test_a_claim_before_the_opening_is_due_at_the_opening() -> None:
    early = datetime(2026, 11, 30, 7, 30, tzinfo=BERLIN)
    assert step_due(1, early, BERLIN_OFFICE, BERLIN) == utc(2026, 11, 30, 8)


def test_the_day_is_the_reps_local_date() -> None:
    # 23:30 UTC Friday is already Saturday in Berlin: day 1 is Monday.
    assert business_day(1, utc(2026, 11, 27, 23, 30), BERLIN_OFFICE, BERLIN) == date(2026, 11, 30)
    # The calendar's own tz is not read: `tz` is the rep's (the calendar as the rep keeps it).
    assert business_day(1, utc(2026, 11, 27, 23, 30), BERLIN_OFFICE, NY) == date(2026, 11, 27)


def test_without_a_calendar_every_day_counts_from_nine() -> None:
    assert step_due(1, FRIDAY_1600, None, BERLIN) == utc(2026, 11, 27, 15)
    assert step_due(2, FRIDAY_1600, None, BERLIN) == utc(2026, 11, 28, 8)  # Sat 09:00
    assert step_due(3, utc(2026, 11, 27, 3), None, BERLIN) == utc(2026, 11, 29, 8)


@pytest.mark.parametrize(
    ("claim", "day2"),
    [
        # Fri 10:00 EST; Monday 09:00 is EDT after the Sunday spring-forward.
        pytest.param(datetime(2026, 3, 6, 10, tzinfo=NY), utc(2026, 3, 9, 13), id="spring"),
        # Fri 10:00 EDT; Monday 09:00 is EST after the Sunday fall-back.
        pytest.param(datetime(2026, 10, 30, 10, tzinfo=NY), utc(2026, 11, 2, 14), id="fall"),
    ],
)
def test_nine_stays_nine_across_dst(claim: datetime, day2: datetime) -> None:
    calendar = office(NY)
    assert step_due(1, claim, calendar, NY) == claim.astimezone(UTC)
    assert step_due(2, claim, calendar, NY) == day2
    # Open every day: a Saturday claim's day 2 is the change's own Sunday, 09:00 in force then.
    every_day = office(NY, days=frozenset(range(7)))
    saturday = datetime.combine(day2.date() - timedelta(days=2), time(10), tzinfo=NY)
    sunday = datetime.combine(day2.date() - timedelta(days=1), time(9), tzinfo=NY)
    assert step_due(2, saturday, every_day, NY) == sunday.astimezone(UTC)


def test_an_opening_in_the_spring_forward_gap_is_read_with_fold_0() -> None:
    # 02:30 does not exist in New York on 2026-03-08: like bot.hours, it is 03:30 EDT.
    calendar = BusinessCalendar(frozenset(range(7)), time(2, 30), time(17), frozenset(), NY)
    assert step_due(2, datetime(2026, 3, 7, 12, tzinfo=NY), calendar, NY) == utc(2026, 3, 8, 7, 30)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="count from 1"):
        business_day(0, FRIDAY_1600, BERLIN_OFFICE, BERLIN)
    with pytest.raises(ValueError, match="naive"):
        step_due(1, datetime(2026, 11, 27, 16), BERLIN_OFFICE, BERLIN)
    closed = BusinessCalendar(
        frozenset({0}),
        time(9),
        time(17),
        frozenset(date(2026, 1, 5) + timedelta(weeks=w) for w in range(60)),
        BERLIN,
    )
    with pytest.raises(ValueError, match="no business day in the 401 days"):
        business_day(1, utc(2026, 1, 1), closed, BERLIN)
    with pytest.raises(ValueError, match="later than start"):
        CallingWindow(time(20), time(8))


# --- not_before --------------------------------------------------------------------------------


def test_not_before_later_than_the_nominal_day() -> None:
    def due(not_before: datetime, call: bool = False) -> datetime:
        return step_due(
            2, FRIDAY_1600, BERLIN_OFFICE, BERLIN, call=call, prospect=(LA,), not_before=not_before
        )

    # Nominal: Monday 09:00 CET. Done Wednesday 10:30: due then.
    assert due(datetime(2026, 12, 2, 10, 30, tzinfo=BERLIN)) == utc(2026, 12, 2, 9, 30)
    # Done on Saturday: Monday's opening.
    assert due(datetime(2026, 12, 5, 10, tzinfo=BERLIN)) == utc(2026, 12, 7, 8)
    # Done on the nominal day, after the opening; and before it (changes nothing).
    assert due(datetime(2026, 11, 30, 14, tzinfo=BERLIN)) == utc(2026, 11, 30, 13)
    assert due(datetime(2026, 11, 27, 17, tzinfo=BERLIN)) == utc(2026, 11, 30, 8)
    # A call: Wednesday 10:30 CET is 01:30 in Los Angeles; 08:00 PST is 17:00 CET.
    assert due(datetime(2026, 12, 2, 10, 30, tzinfo=BERLIN), call=True) == utc(2026, 12, 2, 16)


# --- calls -------------------------------------------------------------------------------------


def call(
    anchor: datetime,
    calendar: BusinessCalendar | None,
    tz: ZoneInfo,
    *prospect: ZoneInfo,
    window: CallingWindow = DEFAULT,
    day: int = 1,
) -> datetime:
    return step_due(day, anchor, calendar, tz, call=True, prospect=prospect, window=window)


def test_a_call_waits_for_the_prospects_morning() -> None:
    # Berlin 09:00 CET is 00:00 in Los Angeles; 08:00 PST is 17:00 CET, the same business day.
    assert call(MONDAY_0900, BERLIN_OFFICE, BERLIN, LA) == utc(2026, 11, 30, 16)
    # Auckland is CET+12 (NZDT): Berlin 09:00 is 21:00 there; 08:00 NZDT Tuesday is 20:00 CET.
    assert call(MONDAY_0900, BERLIN_OFFICE, BERLIN, AUCKLAND) == utc(2026, 11, 30, 19)
    # In the rep's own zone when the prospect's is not known.
    assert call(MONDAY_0900, BERLIN_OFFICE, BERLIN) == utc(2026, 11, 30, 8)
    assert call(datetime(2026, 11, 30, 21, tzinfo=BERLIN), BERLIN_OFFICE, BERLIN) == utc(
        2026, 12, 1, 8
    )


def test_a_call_stays_on_the_reps_business_day() -> None:
    # Friday 23:00 CET is 07:00 Saturday in Tokyo; 08:00 JST is already Saturday in Berlin, so
    # the call moves to Monday's opening (17:00 JST, inside the window).
    late = datetime(2026, 11, 27, 23, tzinfo=BERLIN)
    assert call(late, BERLIN_OFFICE, BERLIN, TOKYO) == utc(2026, 11, 30, 8)
    # Plain steps do not care: day 1 is the claim itself.
    assert step_due(1, late, BERLIN_OFFICE, BERLIN, prospect=(TOKYO,)) == utc(2026, 11, 27, 22)


def test_a_country_calls_when_all_its_zones_are_awake() -> None:
    monday = datetime(2026, 11, 30, 9, tzinfo=NY)  # 14:00 UTC
    # New York and Los Angeles: 08:00 PST = 11:00 EST, until 20:00 EST.
    assert call(monday, office(NY), NY, NY, LA) == utc(2026, 11, 30, 16)
    assert call(monday.replace(hour=19, minute=59), office(NY), NY, NY, LA) == utc(
        2026, 12, 1, 0, 59
    )
    # "US" also holds Hawaii (UTC-10) and the Aleutians: 08:00 HST = 13:00 EST.
    us = prospect_zones(None, "US", NY)
    assert us[0] == NY
    assert call(monday, office(NY), NY, *us) == utc(2026, 11, 30, 18)
    # Summer: 08:00 PDT = 11:00 EDT; Hawaii keeps UTC-10, so 08:00 HST = 14:00 EDT.
    june = datetime(2026, 6, 1, 9, tzinfo=NY)
    assert call(june, office(NY), NY, NY, LA) == utc(2026, 6, 1, 15)
    assert call(june, office(NY), NY, *us) == utc(2026, 6, 1, 18)


def test_russia_shares_two_hours_else_its_first_zone_decides() -> None:
    russia = prospect_zones(None, "RU", TOKYO)
    assert russia[0] == ZoneInfo("Europe/Kaliningrad")
    monday = datetime(2026, 11, 30, 9, tzinfo=TOKYO)  # 00:00 UTC
    # UTC+2 .. UTC+12: 08:00 in Kamchatka (20:00 UTC) to 20:00 in Kaliningrad (18:00 UTC) leaves
    # 06:00-08:00 UTC (15:00-17:00 JST).
    assert call(monday, office(TOKYO), TOKYO, *russia) == utc(2026, 11, 30, 6)
    # An 8-hour window is narrower than the country: Kaliningrad's 09:00 (07:00 UTC) decides.
    narrow = CallingWindow(time(9), time(17))
    assert call(monday, office(TOKYO), TOKYO, *russia, window=narrow) == utc(2026, 11, 30, 7)
    # Shared hours that never fall on the rep's day (06:00-08:00 UTC is 07:00-09:00 CET, before
    # Berlin opens): Kaliningrad alone, at the opening (10:00 there).
    assert call(MONDAY_0900, BERLIN_OFFICE, BERLIN, *russia) == utc(2026, 11, 30, 8)


def test_a_singapore_rep_calls_the_us_on_new_york_time() -> None:
    # All of the US is awake 18:00-01:00 UTC, 02:00-09:00 in Singapore: never on the rep's day
    # from 09:00. New York's 08:00-20:00 EST is 21:00-09:00 SGT.
    monday = datetime(2026, 11, 30, 9, tzinfo=SINGAPORE)
    us = prospect_zones(None, "United States", SINGAPORE)
    assert call(monday, office(SINGAPORE), SINGAPORE, *us) == utc(2026, 11, 30, 13)


def test_a_window_that_never_meets_the_reps_days_leaves_the_step_at_its_moment() -> None:
    # 08:00-09:00 Tokyo is 00:00-01:00 CET: never on a Berlin business day from 09:00.
    narrow = CallingWindow(time(8), time(9))
    assert call(MONDAY_0900, BERLIN_OFFICE, BERLIN, TOKYO, window=narrow) == utc(2026, 11, 30, 8)


def test_the_window_is_read_on_the_prospects_wall_clock_across_a_gap() -> None:
    # New York springs forward on 2026-03-08: 02:00 EST (07:00 UTC) becomes 03:00 EDT.
    tokyo_every_day = None  # no calendar: every day, from 09:00 JST (00:00 UTC)
    early = CallingWindow(time(2, 30), time(6))
    # The clock enters 02:30-06:00 at the jump (03:00 EDT), not at 02:30 read with fold=0 (03:30).
    sunday = datetime(2026, 3, 8, 9, tzinfo=TOKYO)
    assert call(sunday, tokyo_every_day, TOKYO, NY, window=early) == utc(2026, 3, 8, 7)
    # 00:00-02:30 ends at the jump: at 07:10 UTC the clock shows 03:10 EDT. The next window,
    # 04:00 UTC on the 9th, is still the 9th in Tokyo (13:00 JST), a day later.
    night = CallingWindow(time(0), time(2, 30))
    at_0710 = datetime(2026, 3, 8, 16, 10, tzinfo=TOKYO)
    assert call(at_0710, tokyo_every_day, TOKYO, NY, window=night) == utc(2026, 3, 9, 4)
    assert call(at_0710, tokyo_every_day, TOKYO, NY, window=night, day=2) == utc(2026, 3, 9, 4)


def test_a_call_on_the_prospects_spring_forward_day() -> None:
    # Auckland springs forward on 2026-09-27 (02:00 NZST -> 03:00 NZDT): 08:00 NZDT there is
    # 19:00 UTC on the 26th. A Los Angeles rep with every day open calls at 12:00 PDT Saturday.
    every_day = office(LA, days=frozenset(range(7)))
    saturday = datetime(2026, 9, 26, 9, tzinfo=LA)  # 16:00 UTC, 05:00 NZDT Sunday
    assert call(saturday, every_day, LA, AUCKLAND) == utc(2026, 9, 26, 19)


def test_next_business_morning() -> None:
    assert next_business_morning(FRIDAY_1600, BERLIN_OFFICE, BERLIN) == utc(2026, 11, 30, 8)
    holiday = office(BERLIN, date(2026, 11, 30))
    assert next_business_morning(FRIDAY_1600, holiday, BERLIN) == utc(2026, 12, 1, 8)
    assert next_business_morning(FRIDAY_1600, None, BERLIN) == utc(2026, 11, 28, 8)
    # Before the opening it is still the next day: "+1 business day".
    early = datetime(2026, 11, 30, 7, tzinfo=BERLIN)
    assert next_business_morning(early, BERLIN_OFFICE, BERLIN) == utc(2026, 12, 1, 8)


# --- properties --------------------------------------------------------------------------------

REP_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Sydney",
    "America/Santiago",
    "Pacific/Auckland",
    "UTC",
]
PROSPECT_ZONES = [
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Chatham",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Tokyo",
    "Pacific/Honolulu",
    "America/Sao_Paulo",
]
# 2026's DST changes: US, EU, AU/NZ (Apr/Sep-Oct), Chile, Lord Howe (30 minutes).
DST_DAYS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 9, 6),
    date(2026, 9, 27),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
]


@st.composite
def calendars(draw: st.DrawFn, tz: ZoneInfo) -> BusinessCalendar | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    opens = draw(st.integers(0, 22 * 60))
    closes = opens + draw(st.integers(15, 24 * 60 - 1 - opens))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2027, 3, 31)), max_size=8))
    return BusinessCalendar(days, _clock(opens), _clock(closes), holidays, tz)


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@st.composite
def windows(draw: st.DrawFn) -> CallingWindow:
    if draw(st.booleans()):
        return DEFAULT
    start = draw(st.integers(0, 23 * 60))
    return CallingWindow(_clock(start), _clock(start + draw(st.integers(30, 24 * 60 - 1 - start))))


@st.composite
def anchors(draw: st.DrawFn) -> datetime:
    near = draw(st.sampled_from(DST_DAYS))
    around = datetime.combine(near, time(0), tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(-4 * 24 * 60, 4 * 24 * 60))
    )
    anywhere = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 600_000)))
    return draw(st.sampled_from([around, anywhere]))


@st.composite
def cases(draw: st.DrawFn) -> dict[str, object]:
    tz = ZoneInfo(draw(st.sampled_from(REP_ZONES)))
    anchor = draw(anchors())
    later = draw(st.none() | st.integers(0, 40 * 24 * 60))
    zones = draw(st.lists(st.sampled_from(PROSPECT_ZONES), min_size=1, max_size=3, unique=True))
    return {
        "anchor": anchor,
        "calendar": draw(calendars(tz)),
        "tz": tz,
        "prospect": tuple(ZoneInfo(zone) for zone in zones),
        "window": draw(windows()),
        "not_before": None if later is None else anchor + timedelta(minutes=later),
    }


def inside(moment: datetime, zone: ZoneInfo, window: CallingWindow) -> bool:
    return window.start <= moment.astimezone(zone).time() < window.end


def is_business_date(moment: datetime, case: dict[str, object]) -> bool:
    calendar = case["calendar"]
    local = moment.astimezone(case["tz"]).date()  # type: ignore[arg-type]
    assert calendar is None or isinstance(calendar, BusinessCalendar)
    return calendar is None or (local.weekday() in calendar.days and local not in calendar.holidays)


@settings(max_examples=150)
@given(case=cases(), day=st.integers(1, 30), is_call=st.booleans())
def test_due_is_on_a_business_day_after_the_anchor_and_in_day_order(
    case: dict[str, object], day: int, is_call: bool
) -> None:
    due = step_due(day, call=is_call, **case)  # type: ignore[arg-type]
    after = step_due(day + 1, call=is_call, **case)  # type: ignore[arg-type]
    assert due.tzinfo is UTC and is_business_date(due, case) and is_business_date(after, case)
    assert due >= case["anchor"]  # type: ignore[operator]
    assert case["not_before"] is None or due >= case["not_before"]  # type: ignore[operator]
    assert after >= due


@settings(max_examples=150)
@given(case=cases(), day=st.integers(1, 30))
def test_a_call_is_inside_the_window_and_as_early_as_it_can_be(
    case: dict[str, object], day: int
) -> None:
    due = step_due(day, call=True, **case)  # type: ignore[arg-type]
    moment = step_due(day, **case)  # type: ignore[arg-type]
    prospect, window = case["prospect"], case["window"]
    assert isinstance(prospect, tuple) and isinstance(window, CallingWindow)
    assert due >= moment and due.second == due.microsecond == 0
    if all(inside(due, zone, window) for zone in prospect):
        used = prospect
        event(f"call in all {len(prospect)} zones' windows")
    elif inside(due, prospect[0], window):  # the zones never share an hour on the rep's days
        used = prospect[:1]
        event("call in prospect[0]'s window only")
    else:  # not even prospect[0]'s window meets the rep's days: the step's own moment
        assert due == moment
        event("no window on the rep's days: the step's moment")
        return
    # Earliest: no whole minute before it on the same rep-local day fits (the edges are whole
    # minutes: whole-minute windows, anchors and openings; quarter-hour offsets).
    tz = case["tz"]
    assert isinstance(tz, ZoneInfo)
    if due.astimezone(tz).date() == moment.astimezone(tz).date():
        event(f"same day, {'at' if due == moment else 'after'} the step's moment")
        minute = moment
        while minute < due:
            assert not all(inside(minute, zone, window) for zone in used), minute
            minute += timedelta(minutes=1)


@given(
    n=st.integers(1, 60),
    anchor=anchors(),
    tz=st.sampled_from(REP_ZONES).map(ZoneInfo),
    data=st.data(),
)
def test_business_days_are_business_days_in_order(
    n: int, anchor: datetime, tz: ZoneInfo, data: st.DataObject
) -> None:
    calendar = data.draw(calendars(tz))
    first, second = (business_day(k, anchor, calendar, tz) for k in (n, n + 1))
    assert anchor.astimezone(tz).date() <= first < second
    for day in (first, second):
        assert calendar is None or (day.weekday() in calendar.days and day not in calendar.holidays)
    if calendar is None:
        assert (first - anchor.astimezone(tz).date()).days == n - 1
