"""The weekly review (#13): one week's speed to lead against the week before and a four-week
trend, the worst SLA breaches, follow-up, conversion by response time, templates and a
leaderboard. A manager's digest covers the team; a rep's, their own leads.

The numbers are `/leads stats`'s (`StatsService.report_for`), so the two never disagree; the
plain values and the weeks are in `digest_report.py`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from bot.clock import Clock, as_utc
from bot.config.schema import Config
from bot.review.digest_report import (
    BUCKETS,
    NO_REASON,
    TOP_TEMPLATES,
    WORST,
    Breach,
    Digest,
    Standing,
    Week,
    week_windows,
)
from bot.review.followup_report import NO_FOLLOWUP
from bot.review.report import SHARE_LIMITS, Period, StatsReport
from bot.review.stats import StatsService
from bot.vocabulary import EventKind, LeadOutcome
from storage.db import Database
from storage.models import Lead, LeadEvent

CONVERTED = (LeadOutcome.WON, LeadOutcome.MEETING_BOOKED)


class DigestService:
    def __init__(self, db: Database, config: Config, clock: Clock, stats: StatsService) -> None:
        self.db, self.config, self.clock, self.stats = db, config, clock, stats

    def digest(self, viewer: str, team: bool) -> Digest:
        """`team`: the whole team's digest (for managers); else the viewer's own."""
        return self.build(self.config.tz_for(viewer), None if team else viewer, viewer)

    def build(self, tz: ZoneInfo, rep: str | None, viewer: str | None = None) -> Digest:
        """The digest of the last complete week in `tz`: `rep`'s, or the team's (None);
        `viewer` is marked on the leaderboard."""
        windows = week_windows(self.clock.now(), tz, self.config.digest.weekday)
        reports = [self.stats.report_for(w, rep=rep, followup=False) for w in windows[:-1]]
        main = self.stats.report_for(windows[-1], rep=rep)
        reports.append(main)
        window = windows[-1]
        board = main if rep is None else self._team(window)
        return Digest(
            scope="the team" if rep is None else self.config.display_name(rep),
            weeks=tuple(_week(r) for r in reports),
            worst=self._worst(window, rep),
            followup=main.followup if main.followup is not None else NO_FOLLOWUP,
            conversion=self._conversion(window, rep),
            templates=self.stats.templates_for(window).ranked[:TOP_TEMPLATES],
            leaderboard=self._leaderboard(board, viewer),
            tz=tz.key,
            snoozes=self._snoozes(window, rep),
        )

    def _team(self, window: Period) -> StatsReport | None:
        """The whole team's week, for a rep's leaderboard (unless there is none to show)."""
        if self.config.digest.leaderboard == "off":
            return None
        return self.stats.report_for(window, followup=False)

    def _worst(self, window: Period, rep: str | None) -> tuple[Breach, ...]:
        now = min(self.clock.now(), window.end)
        query = select(
            Lead.id,
            Lead.name,
            Lead.company,
            Lead.owner_id,
            Lead.received_at,
            Lead.claim_wait_seconds,
        ).where(
            Lead.received_at >= window.start,
            Lead.received_at < window.end,
            or_(
                Lead.sla_breached_at.is_not(None),
                Lead.claimed_at > Lead.sla_due_at,
                and_(Lead.claimed_at.is_(None), Lead.sla_due_at < now),
            ),
        )
        if rep is not None:
            query = query.where(Lead.owner_id == rep)
        with self.db.read() as session:
            rows = session.execute(query).all()
        breaches = [
            Breach(
                lead_id,
                " · ".join(p for p in (name, company) if p) or f"Lead #{lead_id}",
                owner,
                wait if wait is not None else (now - as_utc(received)).total_seconds(),
                wait is not None,
            )
            for lead_id, name, company, owner, received, wait in rows
        ]
        return tuple(sorted(breaches, key=lambda b: (-b.waited, b.lead_id))[:WORST])

    def _snoozes(self, window: Period, rep: str | None) -> tuple[tuple[str, int], ...]:
        """Snoozes of the week by reason (a rep's: the ones they made)."""
        query = select(LeadEvent.detail).where(
            LeadEvent.kind == EventKind.SNOOZED,
            LeadEvent.at >= window.start,
            LeadEvent.at < window.end,
        )
        if rep is not None:
            query = query.where(LeadEvent.actor == rep)
        with self.db.read() as session:
            reasons = Counter(
                str(detail.get("reason") or NO_REASON) if isinstance(detail, dict) else NO_REASON
                for detail in session.scalars(query)
            )
        return tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))

    def _conversion(self, window: Period, rep: str | None) -> tuple[tuple[str, int, int], ...]:
        query = select(Lead.first_contact_wait_seconds, Lead.outcome).where(
            Lead.received_at >= window.start, Lead.received_at < window.end
        )
        if rep is not None:
            query = query.where(Lead.owner_id == rep)
        leads, converted = [0] * len(BUCKETS), [0] * len(BUCKETS)
        with self.db.read() as session:
            for wait, outcome in session.execute(query):
                bucket = len(BUCKETS) - 1 if wait is None else bisect_left(SHARE_LIMITS, wait)
                leads[bucket] += 1
                converted[bucket] += outcome in CONVERTED
        return tuple(zip(BUCKETS, leads, converted, strict=True))

    def _leaderboard(
        self, report: StatsReport | None, viewer: str | None
    ) -> tuple[Standing, ...] | None:
        mode = self.config.digest.leaderboard
        if report is None:
            return None
        rows = [row for row in report.rows if row.owner_id is not None and row.summary.leads]
        if mode == "off" or not rows:
            return None
        rows.sort(key=lambda r: (r.summary.claim.median is None, r.summary.claim.median or 0,
                                 -r.summary.leads, r.name.casefold()))  # fmt: skip
        return tuple(
            Standing(
                row.name if mode == "on" or row.owner_id == viewer else f"Rep {place}",
                row.summary.leads,
                row.summary.claim.median,
                row.owner_id == viewer,
            )
            for place, row in enumerate(rows, start=1)
        )


def _week(report: StatsReport) -> Week:
    total = report.total
    return Week(report.period, total.leads, total.claim.median, total.claim.p90,
                total.contact.median, total.breaches)  # fmt: skip
