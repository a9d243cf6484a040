"""The speed-to-lead query (bot/review/stats.py) on SQLite and PostgreSQL: SLA breaches are
decided in SQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from bot.clock import FixedClock
from bot.review.report import SHARED_QUEUE, period_window
from bot.review.stats import StatsService
from bot.vocabulary import LeadStatus
from storage.db import Database
from storage.models import Lead
from tests.conftest import make_config
from tests.review.test_report import NEW_YORK, NOW

CONFIG = make_config()


def add_lead(session: Any, received: datetime, **values: Any) -> None:
    defaults = {"source": "website", "tier": "warm", "status": LeadStatus.ASSIGNED}
    session.add(Lead(received_at=received, created_at=received, **(defaults | values)))


def test_sla_breaches_are_decided_in_sql(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    at, due, hour = NOW - timedelta(hours=5), NOW - timedelta(hours=4), timedelta(hours=1)
    claimed = {"status": LeadStatus.CLAIMED, "owner_id": "U0BO", "claim_wait_seconds": 60.0}
    with db.write() as session:
        # breached: marked by the sweep / claimed after the deadline / unclaimed past it
        add_lead(session, at, sla_due_at=due, sla_breached_at=due, **claimed, claimed_at=due)
        add_lead(session, at, sla_due_at=due, **claimed, claimed_at=due + hour)
        add_lead(session, at, sla_due_at=due, owner_id="U0BO")
        # not breached: due later / claimed in time / no deadline at all
        add_lead(session, at, sla_due_at=NOW + hour, owner_id="U0BO")
        add_lead(session, at, sla_due_at=due, **claimed, claimed_at=due - hour)
        add_lead(session, at, sla_due_at=None, owner_id=None, status=LeadStatus.QUEUED)
        add_lead(session, at, sla_due_at=None, **claimed, claimed_at=due)
        # outside the week, and arriving exactly now (the window is [start, now))
        add_lead(session, NOW - timedelta(days=8), sla_due_at=due, owner_id="U0BO")
        add_lead(session, NOW, sla_due_at=due, owner_id="U0BO")
    try:
        report = StatsService(db, CONFIG, FixedClock(NOW)).report(NEW_YORK, "week")
    finally:
        db.dispose()
    assert (report.total.leads, report.total.breaches, report.total.claim.count) == (7, 3, 4)
    rows = {row.name: (row.summary.leads, row.summary.breaches) for row in report.rows}
    assert rows == {"Alice": (0, 0), "Bo": (6, 3), "Chen": (0, 0), SHARED_QUEUE: (1, 0)}


def test_one_read_gives_the_week_and_today_as_two_reads_would(database_url: str) -> None:
    """`speed_reports` (the dashboard's) splits one read of the week at today's midnight: the
    same reports as `report_for` of each window, leads at midnight itself included."""
    db = Database(database_url)
    db.upgrade()
    rng = random.Random(13)
    # In UTC, as leadbot stores them (SQLite keeps no zone).
    midnight = datetime.combine(NOW.astimezone(NEW_YORK).date(), time(0), tzinfo=NEW_YORK)
    midnight = midnight.astimezone(UTC)
    moments = [midnight, midnight - timedelta(microseconds=1), NOW - timedelta(days=7)]
    moments += [NOW - timedelta(hours=rng.uniform(0, 24 * 8)) for _ in range(60)]
    with db.write() as session:
        for at in moments:
            claim = rng.choice([None, rng.uniform(0, 9000)])
            add_lead(session, at, sla_due_at=at + timedelta(hours=1), claim_wait_seconds=claim,
                     owner_id=rng.choice(["U0BO", "U0ALICE", None, "U0GONE"]),
                     first_contact_wait_seconds=claim and claim + rng.uniform(0, 600))  # fmt: skip
    service = StatsService(db, CONFIG, FixedClock(NOW))
    week, today = (period_window(name, NOW, NEW_YORK) for name in ("week", "today"))
    try:
        both = service.speed_reports(week, today)
        apart = [service.report_for(window, followup=False) for window in (week, today)]
    finally:
        db.dispose()
    assert list(both) == apart
    assert 0 < both[1].total.leads < both[0].total.leads
