"""Follow-up numbers as a pure report (bot/review/followup_report.py): the on-time deadline on the
rep's clock, which tasks count, touches per lead, single-touch abandonment; and a property that
neither report (follow-up, templates) nor their blocks ever raise on generated rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from blocks.stats import stats_blocks
from blocks.template_stats import template_stats_blocks, template_stats_text
from bot.review.followup_report import (
    Claimed,
    Deadlines,
    DueTask,
    day_end,
    followup_by_owner,
    task_verdict,
)
from bot.review.report import FollowUpRows, build_report, period_window
from bot.review.template_report import template_report
from bot.vocabulary import ContactOutcome, TaskResult, TaskStatus
from tests.conftest import make_config
from tests.review.test_report import NEW_YORK, NOW

CONFIG = make_config()  # Alice: Europe/Berlin, Bo: America/New_York, Chen: Asia/Singapore
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)


def at(day: int, hour: float) -> datetime:
    """March 2026 (Feb for day <= 0 is not needed): day, hour in UTC."""
    return datetime(2026, 3, day, tzinfo=UTC) + timedelta(hours=hour)


def test_the_deadline_is_the_end_of_the_due_date_on_the_reps_clock() -> None:
    naive = lambda moment: moment.replace(tzinfo=None)  # noqa: E731
    # 09:00 in New York on Monday 2 March: due by New York's midnight, 05:00 UTC on the 3rd.
    assert day_end(at(2, 14), NEW_YORK) == naive(at(3, 5))
    # 23:30 UTC on the 3rd is already 00:30 on the 4th in Berlin: its day ends at 23:00 UTC on 4th.
    assert day_end(at(3, 23.5), BERLIN) == naive(at(4, 23))
    # The day DST starts in New York (8 March) lasts 23 hours; the next midnight is 04:00 UTC.
    assert day_end(datetime(2026, 3, 8, 14, tzinfo=UTC), NEW_YORK) == naive(at(9, 4))
    # SQLite hands datetimes back naive: they are UTC.
    assert day_end(datetime(2026, 3, 2, 14), NEW_YORK) == naive(at(3, 5))


@settings(max_examples=40)  # up to 30 dates an example, each bisected: 6 s at the default 100
@given(
    st.lists(st.datetimes(datetime(2000, 1, 2), datetime(2037, 12, 30)), min_size=1, max_size=30),
    st.timezones(),
)
def test_the_bisected_deadlines_are_each_days_end(dues: list[datetime], tz: ZoneInfo) -> None:
    deadlines = Deadlines(lambda _: tz)
    for due in dues:
        assert deadlines.of("U0BO", due) == day_end(due, tz)


def task(status: str, due: datetime, done: datetime | None = None, touches: int = 0) -> DueTask:
    return ("U0BO", 1, due, status, done, touches)


def test_which_tasks_count_and_which_are_on_time() -> None:
    due, deadline = at(2, 14), at(3, 5).replace(tzinfo=None)
    verdict = lambda t: task_verdict(t, NOW, deadline)  # noqa: E731
    assert verdict(task(TaskStatus.DONE, due, deadline - timedelta(seconds=1))) == "on_time"
    assert verdict(task(TaskStatus.DONE, due, deadline)) == "late"  # the midnight is the next day
    assert verdict(task(TaskStatus.SKIPPED, due, due + H)) == "late"
    assert verdict(task(TaskStatus.CANCELLED, due, due + H)) == "void"  # nothing left to do
    assert verdict(task(TaskStatus.CANCELLED, due, deadline + H)) == "late"  # it was overdue
    assert verdict(task(TaskStatus.OPEN, due)) == "late"  # its day is over: missed
    assert task_verdict(task(TaskStatus.OPEN, due), deadline - H, deadline) == "pending"
    assert verdict(task(TaskStatus.DONE, due.replace(tzinfo=None), at(2, 20))) == "on_time"
    assert verdict(task("paused", due)) == "late"  # a status this version does not know


def test_a_lead_counts_once_for_the_owner_of_its_latest_task() -> None:
    tasks: list[DueTask] = [
        ("U0BO", 1, at(2, 14), TaskStatus.DONE, at(2, 15), 3),
        ("U0ALICE", 1, at(3, 8), TaskStatus.DONE, at(3, 9), 3),  # reassigned: Alice's lead now
        ("U0BO", 2, at(2, 14), TaskStatus.CANCELLED, at(2, 15), 9),  # void: not in the cohort
        ("U0BO", 3, at(3, 14), TaskStatus.OPEN, None, 0),
    ]
    rows, total_of = followup_by_owner(tasks, [], at(3, 20), CONFIG.tz_for)
    assert (rows["U0BO"].tasks, rows["U0BO"].on_time) == (1, 1)  # task 4 is pending
    assert (rows["U0BO"].leads, rows["U0BO"].touches_mean, rows["U0BO"].touches_median) == (
        1,
        0.0,
        0,
    )
    assert (rows["U0ALICE"].leads, rows["U0ALICE"].touches_median) == (1, 3)
    total = total_of(["U0BO", "U0ALICE", "U0CHEN"])
    assert (total.tasks, total.on_time, total.leads, total.touches_mean) == (2, 2, 2, 1.5)
    assert total.touches_median == 0  # nearest rank of [0, 3]: the first


def test_single_touch_abandonment() -> None:
    claims: list[Claimed] = [
        ("U0BO", 1, 1, "email_sent", False),  # one touch, nothing came back or is planned
        ("U0BO", 2, 1, "call", False),  # the lead card's Log contact: the same
        ("U0BO", 3, 1, "email_sent", True),  # a task still open
        ("U0BO", 4, 1, "not_a_fit", False),  # the one touch was an answer
        ("U0BO", 5, 2, None, None),  # two touches (the query reads no more)
        ("U0BO", 6, 0, None, None),  # never touched: not this measure
        ("U0BO", 1, 1, "email_sent", False),  # the same lead claimed twice: once
    ]
    rows, total_of = followup_by_owner([], claims, NOW, CONFIG.tz_for)
    assert (rows["U0BO"].claimed, rows["U0BO"].single_touch) == (6, 2)
    assert rows["U0BO"].abandonment == 2 / 6
    empty = total_of(["U0CHEN"])
    assert empty.empty and empty.completion is None and empty.abandonment is None
    assert empty.touches_mean is None and empty.touches_median is None


# -- never raises -------------------------------------------------------------------------------
OWNERS = ["U0ALICE", "U0BO", "U0CHEN", "U0MAYA", "U0GONE"]
RESULTS = [*TaskResult, *ContactOutcome, "", "weird"]
moments = st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31)) | st.datetimes(
    datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)
)
due_tasks = st.tuples(
    st.sampled_from(OWNERS),
    st.integers(1, 20),
    moments,
    st.sampled_from([*TaskStatus, "weird"]),
    st.none() | moments,
    st.integers(0, 50),
)
claims = st.tuples(
    st.sampled_from([*OWNERS, None]),
    st.integers(1, 20),
    st.integers(0, 5),
    st.none() | st.sampled_from(RESULTS),
    st.none() | st.booleans(),
)
touch_rows = st.tuples(
    st.integers(1, 20),
    st.integers(1, 10_000),
    moments,
    st.none() | st.sampled_from(["intro", "value", "<!channel> & co", "x" * 64]) | st.text(),
    st.sampled_from(RESULTS) | st.text(max_size=8),
)


@given(
    st.lists(due_tasks, max_size=40),
    st.lists(claims, max_size=20),
    st.lists(touch_rows, max_size=60),
    st.sampled_from(["today", "week", "month"]),
    st.none() | st.sampled_from(OWNERS),
    st.integers(1, 12),
)
def test_the_reports_never_raise_on_generated_rows(
    tasks: list[DueTask],
    claimed: list[Claimed],
    touches: list[tuple[int, int, datetime, str | None, str]],
    period: str,
    rep: str | None,
    min_uses: int,
) -> None:
    window = period_window(period, NOW, NEW_YORK)
    if rep is not None:
        tasks = [t for t in tasks if t[0] == rep]
        claimed = [c for c in claimed if c[0] == rep]
    report = build_report(window, {}, CONFIG, rep=rep, followup=FollowUpRows(tasks, claimed, NOW))
    total = report.followup
    assert 0 <= total.on_time <= total.tasks <= len(tasks)
    assert 0 <= total.single_touch <= total.claimed <= len(claimed)
    assert total.leads <= len({t[1] for t in tasks})
    for row in report.rows:
        assert row.followup.on_time <= row.followup.tasks
    for block in stats_blocks(report):
        block.to_dict()  # validates it
    templates = template_report(window, touches, min_uses)
    answers = sum(1 for t in touches if t[4] in {"replied", "meeting_booked", "meeting"})
    assert sum(t.replies for t in (*templates.ranked, *templates.pending)) <= answers
    for stats in (*templates.ranked, *templates.pending):
        assert 0 <= stats.meetings <= stats.replies <= stats.uses
    assert all(t.uses >= min_uses for t in templates.ranked)
    rates = [(t.reply_rate, t.meeting_rate) for t in templates.ranked]
    assert [r for r, _ in rates] == sorted((r for r, _ in rates), reverse=True)
    for block in template_stats_blocks(templates):
        block.to_dict()
    template_stats_text(templates)
