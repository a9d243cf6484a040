"""Date formats in exports (bot/review/audit/dates.py) and the fast business clock
(bot/review/audit/business.py), against the slow one it must agree with."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.hours import BusinessCalendar, business_time_between
from bot.review.audit.business import BusinessSeconds
from bot.review.audit.dates import DateFormatError, NotInZone, detect, parser

NEW_YORK, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")
ZONES = [NEW_YORK, BERLIN, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kolkata"),
         ZoneInfo("Pacific/Apia"), ZoneInfo("UTC")]  # fmt: skip


def parse_with(values: list[str], order: str | None = None, tz: ZoneInfo | None = NEW_YORK,
               ) -> datetime:  # fmt: skip
    formats, found = detect({"Create Date": values}, order, tz)
    seconds = parser(formats["Create Date"], found, tz)(values[0])
    return datetime.fromtimestamp(seconds, UTC)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2024-03-12 09:14"], datetime(2024, 3, 12, 13, 14, tzinfo=UTC)),  # HubSpot, EDT
        (["3/15/2024 2:30 PM", "3/4/2024 9:00 AM"], datetime(2024, 3, 15, 18, 30, tzinfo=UTC)),
        (["3/15/2024, 2:30 PM"], datetime(2024, 3, 15, 18, 30, tzinfo=UTC)),  # Salesforce
        (["15/03/2024 14:30"], datetime(2024, 3, 15, 18, 30, tzinfo=UTC)),
        (["12.03.2024 14:30"], datetime(2024, 3, 12, 18, 30, tzinfo=UTC)),  # dots: day first
        (["2024-03-12T09:14:00+01:00"], datetime(2024, 3, 12, 8, 14, tzinfo=UTC)),
        (["2024-03-12T09:14:00Z"], datetime(2024, 3, 12, 9, 14, tzinfo=UTC)),
        (["2024-03-12 09:14:00 UTC"], datetime(2024, 3, 12, 9, 14, tzinfo=UTC)),
        (["12/1/2024 12:05 AM", "12/31/2024 1:00 PM"], datetime(2024, 12, 1, 5, 5, tzinfo=UTC)),
        (["2026-11-01 01:30"], datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # the first 01:30
    ],
)
def test_formats_are_read(values: list[str], expected: datetime) -> None:
    assert parse_with(values) == expected


def test_an_order_no_value_settles_is_asked_for() -> None:
    with pytest.raises(DateFormatError, match=r"'3/4/2024 2:30 PM' could be month/day or day/mon"):
        parse_with(["3/4/2024 2:30 PM", "5/6/2024 9:00 AM"])
    assert parse_with(["3/4/2024 2:30 PM"], "dmy") == datetime(2024, 4, 3, 18, 30, tzinfo=UTC)


def test_a_file_with_both_orders_is_refused_unless_told() -> None:
    with pytest.raises(DateFormatError, match="some dates are day first and some month first"):
        parse_with(["3/15/2024 2:30 PM", "15/3/2024 2:30 PM"])


def test_without_an_offset_the_zone_is_asked_for() -> None:
    with pytest.raises(DateFormatError, match="carry no time zone; pass --tz"):
        parse_with(["2024-03-12 09:14"], tz=None)
    assert parse_with(["2024-03-12T09:14:00+00:00"], tz=None).hour == 9


def test_a_wall_time_the_clocks_skipped_is_a_bad_value_not_a_guess() -> None:
    formats, order = detect({"c": ["2024-03-10 02:41"]}, None, NEW_YORK)
    with pytest.raises(NotInZone, match="2024-03-10 02:41 never happened in America/New_York"):
        parser(formats["c"], order, NEW_YORK)("2024-03-10 02:41")


def test_an_unknown_format_names_a_value() -> None:
    with pytest.raises(DateFormatError, match="'March 3rd' is not a date format the audit reads"):
        parse_with(["March 3rd"])


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)),
    tz=st.sampled_from(ZONES),
    style=st.sampled_from(
        ["%Y-%m-%d %H:%M:%S", "%m/%d/%Y %I:%M:%S %p", "%d.%m.%Y %H:%M:%S", "%m/%d/%Y, %I:%M:%S %p"]
    ),
)
def test_any_wall_time_reads_back_as_the_zone_says(moment: datetime, tz: ZoneInfo,
                                                   style: str) -> None:  # fmt: skip
    moment = moment.replace(microsecond=0)
    text = moment.strftime(style)
    order = "dmy" if style.startswith("%d") else "mdy"
    formats, found = detect({"c": [text]}, order, tz)
    parse = parser(formats["c"], found, tz)
    local = moment.replace(tzinfo=tz)
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != moment:
        with pytest.raises(NotInZone, match="never happened"):  # skipped by a DST change
            parse(text)
    else:
        assert parse(text) == local.timestamp()  # an hour that repeats: its first time


OFFICE = BusinessCalendar(frozenset(range(5)), time(9), time(17),
                          frozenset({date(2024, 12, 25)}), NEW_YORK)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)),
    zone=st.sampled_from(ZONES),
    days=st.sets(st.integers(0, 6), min_size=1),
)
def test_fast_business_time_agrees_with_bot_hours(
    start: datetime, span: timedelta, zone: ZoneInfo, days: set[int]
) -> None:
    calendar = BusinessCalendar(frozenset(days), time(8, 30), time(17), frozenset(), zone)
    clock = BusinessSeconds(calendar)
    end = start + span
    slow = business_time_between(start, end, calendar).total_seconds()
    assert clock.between(start.timestamp(), end.timestamp()) == pytest.approx(slow, abs=1e-6)


def test_business_time_across_a_weekend_a_holiday_and_dst() -> None:
    clock = BusinessSeconds(OFFICE)
    friday_4pm = datetime(2024, 3, 8, 16, tzinfo=NEW_YORK)  # DST starts Sunday the 10th
    monday_10am = datetime(2024, 3, 11, 10, tzinfo=NEW_YORK)
    assert clock.between(friday_4pm.timestamp(), monday_10am.timestamp()) == 2 * 3600
    christmas_eve = datetime(2024, 12, 24, 16, 30, tzinfo=NEW_YORK)
    boxing_day = datetime(2024, 12, 26, 9, 30, tzinfo=NEW_YORK)
    assert clock.between(christmas_eve.timestamp(), boxing_day.timestamp()) == 3600
    assert clock.is_open(monday_10am.timestamp()) and not clock.is_open(friday_4pm.timestamp()
                                                                         + 2 * 3600)  # fmt: skip
    assert BusinessSeconds(None).between(0.0, 90.0) == 90.0
