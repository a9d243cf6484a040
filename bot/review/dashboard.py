"""The sales floor's screen (`GET /dashboard`): today's and this week's speed to lead and how the
claim waits spread over the response buckets, the leads waiting now with their age and SLA state,
the shared queue, breaches and the reps' table. Server drawn HTML (a sandboxed Jinja2 template
with autoescape: lead names are text; the chart is inline SVG bars with the numbers as text),
readable without scripts; `?tv=1` draws it in large type.

Live: a small inline script fetches the same URL every `refresh` seconds and swaps the page's
`<main>` in place (no reload, no flash); when a fetch fails it says since when the numbers are
stale instead of showing them as live. Without scripts a `<noscript>` meta refresh reloads it.
Should the script stop (an old browser, a bug), a banner in `<main>` that CSS reveals after three
intervals says so: every swap or reload draws a new one, so only a screen left alone shows it.
The page only runs its own inline style and script, by a nonce sent in the Content-Security-Policy
(`content_security_policy`).

Reads: one read of the week's leads serving both reports (`StatsService.speed_reports`) and one
narrow query of the open leads, oldest first, per open status (`ix_leads_status_received`).
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
from bot.review.report import (
    RESPONSE_BUCKETS,
    SHARED_QUEUE,
    Speed,
    StatsReport,
    bucket_shares,
    period_window,
)
from bot.review.stats import StatsService
from bot.vocabulary import LeadStatus
from storage.db import Database
from storage.models import Lead

WAITING_SHOWN, WAITING_ON_TV = 25, 10  # the oldest; a TV's large type fits fewer rows
# The last bucket is "never" in the audit and the digest, whose weeks are over; on a live screen
# most of those leads are still being waited on.
BAR_LABELS = (*RESPONSE_BUCKETS[:-1], "not claimed yet")
_ENV = SandboxedEnvironment(autoescape=True)
_PAGE = _ENV.from_string(
    resources.files(__package__).joinpath("dashboard.html.j2").read_text(encoding="utf-8")
)


def content_security_policy(nonce: str) -> str:
    """The page's own inline stylesheet and script (by `nonce`), fetches of itself (the live
    refresh) and nothing else: no other script, style attribute, frame, form or base URL."""
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


@dataclass(frozen=True)
class Waiting:
    lead_id: int
    name: str
    owner: str
    age: str
    sla: str  # "due in 12m" or "breached 1h 5m ago"
    breached: bool


@dataclass(frozen=True)
class Bar:
    label: str
    share: float  # of the period's leads
    width: str  # the share as an SVG percentage, "37.50"
    bucket: int  # its RESPONSE_BUCKETS index: its colour


@dataclass(frozen=True)
class Chart:
    label: str
    report: StatsReport
    bars: tuple[Bar, ...]  # empty: no leads in the period


class Dashboard:
    def __init__(
        self, db: Database, config: Config, clock: Clock, stats: StatsService, refresh: int
    ) -> None:
        self.db, self.config, self.clock, self.stats = db, config, clock, stats
        self.refresh = refresh  # seconds between live updates (LEADBOT_DASHBOARD_REFRESH)

    def page(self, nonce: str, tv: bool = False) -> str:
        """The whole page; `nonce` must be the one of the response's content_security_policy."""
        tz = self.config.business_tz()
        now = self.clock.now()
        # No follow-up numbers on the screen: their queries are left out.
        week, today = self.stats.speed_reports(
            period_window("week", now, tz), period_window("today", now, tz)
        )
        waiting, open_count, queued = self._waiting(WAITING_ON_TV if tv else WAITING_SHOWN)
        charts = [Chart("Today", today, _bars(today.total.claim)),
                  Chart("Last 7 days", week, _bars(week.total.claim))]  # fmt: skip
        return _PAGE.render(
            charts=charts, bar_labels=BAR_LABELS, waiting=waiting, open_count=open_count,
            queued=queued, tv=tv, refresh=self.refresh, nonce=nonce, d=_duration, pct=_share,
            plural=_plural, n=_count, now=now.astimezone(tz), rows=_rows(week),
        )  # fmt: skip

    def _waiting(self, shown: int) -> tuple[list[Waiting], int, int]:
        """The `shown` oldest open leads: each open status's first few through
        `ix_leads_status_received` (no sort of every open lead), merged; and the counts."""
        now = self.clock.now()
        columns = (Lead.id, Lead.name, Lead.company, Lead.owner_id, Lead.received_at,
                   Lead.sla_due_at)  # fmt: skip
        rows: list[Any] = []
        counts: dict[str, int] = {}
        with self.db.read() as session:
            connection = session.connection()  # Core rows: no ORM result machinery
            for status in LeadStatus.OPEN:
                query = select(*columns).where(Lead.status == status)
                rows += connection.execute(
                    query.order_by(Lead.received_at, Lead.id).limit(shown)
                ).all()
                count = select(func.count()).where(Lead.status == status)
                counts[status] = int(connection.execute(count).scalar() or 0)
        rows.sort(key=lambda row: (as_utc(row.received_at), row.id))
        waiting = [self._one(now, *row) for row in rows[:shown]]
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


def _bars(claim: Speed) -> tuple[Bar, ...]:
    shares = bucket_shares(claim)
    if not shares:
        return ()
    return tuple(
        Bar(label, share, f"{share * 100:.2f}", index)
        for index, (label, share) in enumerate(zip(BAR_LABELS, shares, strict=True))
    )


def _rows(report: StatsReport) -> list[object]:
    return [row for row in report.rows if row.summary.leads or row.owner_id is not None]


def _duration(value: timedelta | float | None) -> str:
    return format_seconds(value.total_seconds() if isinstance(value, timedelta) else value)


def _share(value: float) -> str:
    return f"{value:.0%}"


def _count(value: int) -> str:
    return f"{value:,}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"
