"""The outreach template ranking as a pure report (bot/review/template_report.py): which touches
are uses, which answer each use is credited with, the minimum of uses, the order."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.review.report import period_window
from bot.review.template_report import REPLY_WINDOW, TemplateStats, TouchRow, template_report
from tests.review.test_report import NEW_YORK, NOW

MONTH = period_window("month", NOW, NEW_YORK)  # [Feb 2 15:00, Mar 4 15:00) UTC
D = timedelta(days=1)


def ranked(rows: list[TouchRow], min_uses: int = 1) -> dict[str, tuple[int, int, int]]:
    report = template_report(MONTH, rows, min_uses)
    return {t.name: (t.uses, t.replies, t.meetings) for t in (*report.ranked, *report.pending)}


def test_a_reply_after_two_templates_goes_to_the_later_one_only() -> None:
    rows: list[TouchRow] = [
        (1, 1, NOW - 10 * D, "intro", "email_sent"),
        (1, 2, NOW - 8 * D, "value", "email_sent"),
        (1, 3, NOW - 7 * D, "value", "replied"),  # a task card's "They replied": no use
    ]
    assert ranked(rows) == {"intro": (1, 0, 0), "value": (1, 1, 0)}


def test_an_untemplated_touch_in_between_does_not_take_the_credit() -> None:
    rows: list[TouchRow] = [
        (1, 1, NOW - 10 * D, "intro", "email_sent"),
        (1, 2, NOW - 9 * D, None, "call"),  # the lead card's Log contact
        (1, 3, NOW - 8 * D, None, "meeting"),  # a meeting is a reply too
    ]
    assert ranked(rows) == {"intro": (1, 1, 1)}


def test_the_answer_must_come_at_or_after_the_use_and_within_14_days() -> None:
    use = NOW - 20 * D
    rows: list[TouchRow] = [
        (1, 2, use, "intro", "replied"),  # the same moment, an earlier id: still after the send
        (1, 1, use, "intro", "email_sent"),
        (2, 3, use, "intro", "email_sent"),
        (2, 4, use + REPLY_WINDOW, None, "meeting_booked"),  # exactly 14 days: in
        (3, 5, use, "intro", "email_sent"),
        (3, 6, use + REPLY_WINDOW + timedelta(seconds=1), None, "replied"),  # out
        (4, 7, use - D, None, "replied"),  # before the use: not its answer
        (4, 8, use, "intro", "email_sent"),
    ]
    assert ranked(rows) == {"intro": (4, 2, 1)}


def test_call_connected_and_not_a_fit_are_no_reply() -> None:
    rows: list[TouchRow] = [
        (1, 1, NOW - 5 * D, "call_script", "call_connected"),  # a use, no reply
        (1, 2, NOW - 4 * D, "call_script", "not_a_fit"),  # an outcome: no use, no reply
    ]
    assert ranked(rows) == {"call_script": (1, 0, 0)}


def test_only_uses_in_the_period_count_but_later_answers_do() -> None:
    rows: list[TouchRow] = [
        (1, 1, MONTH.start - D, "intro", "email_sent"),  # before the period: not read anyway
        (1, 2, MONTH.start + D, None, "replied"),  # its answer: no use of the period to credit
        (2, 3, NOW - D, "value", "email_sent"),
        (2, 4, NOW, None, "replied"),  # now: after the window's end, still its answer
        (3, 5, datetime(2026, 3, 1, 12), "value", "email_sent"),  # naive, as SQLite returns
    ]
    assert ranked(rows) == {"value": (2, 1, 0)}


def test_templates_under_the_minimum_are_listed_not_ranked() -> None:
    rows: list[TouchRow] = []
    touch = iter(range(1, 1000))

    def uses(name: str, leads: range, replied: set[int], booked: set[int]) -> None:
        for lead in leads:
            rows.append((lead, next(touch), NOW - 6 * D, name, "email_sent"))
            if lead in replied:
                rows.append((lead, next(touch), NOW - 5 * D, None, "replied"))
            if lead in booked:
                rows.append((lead, next(touch), NOW - 4 * D, None, "meeting_booked"))

    uses("intro", range(1, 11), {1, 2}, {1})  # 2 of 10 replied, 1 of 10 met
    uses("value", range(11, 21), {11, 12}, {11, 12})  # 2 of 10, 2 of 10: ahead on meetings
    uses("case_study", range(21, 33), set(), set())  # 0 of 12
    uses("breakup", range(33, 36), {33}, set())  # 3 uses: not ranked
    uses("connect", range(36, 39), set(), set())  # 3 uses: after breakup by name
    report = template_report(MONTH, rows, 10)
    assert [t.name for t in report.ranked] == ["value", "intro", "case_study"]
    assert report.ranked[1] == TemplateStats("intro", 10, 2, 1)
    assert [(t.name, t.uses) for t in report.pending] == [("breakup", 3), ("connect", 3)]
    assert report.uses == 38
