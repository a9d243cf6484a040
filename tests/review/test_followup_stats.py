"""The follow-up and template queries (bot/review/stats.py) on a small seeded database, SQLite and
PostgreSQL: numbers computed by hand, the rep and source filters, the blocks drawn from them,
and on SQLite the plan of every new query (an index for every table, no scan)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import astuple
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from blocks.stats import stats_blocks
from blocks.template_stats import template_stats_blocks, template_stats_text
from bot.clock import FixedClock
from bot.review.report import visible_to
from bot.review.stats import (
    StatsService,
    claimed_query,
    due_tasks_query,
    template_touches_query,
)
from bot.vocabulary import EventKind, LeadStatus, TaskStatus
from storage.db import Database
from storage.followup import Task, Touch
from storage.models import Lead, LeadEvent
from tests.conftest import make_config
from tests.review.test_report import NEW_YORK, NOW

CONFIG = make_config(followup={"min_template_uses": 3})
H, D = timedelta(hours=1), timedelta(days=1)
OLD = NOW - 40 * D  # received long before any period asked: the speed-to-lead part stays empty


def at(day: int, hour: float) -> datetime:
    """A moment of March 2026 in UTC (NOW is Wednesday 4 March, 15:00 UTC, 10:00 in New York)."""
    return datetime(2026, 3, day, tzinfo=UTC) + timedelta(hours=hour)


class Seed:
    def __init__(self, session: Any) -> None:
        self.session = session

    def lead(self, lead_id: int, owner: str | None, source: str = "website") -> None:
        self.session.add(
            Lead(id=lead_id, source=source, tier="warm", status=LeadStatus.CLAIMED,
                 owner_id=owner, received_at=OLD, created_at=OLD)
        )  # fmt: skip
        self.session.flush()

    def task(self, lead: int, owner: str, step: int, due: datetime, status: str,
             done: datetime | None = None, template: str | None = None) -> None:  # fmt: skip
        self.session.add(
            Task(lead_id=lead, owner_id=owner, cadence=None if step == 0 else "default",
                 step=step, steps=6, day=step or None, channels=["email"], template=template,
                 final=False, due_at=due, status=status, done_at=done, created_at=OLD)
        )  # fmt: skip

    def touch(self, lead: int, when: datetime, result: str, template: str | None = None) -> None:
        self.session.add(
            Touch(lead_id=lead, at=when, by="U0BO", channel=None, template=template,
                  result=result, detail={})
        )  # fmt: skip

    def claimed(self, lead: int, when: datetime, by: str) -> None:
        self.session.add(
            LeadEvent(lead_id=lead, at=when, actor=by, kind=EventKind.CLAIMED, detail={})
        )


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


def seed_followup(db: Database) -> None:
    """The week [Wed 25 Feb 15:00, Wed 4 Mar 15:00) UTC. Bo is in New York (UTC-5), Alice in
    Berlin (UTC+1), Chen has no task and no claim."""
    with db.write() as session:
        s = Seed(session)
        for lead in range(1, 10):
            s.lead(lead, "U0ALICE" if lead in (8, 9) else "U0BO", "Partner" if lead == 5 else "web")
        # Bo. Counted: T1 on time; T2 late (01:00 the next day in NY); T3 skipped; T6 still open
        # after its day; T7 cancelled after its day. Left out: T4 cancelled on its day, T5 open
        # today (its lead counts for touches), step 0, a task due before the week.
        s.task(1, "U0BO", 1, at(2, 14), TaskStatus.DONE, at(2, 20))  # T1
        s.task(1, "U0BO", 2, at(3, 14), TaskStatus.DONE, at(4, 6))  # T2
        s.task(2, "U0BO", 1, at(2, 14), TaskStatus.SKIPPED, at(2, 15))  # T3
        s.task(3, "U0BO", 1, at(3, 14), TaskStatus.CANCELLED, at(3, 16))  # T4
        s.task(4, "U0BO", 1, at(4, 14), TaskStatus.OPEN)  # T5: 09:00 in NY today
        s.task(5, "U0BO", 1, at(2, 14), TaskStatus.OPEN)  # T6
        s.task(6, "U0BO", 1, at(1, 14), TaskStatus.CANCELLED, at(3, 16))  # T7
        s.task(1, "U0BO", 0, at(2, 13), TaskStatus.DONE, at(2, 13.5))  # first contact
        s.task(7, "U0BO", 1, at(1, 14) - 10 * D, TaskStatus.DONE, at(1, 15) - 10 * D)
        # Alice: 09:00 in Berlin on the 3rd; done at 00:30 Berlin (late) / 21:00 Berlin (on time).
        s.task(8, "U0ALICE", 1, at(3, 8), TaskStatus.DONE, at(3, 23.5))
        s.task(9, "U0ALICE", 1, at(3, 8), TaskStatus.DONE, at(3, 20))
        # Touches per lead (the answers count too): 1: 3, 2: 1, 4: 0, 5: 3, 6: 2, 8: 2, 9: 2;
        # lead 3 is out (T4 only).
        for lead, results in {
            1: ["email_sent", "call_no_answer", "replied"],
            2: ["email_sent"],
            3: ["email_sent", "email_sent"],
            5: ["email_sent", "call_voicemail", "linkedin_sent"],
            6: ["call", "not_a_fit"],
            8: ["email_sent", "email_sent"],
            9: ["sms_sent", "meeting"],
        }.items():
            for n, result in enumerate(results):
                s.touch(lead, at(1, n), result)
        # Claims in the week: Bo 10-13, Alice 14-15; 16 before the week.
        for lead, owner in {10: "U0BO", 11: "U0BO", 12: "U0BO", 13: "U0BO", 14: "U0ALICE",
                            15: "U0ALICE", 16: "U0BO"}.items():  # fmt: skip
            s.lead(lead, owner, "partner" if lead == 15 else "web")
            s.claimed(lead, at(1, 10) if lead != 16 else at(1, 10) - 10 * D, owner)
        s.claimed(15, at(2, 10), "U0ALICE")  # claimed again: still one lead
        s.touch(10, at(1, 11), "email_sent")  # one touch, nothing planned: abandoned
        s.touch(11, at(1, 11), "email_sent")  # one touch, but a task is open
        s.task(11, "U0BO", 2, at(9, 14), TaskStatus.OPEN)
        s.touch(12, at(1, 11), "email_sent")  # one touch and a reply
        s.touch(12, at(2, 11), "replied")
        s.touch(13, at(1, 11), "email_sent")  # two touches
        s.touch(13, at(2, 11), "call_no_answer")
        s.touch(15, at(1, 11), "call_connected")  # Alice's: abandoned (14 has no touch at all)
        s.touch(16, at(1, 11) - 10 * D, "email_sent")  # claimed before the week


def followup_rows(report: Any) -> dict[str, tuple[Any, ...]]:
    """tasks, on time, leads, touches mean, median, claimed, single touch: by rep name."""
    return {row.name: astuple(row.followup) for row in report.rows}


def test_followup_numbers_by_hand(db: Database) -> None:
    seed_followup(db)
    stats = StatsService(db, CONFIG, FixedClock(NOW))
    report = stats.report(NEW_YORK, "week")
    assert report.total.leads == 0  # no lead arrived this week: the follow-up still counts
    assert followup_rows(report) == {
        # tasks, on time, leads, touches mean, median, claimed, single touch
        "Alice": (2, 1, 2, 2.0, 2, 2, 1),  # touches [2, 2]
        "Bo": (5, 1, 5, 1.8, 2, 4, 1),  # touches [3, 1, 0, 3, 2]
        "Chen": (0, 0, 0, None, None, 0, 0),
    }
    total = report.followup
    assert (total.tasks, total.on_time, total.leads, total.claimed, total.single_touch) == (
        7, 2, 7, 6, 2,
    )  # fmt: skip
    assert (round(total.touches_mean or 0, 4), total.touches_median) == (1.8571, 2)  # 13 / 7

    texts = json.dumps([b.to_dict() for b in stats_blocks(report)], ensure_ascii=False)
    assert "tasks done on time *2 of 7 · 29%*" in texts
    assert "touches per lead *1.9* (median 2)" in texts and "single touch *2 of 6 · 33%*" in texts
    lines = {line.split()[0]: line for line in texts.split("\\n") if line[:1].isalpha()}
    assert lines["Bo"].split() == ["Bo", "1", "of", "5", "·", "20%", "1.8", "2", "1", "of", "4",
                                   "·", "25%"]  # fmt: skip
    assert lines["Chen"].split() == ["Chen", "–", "–", "–", "–"]  # no tasks: no division
    assert lines["Team"].split()[:6] == ["Team", "total", "2", "of", "7", "·"]

    # A rep sees their own row and the team total; the rep filter keeps that rep's numbers only.
    mine = visible_to(report, "U0CHEN", sees_everyone=False)
    assert [row.name for row in mine.rows] == ["Chen"] and mine.followup == total
    alice = stats.report(NEW_YORK, "week", rep="U0ALICE")
    assert followup_rows(alice) == {"Alice": (2, 1, 2, 2.0, 2, 2, 1)}
    assert alice.followup == alice.rows[0].followup
    assert stats.report(NEW_YORK, "week", followup=False).followup.empty  # may be left out
    partner = stats.report(NEW_YORK, "week", source="partner")  # "Partner" too
    assert followup_rows(partner)["Bo"] == (1, 0, 1, 3.0, 3, 0, 0)  # T6, lead 5
    assert followup_rows(partner)["Alice"] == (0, 0, 0, None, None, 1, 1)  # lead 15


def seed_templates(db: Database) -> None:
    """The month [Mon 2 Feb 15:00, Wed 4 Mar 15:00) UTC; at least 3 uses to be ranked."""
    feb = lambda day, hour=12: datetime(2026, 2, day, hour, tzinfo=UTC)  # noqa: E731
    with db.write() as session:
        s = Seed(session)
        for lead in range(21, 29):
            s.lead(lead, "U0BO")
        s.touch(21, feb(20), "email_sent", "intro")  # then value, then a reply: value's
        s.touch(21, feb(22), "email_sent", "value")
        s.touch(21, feb(23), "replied", "value")  # the task card's answer: not a use
        s.touch(22, feb(20), "email_sent", "intro")  # a meeting from the lead card: reply too
        s.touch(22, feb(21), "meeting")
        s.touch(23, feb(10), "email_sent", "intro")  # replied 18 days later: too late
        s.touch(23, feb(28), "replied")
        s.touch(24, feb(25, 18), "email_sent", "intro")  # connected is not a reply
        s.touch(24, feb(26), "call_connected")
        s.touch(25, at(1, 12), "email_sent", "value")  # answered at the same moment
        s.touch(25, at(1, 12), "replied")
        s.touch(26, datetime(2026, 1, 25, tzinfo=UTC), "email_sent", "value")  # before
        s.touch(26, feb(3), "replied")
        s.touch(27, feb(27), "email_sent", "breakup")  # one use: not ranked
        s.touch(28, feb(12), "email_sent", "value")  # value twice; the reply goes to the second
        s.touch(28, feb(14), "email_sent", "value")
        s.touch(28, feb(15), "replied")


def test_templates_by_hand(db: Database) -> None:
    seed_templates(db)
    report = StatsService(db, CONFIG, FixedClock(NOW)).templates(NEW_YORK, "month")
    ranked = [(t.name, t.uses, t.replies, t.meetings) for t in report.ranked]
    assert ranked == [("value", 4, 3, 0), ("intro", 4, 1, 1)]
    assert [(t.name, t.uses) for t in report.pending] == [("breakup", 1)]
    assert report.uses == 9

    dicts = [b.to_dict() for b in template_stats_blocks(report)]
    texts = json.dumps(dicts, ensure_ascii=False)
    assert "3 of 4 · 75.0%" in texts and "0 of 4 · 0.0%" in texts and "1 of 4 · 25.0%" in texts
    assert "breakup                   not enough uses yet (1/3)" in texts
    assert template_stats_text(report) == (
        "Outreach templates, in the last 30 days (Feb 2 – Mar 4): 9 uses; best reply rate value "
        "(3 of 4 · 75.0%)."
    )
    week = StatsService(db, CONFIG, FixedClock(NOW)).templates(NEW_YORK, "week")
    assert [(t.name, t.uses, t.replies) for t in week.pending] == [
        ("breakup", 1, 0), ("intro", 1, 0), ("value", 1, 1),
    ]  # fmt: skip


def test_an_empty_database_gives_empty_reports(db: Database) -> None:
    stats = StatsService(db, CONFIG, FixedClock(NOW))
    report = stats.report(NEW_YORK, "month")
    assert report.followup.empty and all(row.followup.empty for row in report.rows)
    assert len(stats_blocks(report)) == 2  # as before follow-up existed
    templates = stats.templates(NEW_YORK, "today")
    assert templates.uses == 0
    assert template_stats_text(templates).startswith("No outreach template was used today")


# -- SQLite plans ---------------------------------------------------------------------------------
def plans(db: Database) -> dict[str, list[str]]:
    start, end = NOW - 30 * D, NOW
    queries = {
        "tasks": due_tasks_query(start, end),
        "tasks #source": due_tasks_query(start, end, "web"),
        "tasks @rep": due_tasks_query(start, end, owner="U0BO"),
        "claims": claimed_query(start, end),
        "claims #source": claimed_query(start, end, "web"),
        "templates": template_touches_query(start, end),
    }
    captured: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        captured.append((statement, params))

    found = {}
    event.listen(db.read_engine, "before_cursor_execute", grab)
    try:
        for label, query in queries.items():
            with db.read() as session:
                session.execute(query).all()
            statement, params = captured[-1]
            with db.read_engine.connect() as conn:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
                found[label] = [str(row[-1]) for row in rows]
    finally:
        event.remove(db.read_engine, "before_cursor_execute", grab)
    return found


def test_every_new_query_reads_through_an_index_on_sqlite(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    db.upgrade()
    try:
        seed_followup(db)
        seed_templates(db)
        found = plans(db)
    finally:
        db.dispose()
    for label, plan in found.items():
        scans = [step for step in plan if step.startswith("SCAN") and " USING " not in step]
        # Only the CTEs of distinct owners / templates are scanned: a row per value.
        assert all(step.split()[1] in ("task_owners", "touch_templates") for step in scans), (
            label,
            plan,
        )
    assert (  # the ids from the index alone, then the rows by id
        "SEARCH due USING COVERING INDEX ix_tasks_owner_status_due "
        "(owner_id=? AND status=? AND due_at>? AND due_at<?)" in found["tasks"]
    )
    assert "SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?)" in found["tasks"]
    assert (
        "SEARCH due USING COVERING INDEX ix_tasks_owner_status_due "
        "(owner_id=? AND status=? AND due_at>? AND due_at<?)" in found["tasks @rep"]
    )
    assert "SEARCH touches USING COVERING INDEX ix_touches_lead_at (lead_id=?)" in found["tasks"]
    assert (
        "SEARCH lead_events USING INDEX ix_lead_events_kind_at (kind=? AND at>? AND at<?)"
        in found["claims"]
    )
    assert "SEARCH leads USING INTEGER PRIMARY KEY (rowid=?)" in found["claims #source"]
    assert (
        "SEARCH touches USING INDEX ix_touches_template_at (template=? AND at>? AND at<?)"
        in found["templates"]
    )
    assert (
        "SEARCH touches USING INDEX ix_touches_lead_at (lead_id=? AND at>?)" in found["templates"]
    )
