"""Speed to lead as a pure report (bot/review/report.py): percentiles and shares, the period
windows, and who may see which rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.review.report import (
    SHARED_QUEUE,
    RepRow,
    StatsReport,
    percentile,
    period_window,
    speed,
    summarize,
    visible_to,
)

UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
SINGAPORE = ZoneInfo("Asia/Singapore")
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday; 10:00 in New York, 23:00 in Singapore


# -- percentiles and shares -----------------------------------------------------------------------
def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 11)]
    assert (percentile(values, 50), percentile(values, 90), percentile(values, 100)) == (5, 9, 10)
    assert percentile([7.0], 50) == percentile([7.0], 90) == 7
    assert percentile([1.0, 2.0], 50) == 1  # nearest rank: ceil(0.5 * 2) = the 1st value
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match=r"1\.\.100"):
        percentile(values, 0)


@given(st.lists(st.floats(0, 1e7), min_size=1), st.integers(1, 100))
def test_percentile_is_the_smallest_value_with_p_percent_at_or_below(
    values: list[float], p: int
) -> None:
    ordered = sorted(values)
    found = percentile(ordered, p)
    assert found in ordered
    assert 100 * sum(v <= found for v in ordered) >= p * len(ordered)
    assert 100 * sum(v < found for v in ordered) < p * len(ordered)


def test_shares_are_of_the_whole_cohort_and_limits_are_inclusive() -> None:
    waits = [60.0, 300.0, 301.0, 3600.0, 3601.0, 86400.0, 90000.0, None, None, None]
    result = speed(waits, len(waits))
    assert result.count == 7
    assert result.within == (0.2, 0.4, 0.6)  # ≤ 5 min, ≤ 1 h, ≤ 24 h
    assert result.never == pytest.approx(0.3)
    assert (result.median, result.p90) == (3600.0, 90000.0)  # ranks 4 and 7 of 7


def test_an_empty_cohort_has_no_median_and_no_shares() -> None:
    summary = summarize([])
    assert summary.leads == summary.breaches == summary.claim.count == 0
    assert (summary.claim.median, summary.contact.p90) == (None, None)
    assert summary.claim.within == (0.0, 0.0, 0.0) and summary.claim.never == 0.0


@given(
    st.lists(st.tuples(st.none() | st.floats(0, 1e6), st.none() | st.floats(0, 1e6), st.booleans()))
)
def test_summary_shares_add_up(times: list[tuple[float | None, float | None, bool]]) -> None:
    summary = summarize(times)
    assert summary.leads == len(times)
    assert summary.breaches == sum(t[2] for t in times)
    for measure in (summary.claim, summary.contact):
        assert list(measure.within) == sorted(measure.within)  # 5 min ⊆ 1 h ⊆ 24 h
        assert measure.within[-1] + measure.never <= 1 + 1e-9
        if times:
            assert measure.count == round((1 - measure.never) * len(times))
        if measure.count:
            assert measure.median is not None and measure.p90 is not None
            assert measure.median <= measure.p90


# -- periods --------------------------------------------------------------------------------------
def test_week_and_month_end_now_and_start_at_the_same_local_time() -> None:
    week = period_window("week", NOW, NEW_YORK)
    assert (week.start, week.end) == (NOW - timedelta(days=7), NOW)
    assert week.label == "Last 7 days (Feb 25 – Mar 4)"
    month = period_window("month", NOW, NEW_YORK)
    assert month.start == NOW - timedelta(days=30)
    assert month.label == "Last 30 days (Feb 2 – Mar 4)"
    across_new_year = period_window("month", datetime(2027, 1, 10, 12, tzinfo=UTC), UTC_ZONE)
    assert across_new_year.label == "Last 30 days (Dec 11, 2026 – Jan 10, 2027)"


def test_a_week_across_the_fall_back_is_seven_local_days_so_169_hours() -> None:
    # Thursday 5 Nov 2026 12:00 EST; a week earlier is Thursday 29 Oct 12:00 EDT.
    now = datetime(2026, 11, 5, 17, 0, tzinfo=UTC)
    week = period_window("week", now, NEW_YORK)
    assert week.start == datetime(2026, 10, 29, 16, 0, tzinfo=UTC)
    assert week.end - week.start == timedelta(hours=169)
    assert week.label == "Last 7 days (Oct 29 – Nov 5)"


def test_today_at_half_past_midnight_on_the_day_dst_ends() -> None:
    # 00:30 EDT on Sunday 1 Nov 2026: the day began 30 minutes ago, at 04:00 UTC.
    early = period_window("today", datetime(2026, 11, 1, 4, 30, tzinfo=UTC), NEW_YORK)
    assert early.start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    assert early.label == "Today (Sun Nov 1, since midnight)"
    # 01:30 EST, the second 01:30 of that day: still the same midnight, 2.5 hours ago.
    later = period_window("today", datetime(2026, 11, 1, 6, 30, tzinfo=UTC), NEW_YORK)
    assert later.start == early.start
    # On the day DST starts the day is 23 hours long: 03:30 EDT is 2.5 hours after midnight EST.
    spring = period_window("today", datetime(2026, 3, 8, 7, 30, tzinfo=UTC), NEW_YORK)
    assert spring.start == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)


def test_today_is_the_callers_own_date() -> None:
    # 15:00 UTC on 4 March is already 23:00 in Singapore but only 10:00 in New York.
    assert period_window("today", NOW, UTC_ZONE).start == datetime(2026, 3, 4, tzinfo=UTC)
    assert period_window("today", NOW, NEW_YORK).start == datetime(2026, 3, 4, 5, tzinfo=UTC)
    assert period_window("today", NOW, SINGAPORE).start == datetime(2026, 3, 3, 16, tzinfo=UTC)
    # One hour later Singapore has passed midnight: its "today" restarts at 16:00 UTC on the 4th.
    later = period_window("today", NOW + timedelta(hours=1), SINGAPORE)
    assert later.start == datetime(2026, 3, 4, 16, tzinfo=UTC)
    assert later.end == later.start  # exactly midnight: an empty window, not yesterday
    assert later.label == "Today (Thu Mar 5, since midnight)"


def test_today_where_midnight_does_not_exist() -> None:
    # Chile skips 00:00-01:00 on 6 Sep 2026: the day starts at 01:00 -03, i.e. 04:00 UTC.
    window = period_window(
        "today", datetime(2026, 9, 6, 12, tzinfo=UTC), ZoneInfo("America/Santiago")
    )
    assert window.start == datetime(2026, 9, 6, 4, tzinfo=UTC)


@given(
    st.datetimes(datetime(2000, 1, 2), datetime(2037, 12, 31), timezones=st.just(UTC)),
    st.timezones(),
)
def test_today_starts_at_the_first_instant_of_the_local_date(now: datetime, tz: ZoneInfo) -> None:
    window = period_window("today", now, tz)
    assert window.start <= window.end == now
    assert window.start.astimezone(tz).date() == now.astimezone(tz).date()
    assert (window.start - timedelta(seconds=1)).astimezone(tz).date() < now.astimezone(tz).date()


def test_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown period 'fortnight'"):
        period_window("fortnight", NOW, UTC_ZONE)


# -- who sees what ------------------------------------------------------------------------------
def report_of(rows: dict[str | None, list[tuple[float | None, float | None, bool]]]) -> StatsReport:
    period = period_window("week", NOW, NEW_YORK)
    reps = tuple(
        RepRow(owner, owner or SHARED_QUEUE, summarize(times)) for owner, times in rows.items()
    )
    everyone = [t for times in rows.values() for t in times]
    return StatsReport(period, summarize(everyone), reps, source="<!channel> & co")


def test_visible_to_keeps_a_reps_own_row_and_the_total() -> None:
    report = report_of({"U0ALICE": [(30.0, None, False)], "U0BO": [(60.0, None, True)]})
    mine = visible_to(report, "U0BO", sees_everyone=False)
    assert [row.owner_id for row in mine.rows] == ["U0BO"] and mine.total == report.total
    assert visible_to(report, "U0MAYA", sees_everyone=True) == report
    assert visible_to(report, "U0NOBODY", sees_everyone=False).rows == ()
