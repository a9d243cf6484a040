"""The sales floor's screen (`GET /dashboard`): today's and this week's speed to lead, the leads
waiting now with their age and SLA state, the shared queue, breaches and the reps' table. Server
drawn HTML (a sandboxed Jinja2 template with autoescape: lead names are text), refreshed by the
browser every REFRESH seconds, readable without scripts; `?tv=1` draws it in large type.

Reads: two `/leads stats` reports (`StatsService`) and one narrow query of the open leads,
oldest first, per open status (`ix_leads_status_received`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, select

from bot.clock import Clock, as_utc
from bot.config.schema import Config
from bot.durations import format_seconds
from bot.review.report import SHARED_QUEUE, StatsReport
from bot.review.stats import StatsService
from bot.vocabulary import LeadStatus
from storage.db import Database
from storage.models import Lead

REFRESH = 30  # seconds
WAITING_SHOWN = 25
_ENV = SandboxedEnvironment(autoescape=True)
_PAGE = _ENV.from_string(
    resources.files(__package__).joinpath("dashboard.html.j2").read_text(encoding="utf-8")
)


@dataclass(frozen=True)
class Waiting:
    lead_id: int
    name: str
    owner: str
    age: str
    sla: str  # "due in 12m" or "breached 1h 5m ago"
    breached: bool


class Dashboard:
    def __init__(self, db: Database, config: Config, clock: Clock, stats: StatsService) -> None:
        self.db, self.config, self.clock, self.stats = db, config, clock, stats

    def page(self, tv: bool = False) -> str:
        tz = self.config.business_tz()
        # No follow-up numbers on the screen: their queries are left out.
        today = self.stats.report(tz, "today", followup=False)
        week = self.stats.report(tz, "week", followup=False)
        waiting, open_count, queued = self._waiting()
        return _PAGE.render(
            today=today, week=week, waiting=waiting, open_count=open_count, queued=queued,
            tv=tv, refresh=REFRESH, d=_duration, pct=_share, shared=SHARED_QUEUE,
            now=self.clock.now().astimezone(tz), rows=_rows(week),
        )  # fmt: skip

    def _waiting(self) -> tuple[list[Waiting], int, int]:
        """The oldest open leads: each open status's first few through
        `ix_leads_status_received` (no sort of every open lead), merged; and the counts."""
        now = self.clock.now()
        columns = (Lead.id, Lead.name, Lead.company, Lead.owner_id, Lead.received_at,
                   Lead.sla_due_at)  # fmt: skip
        rows: list[Any] = []
        counts: dict[str, int] = {}
        with self.db.read() as session:
            for status in LeadStatus.OPEN:
                query = select(*columns).where(Lead.status == status)
                rows += session.execute(
                    query.order_by(Lead.received_at, Lead.id).limit(WAITING_SHOWN)
                ).all()
                count = select(func.count()).where(Lead.status == status)
                counts[status] = int(session.scalar(count) or 0)
        rows.sort(key=lambda row: (as_utc(row.received_at), row.id))
        waiting = [self._one(now, *row) for row in rows[:WAITING_SHOWN]]
        return waiting, sum(counts.values()), counts.get(LeadStatus.QUEUED, 0)

    def _one(self, now: datetime, lead_id: int, name: str | None, company: str | None,
             owner: str | None, received: datetime, due: datetime | None) -> Waiting:  # fmt: skip
        label = " · ".join(part for part in (name, company) if part) or f"Lead #{lead_id}"
        who = self.config.display_name(owner) if owner else SHARED_QUEUE
        sla, breached = "no SLA", False
        if due is not None:
            left = as_utc(due) - now
            breached = left < timedelta(0)
            sla = f"breached {_duration(-left)} ago" if breached else f"due in {_duration(left)}"
        return Waiting(lead_id, label, who, _duration(now - as_utc(received)), sla, breached)


def _rows(report: StatsReport) -> list[object]:
    return [row for row in report.rows if row.summary.leads or row.owner_id is not None]


def _duration(value: timedelta | float | None) -> str:
    return format_seconds(value.total_seconds() if isinstance(value, timedelta) else value)


def _share(value: float) -> str:
    return f"{value:.0%}"
