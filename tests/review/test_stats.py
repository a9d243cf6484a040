"""The speed-to-lead query (bot/review/stats.py) on SQLite and PostgreSQL: SLA breaches are
decided in SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.clock import FixedClock
from bot.review.report import SHARED_QUEUE
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
