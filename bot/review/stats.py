"""Speed to lead and follow-up for `/leads stats` and the App Home, and the outreach template
ranking of `/leads stats templates`: the queries, and the service that turns their rows into a
`StatsReport` (bot/review/report.py) or a `TemplateReport` (bot/review/template_report.py).

One query per table per call, each through an index, with no statistics needed (leadbot never
runs ANALYZE on SQLite):
- leads: four narrow columns of one period's leads through `ix_leads_received_at` (for the
  dashboard, `speed_reports`, a fifth: whether the lead is today's too, so one read serves both);
- tasks: the ids of the tasks due in the period from `ix_tasks_owner_status_due` alone, one
  range per (owner, status): the owners are found by a loose index scan of the same index
  (`distinct`); then those rows by id; each lead's touches counted from `ix_touches_lead_at`
  alone;
- lead_events: the leads claimed in the period through `ix_lead_events_kind_at`, each lead's
  touches counted from `ix_touches_lead_at`; only for a lead with one touch, that touch and its
  open task (`uq_tasks_lead_step`) are read;
- touches (templates): the period's templated touches through `ix_touches_template_at`, one
  range per template (found by a loose index scan), then those leads' touches from the period's
  start through `ix_touches_lead_at`.
Percentiles, medians and rates are computed in Python, so SQLite and PostgreSQL give the same
numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CTE, ColumnElement, Select, and_, case, exists, func, literal, select
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.config.schema import Config
from bot.review.outcome_report import NO_OUTCOMES, outcomes_of
from bot.review.report import (
    FollowUpRows,
    Period,
    StatsReport,
    build_report,
    by_owner,
    period_window,
)
from bot.review.template_report import TemplateReport, template_report
from bot.vocabulary import EventKind, TaskStatus
from storage.db import Database
from storage.followup import Task, Touch
from storage.models import Lead, LeadEvent


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


def distinct(column: ColumnElement[str], name: str) -> CTE:
    """The distinct non-NULL values of an indexed column's leading key, one index seek each (a
    loose index scan, which neither SQLite nor PostgreSQL does by itself): a recursive CTE of
    one column, `value`."""
    table = column.table  # type: ignore[attr-defined]
    first = select(func.min(column).label("value")).select_from(table).where(column.is_not(None))
    found = first.cte(name, recursive=True)
    after = select(func.min(column)).select_from(table).where(column > found.c.value)
    return found.union_all(select(after.scalar_subquery()).where(found.c.value.is_not(None)))


def _touches(lead_id: ColumnElement[int]) -> ColumnElement[int]:
    """How many touches the lead has: its entries of ix_touches_lead_at, read from the index
    alone (no row of the table)."""
    return select(func.count()).select_from(Touch).where(Touch.lead_id == lead_id).scalar_subquery()


def due_tasks_query(
    start: datetime, end: datetime, source: str | None = None, owner: str | None = None
) -> Select:
    """owner, lead, due_at, status, done_at and the lead's touches of the cadence tasks (step >= 1)
    due in [start, end), of every owner or of `owner`. The ids come from the index alone; the
    rows are then read by id, in table order, not in the index's (owner, status, due) order: on
    SQLite that reads each page once instead of once per (owner, status) range."""
    found = aliased(Task, name="due")
    due = select(found.id).where(
        found.status.in_(sorted(TaskStatus)),  # every status: a range per (owner, status)
        found.due_at >= start,
        found.due_at < end,
    )
    if owner is None:
        owners = distinct(Task.owner_id, "task_owners")
        due = due.select_from(owners).join(found, found.owner_id == owners.c.value)
    else:
        due = due.where(found.owner_id == owner)
    query = select(
        Task.owner_id,
        Task.lead_id,
        Task.due_at,
        Task.status,
        Task.done_at,
        _touches(Task.lead_id),
    ).where(Task.id.in_(due), Task.step >= 1)
    if source is not None:
        query = query.join(Lead, Lead.id == Task.lead_id).where(
            func.lower(Lead.source) == source.lower()
        )
    return query


def claimed_query(start: datetime, end: datetime, source: str | None = None) -> Select:
    """owner, lead, touches, and only for a lead with exactly one touch its result and whether it
    has an open task (else NULL: SQLite evaluates a CASE lazily, so the touch and the tasks are
    read for those leads only): of the leads claimed in [start, end) (a `claimed` event in it)."""
    claimed = select(LeadEvent.lead_id).where(
        LeadEvent.kind == EventKind.CLAIMED, LeadEvent.at >= start, LeadEvent.at < end
    )
    one = _touches(Lead.id) == 1
    result = select(Touch.result).where(Touch.lead_id == Lead.id).limit(1).scalar_subquery()
    open_task = exists().where(Task.lead_id == Lead.id, Task.status == TaskStatus.OPEN)
    query = select(
        Lead.owner_id,
        Lead.id,
        _touches(Lead.id),
        case((one, result), else_=None),
        case((one, open_task), else_=None),
    ).where(Lead.id.in_(claimed))
    if source is not None:
        query = query.where(func.lower(Lead.source) == source.lower())
    return query


def template_touches_query(start: datetime, end: datetime) -> Select:
    """lead, id, at, template, result of every touch from `start` on of the leads with a
    templated touch in [start, end)."""
    names = distinct(Touch.template, "touch_templates")
    used = (
        select(Touch.lead_id)
        .select_from(names)
        .join(Touch, Touch.template == names.c.value)
        .where(Touch.at >= start, Touch.at < end)
    )
    return select(Touch.lead_id, Touch.id, Touch.at, Touch.template, Touch.result).where(
        Touch.lead_id.in_(used), Touch.at >= start
    )


def outcome_events_query(start: datetime, end: datetime, source: str | None = None) -> Select:
    """OutcomeEvent rows (bot/review/outcome_report.py): through ix_lead_events_kind_at."""
    query = (
        select(Lead.owner_id, LeadEvent.lead_id, LeadEvent.kind, LeadEvent.detail)
        .join(Lead, Lead.id == LeadEvent.lead_id)
        .where(
            LeadEvent.kind.in_((EventKind.CLOSED, EventKind.CADENCE_STOPPED)),
            LeadEvent.at >= start,
            LeadEvent.at < end,
        )
    )
    return query.where(Lead.source == source) if source is not None else query


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
        followup: bool = True,
    ) -> StatsReport:
        """The whole report for `period` in the caller's zone; filter it with `visible_to`.
        `followup=False` leaves the follow-up numbers out (and their two queries)."""
        window = period_window(period, self.clock.now(), user_tz)
        return self.report_for(window, rep=rep, source=source, followup=followup)

    def report_for(
        self,
        window: Period,
        *,
        rep: str | None = None,
        source: str | None = None,
        followup: bool = True,
    ) -> StatsReport:
        """`report` over any window (the weekly digest's weeks)."""
        now = self.clock.now()
        query = period_query(window.start, window.end, now, source)
        start, end = window.start, window.end
        tasks: Sequence[Any] = ()
        claims: Sequence[Any] = ()
        outcomes = NO_OUTCOMES
        with self.db.read() as session:
            connection = session.connection()  # Core rows: no ORM result machinery
            rows = connection.execute(query).all()
            if followup:
                tasks = connection.execute(due_tasks_query(start, end, source, rep)).all()
                claims = connection.execute(claimed_query(start, end, source)).all()
                events = connection.execute(outcome_events_query(start, end, source)).all()
                outcomes = outcomes_of(events, rep)
        # The rep filter runs here, not in SQL: with `owner_id = ?` and no statistics SQLite
        # picks ix_leads_owner_assigned and reads a third of the table instead of one week.
        # (Tasks are filtered in SQL: their index starts with the owner.)
        if rep is not None:
            rows = [row for row in rows if row[0] == rep]
            claims = [claim for claim in claims if claim[0] == rep]
        report = build_report(
            window,
            by_owner(rows),
            self.config,
            rep=rep,
            source=source,
            followup=FollowUpRows(tasks, claims, now) if followup else None,
        )
        return replace(report, outcomes=outcomes, currency=self.config.followup.currency)

    def speed_reports(self, outer: Period, inner: Period) -> tuple[StatsReport, StatsReport]:
        """`report_for(window, followup=False)` of `outer` and of `inner`, a window ending with it
        (today within the last 7 days), from one read of `outer`'s leads in which each row says
        whether it is `inner`'s too: the dashboard's two reports for the price of one."""
        if not (outer.start <= inner.start and inner.end == outer.end):
            raise ValueError(f"{inner.name} is not a window ending with {outer.name}")
        inside = case((Lead.received_at >= inner.start, literal(1)), else_=literal(0))
        query = period_query(outer.start, outer.end, self.clock.now()).add_columns(inside)
        with self.db.read() as session:
            rows = session.connection().execute(query).all()
        return self._speed(outer, rows), self._speed(inner, [row for row in rows if row[4]])

    def _speed(self, window: Period, rows: Sequence[Any]) -> StatsReport:
        report = build_report(window, by_owner(rows), self.config)
        return replace(report, currency=self.config.followup.currency)

    def templates(self, user_tz: ZoneInfo, period: str) -> TemplateReport:
        """The outreach templates ranked over `period` in the caller's zone: the team's numbers,
        whoever asks (templates are shared)."""
        return self.templates_for(period_window(period, self.clock.now(), user_tz))

    def templates_for(self, window: Period) -> TemplateReport:
        with self.db.read() as session:
            query = template_touches_query(window.start, window.end)
            rows = session.connection().execute(query).all()
        return template_report(window, rows, self.config.followup.min_template_uses)
