"""Speed to lead for `/leads stats` and the App Home: the one query, and the service that turns
its rows into a `StatsReport` (bot/review/report.py).

The query reads four narrow columns of one period's leads through `ix_leads_received_at`;
percentiles are computed in Python, so SQLite and PostgreSQL give the same numbers.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, literal, select

from bot.clock import Clock
from bot.config.schema import Config
from bot.review.report import StatsReport, build_report, by_owner, period_window
from storage.db import Database
from storage.models import Lead


def period_query(
    start: datetime, end: datetime, now: datetime, source: str | None = None
) -> Select:
    """owner, claim wait, first contact wait, breached (0/1, decided in SQL) of the leads received
    in [start, end). The source is compared lower-cased: channel names are, and on SQLite (no
    statistics) this keeps the planner on ix_leads_received_at rather than the (source,
    external_id) unique index."""
    breached = case(
        (Lead.sla_breached_at.is_not(None), literal(1)),
        (Lead.claimed_at > Lead.sla_due_at, literal(1)),
        (and_(Lead.claimed_at.is_(None), Lead.sla_due_at < now), literal(1)),
        else_=literal(0),
    )
    query = select(
        Lead.owner_id, Lead.claim_wait_seconds, Lead.first_contact_wait_seconds, breached
    ).where(Lead.received_at >= start, Lead.received_at < end)
    if source is not None:
        query = query.where(func.lower(Lead.source) == source.lower())
    return query


class StatsService:
    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db, self.config, self.clock = db, config, clock

    def report(
        self,
        user_tz: ZoneInfo,
        period: str,
        *,
        rep: str | None = None,
        source: str | None = None,
    ) -> StatsReport:
        """The whole report for `period` in the caller's zone; filter it with `visible_to`."""
        now = self.clock.now()
        window = period_window(period, now, user_tz)
        query = period_query(window.start, window.end, now, source)
        with self.db.read() as session:
            rows = session.execute(query).all()
        # The rep filter runs here, not in SQL: with `owner_id = ?` and no statistics SQLite
        # picks ix_leads_owner_assigned and reads a third of the table instead of one week.
        if rep is not None:
            rows = [row for row in rows if row[0] == rep]
        return build_report(window, by_owner(rows), self.config, rep=rep, source=source)
