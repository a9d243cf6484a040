"""The weekly review (#13): one week's speed to lead against the week before and a four-week
trend, the worst SLA breaches, follow-up, conversion by response time, templates and a
leaderboard. A manager's digest covers the team; a rep's, their own leads.

The numbers are `/leads stats`'s (`StatsService.report_for`), so the two never disagree; the
plain values and the weeks are in `digest_report.py`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from bot.clock import Clock, as_utc
from bot.config.schema import Config
from bot.review.digest_report import (
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
from bot.review.outcome_report import CONVERTED
from bot.review.report import RESPONSE_BUCKETS as BUCKETS
from bot.review.report import (
    Period,
    RepRow,
    StatsReport,
    bucket_of,
    bucket_shares,
    summarize,
)
from bot.review.stats import StatsService
from bot.review.template_report import TemplateStats
from bot.vocabulary import EventKind
from storage.db import Database
from storage.models import Lead, LeadEvent


@dataclass(frozen=True)
class _Reads:
    """One zone's week, read once for every reader in it: the team's reports (oldest first, the
    last with follow-up) and the rows the per-reader parts are cut from."""

    reports: list[StatsReport]
    breaches: list[Breach]
    conversion: list[tuple[str | None, float | None, str | None]]  # owner, first contact, outcome
    snoozes: list[tuple[str, str]]  # actor, reason
    templates: tuple[TemplateStats, ...]


class DigestService:
    def __init__(self, db: Database, config: Config, clock: Clock, stats: StatsService) -> None:
        self.db, self.config, self.clock, self.stats = db, config, clock, stats

    def digest(self, viewer: str, team: bool) -> Digest:
        """`team`: the whole team's digest (for managers); else the viewer's own."""
        return self.build(self.config.tz_for(viewer), None if team else viewer, viewer)

    def build(self, tz: ZoneInfo, rep: str | None, viewer: str | None = None) -> Digest:
        """The digest of the last complete week in `tz`: `rep`'s, or the team's (None);
        `viewer` is marked on the leaderboard."""
        return self.build_many(tz, [rep], viewer)[rep]

    def build_many(
        self, tz: ZoneInfo, reps: Sequence[str | None], viewer: str | None = None
    ) -> dict[str | None, Digest]:
        """Every reader's digest in one zone from one set of reads: the SQL is per zone, not
        per rep (each rep's numbers are their row of the team's report). `viewer`: marked on
        the leaderboard; by default each rep is marked on their own."""
        reads = self._reads(week_windows(self.clock.now(), tz, self.config.digest.weekday))
        return {rep: self._digest(reads, rep, viewer or rep, tz) for rep in reps}

    def _reads(self, windows: list[Period]) -> _Reads:
        window = windows[-1]
        reports = [self.stats.report_for(w, followup=False) for w in windows[:-1]]
        reports.append(self.stats.report_for(window))
        return _Reads(
            reports,
            self._breaches(window),
            self._conversion_rows(window),
            self._snooze_rows(window),
            self.stats.templates_for(window).ranked[:TOP_TEMPLATES],
        )

    def _digest(self, reads: _Reads, rep: str | None, viewer: str | None, tz: ZoneInfo) -> Digest:
        main = reads.reports[-1]
        row = _row(main, rep)
        return Digest(
            scope="the team" if rep is None else self.config.display_name(rep),
            weeks=tuple(_week(report, rep) for report in reads.reports),
            worst=tuple(b for b in reads.breaches if rep is None or b.owner == rep)[:WORST],
            followup=main.followup if rep is None else (row.followup if row else NO_FOLLOWUP),
            conversion=_buckets(reads.conversion, rep),
            templates=reads.templates,
            leaderboard=self._leaderboard(main, viewer),
            tz=tz.key,
            snoozes=_reasons(reads.snoozes, rep),
        )

    def _breaches(self, window: Period) -> list[Breach]:
        """The week's breached leads, longest wait first."""
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
        return sorted(breaches, key=lambda b: (-b.waited, b.lead_id))

    def _conversion_rows(self, window: Period) -> list[tuple[str | None, float | None, str | None]]:
        query = select(Lead.owner_id, Lead.first_contact_wait_seconds, Lead.outcome).where(
            Lead.received_at >= window.start, Lead.received_at < window.end
        )
        with self.db.read() as session:
            return [tuple(row) for row in session.connection().execute(query)]  # type: ignore[misc]

    def _snooze_rows(self, window: Period) -> list[tuple[str, str]]:
        query = select(LeadEvent.actor, LeadEvent.detail).where(
            LeadEvent.kind == EventKind.SNOOZED,
            LeadEvent.at >= window.start,
            LeadEvent.at < window.end,
        )
        with self.db.read() as session:
            rows = session.execute(query).all()
        return [(actor, str(detail.get("reason") or NO_REASON) if isinstance(detail, dict)
                 else NO_REASON) for actor, detail in rows]  # fmt: skip

    def _leaderboard(self, report: StatsReport, viewer: str | None) -> tuple[Standing, ...] | None:
        mode = self.config.digest.leaderboard
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


def _row(report: StatsReport, rep: str | None) -> RepRow | None:
    return next((row for row in report.rows if row.owner_id == rep), None) if rep else None


def _week(report: StatsReport, rep: str | None) -> Week:
    row = _row(report, rep)
    total = report.total if rep is None else (row.summary if row else summarize([]))
    return Week(report.period, total.leads, total.claim.median, total.claim.p90,
                total.contact.median, total.breaches, bucket_shares(total.claim))  # fmt: skip


def _buckets(
    rows: list[tuple[str | None, float | None, str | None]], rep: str | None
) -> tuple[tuple[str, int, int], ...]:
    leads, converted = [0] * len(BUCKETS), [0] * len(BUCKETS)
    for owner, wait, outcome in rows:
        if rep is not None and owner != rep:
            continue
        bucket = bucket_of(wait)
        leads[bucket] += 1
        converted[bucket] += outcome in CONVERTED
    return tuple(zip(BUCKETS, leads, converted, strict=True))


def _reasons(rows: list[tuple[str, str]], rep: str | None) -> tuple[tuple[str, int], ...]:
    reasons = Counter(reason for actor, reason in rows if rep is None or actor == rep)
    return tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
