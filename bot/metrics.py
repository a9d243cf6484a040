"""Prometheus metrics, one registry per app instance (no module-level globals).

Counted where they happen: intake here in the HTTP surface; lead changes once each, after
their transaction commits (bot/leads/changes.py calls `changed`); Slack calls by the clients
(bot/delivery/slack_calls.py calls `slack_called`). The outbox's depth and age are read from
the database at scrape time. Under `leadbot serve` the delivery worker counts in its own
registry, which reaches `/metrics` through bot/ops/worker_reports.py.

Label values come from configuration and code only (sources and tiers leadbot.yml names, event
kinds, actions, Slack methods and error codes): a label per lead would grow every scrape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from bot.clock import Clock, SystemClock, as_utc
from bot.delivery.lanes import PRIORITY_NAMES
from bot.delivery.outbox import PERMANENT_ERRORS
from bot.leads.changes import ESCALATION_STEP, Change
from bot.vocabulary import EventKind
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus

OTHER_SOURCE = "other"
OTHER_ERROR = "other"  # outages (http_503), timeouts, and codes Slack may add later
OTHER = "other"
# Lead sources counted under their own name without being named in leadbot.yml: the usual ones.
# Any other source counts as "other" unless a tier or routing rule names it.
COMMON_SOURCES = (
    "api", "website", "web", "webform", "form", "landing_page", "webinar", "event",
    "trade_show", "partner", "referral", "phone", "walk-in", "chat", "email", "linkedin", "ads",
    "import", "hubspot", "salesforce", "pipedrive", "zoho", "typeform", "webflow", "zapier",
)  # fmt: skip
# 1 min … 24 h: a hot lead is claimed in minutes, a cold one may wait a working day.
WAIT_BUCKETS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400)
# Slack's method names and error codes: anything else (garbage from a proxy) is "other".
_SLACK_WORD = re.compile(r"[a-z][a-zA-Z0-9_.]{0,59}")
_EVENT_KINDS = frozenset(kind.value for kind in EventKind)


class Metrics:
    def __init__(
        self,
        db: Database,
        known_sources: Iterable[str] = (),
        known_tiers: Iterable[str] = (),
        clock: Clock | None = None,
    ) -> None:
        self.known_sources = frozenset(s.lower() for s in (*COMMON_SOURCES, *known_sources))
        self.known_tiers = frozenset(known_tiers)
        self.registry = CollectorRegistry()
        self._intake(db)
        self._leads()
        self._slack()
        self.registry.register(OutboxLanes(db, clock or SystemClock()))

    def _intake(self, db: Database) -> None:
        r = self.registry
        self.leads_received = Counter(
            "leadbot_leads_received_total", "Leads accepted by intake", ["source", "outcome"],
            registry=r,
        )  # fmt: skip
        self.intake_rejected = Counter(
            "leadbot_intake_rejected_total", "Intake requests refused", ["status"], registry=r
        )
        self.intake_seconds = Histogram(
            "leadbot_intake_seconds", "Intake request handling time", registry=r
        )
        self.outbox_pending = Gauge(
            "leadbot_outbox_pending", "Slack calls waiting to be sent", registry=r
        )
        self.outbox_pending.set_function(lambda: _count_outbox(db, OutboxStatus.PENDING))
        self.outbox_failed = Gauge("leadbot_outbox_failed", "Slack calls given up on", registry=r)
        self.outbox_failed.set_function(lambda: _count_outbox(db, OutboxStatus.FAILED))
        self.outbox_given_up = Counter(
            "leadbot_outbox_given_up_total",
            "Slack calls given up on, by Slack's error (the admins were told)", ["error"],
            registry=r,
        )  # fmt: skip

    def _leads(self) -> None:
        r = self.registry
        self.claims = Counter("leadbot_claims_total", "Leads claimed", ["tier"], registry=r)
        self.time_to_claim = Histogram(
            "leadbot_time_to_claim_seconds", "From a lead's arrival to its claim (wall clock)",
            ["tier"], buckets=WAIT_BUCKETS, registry=r,
        )  # fmt: skip
        self.time_to_first_contact = Histogram(
            "leadbot_time_to_first_contact_seconds",
            "From a lead's arrival to its first logged contact (wall clock)",
            ["tier"], buckets=WAIT_BUCKETS, registry=r,
        )  # fmt: skip
        self.sla_breaches = Counter(
            "leadbot_sla_breaches_total", "Leads not claimed within their tier's SLA", ["tier"],
            registry=r,
        )  # fmt: skip
        self.escalation_steps = Counter(
            "leadbot_escalation_steps_total", "Escalation actions run, by kind", ["action"],
            registry=r,
        )  # fmt: skip
        self.lead_events = Counter(
            "leadbot_lead_events_total", "Lead events written (the event log), by kind", ["kind"],
            registry=r,
        )  # fmt: skip

    def _slack(self) -> None:
        self.slack_calls = Counter(
            "leadbot_slack_calls_total",
            "Slack Web API calls by method and result: ok, Slack's error code, 429, http_5xx, "
            "no_answer", ["method", "result"], registry=self.registry,
        )  # fmt: skip
        self.slack_ratelimited = Counter(
            "leadbot_slack_ratelimited_total", "Slack calls answered 429 (rate limited)",
            ["method"], registry=self.registry,
        )  # fmt: skip

    def delivery_given_up(self, error: str) -> None:
        known = error in PERMANENT_ERRORS or error in ("ratelimited", "held")
        self.outbox_given_up.labels(error if known else OTHER_ERROR).inc()

    def lead_received(self, source: str, outcome: str) -> None:
        label = source.lower() if source.lower() in self.known_sources else OTHER_SOURCE
        self.leads_received.labels(label, outcome).inc()

    def changed(self, change: Change) -> None:
        """A lead change that committed (bot/leads/changes.py)."""
        tier = change.tier if change.tier in self.known_tiers else OTHER
        if change.kind == ESCALATION_STEP:
            self.escalation_steps.labels(str(change.detail.get("action", OTHER))).inc()
            return
        self.lead_events.labels(change.kind if change.kind in _EVENT_KINDS else OTHER).inc()
        if change.kind == EventKind.CLAIMED:
            self.claims.labels(tier).inc()
            if change.waited is not None:
                self.time_to_claim.labels(tier).observe(change.waited)
        elif change.kind == EventKind.CONTACTED and change.detail.get("first"):
            if change.waited is not None:
                self.time_to_first_contact.labels(tier).observe(change.waited)
        elif change.kind == EventKind.SLA_BREACHED:
            self.sla_breaches.labels(tier).inc()

    def slack_called(self, method: str, result: str) -> None:
        """A Slack call's answer (bot/delivery/slack_calls.py)."""
        method = method if _SLACK_WORD.fullmatch(method) else OTHER
        result = result if result.isdigit() or _SLACK_WORD.fullmatch(result) else OTHER
        self.slack_calls.labels(method, result).inc()
        if result == "429":
            self.slack_ratelimited.labels(method).inc()


class OutboxLanes:
    """At each scrape, one query: the pending rows of each lane (bot/delivery/lanes.py), and
    how long the oldest of them has waited. A lane with nothing pending shows 0 for both."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "leadbot_outbox_depth", "Slack calls waiting to be sent, by lane", labels=["lane"]
        )
        age = GaugeMetricFamily(
            "leadbot_outbox_oldest_pending_seconds",
            "How long the oldest Slack call waiting in each lane has waited", labels=["lane"],
        )  # fmt: skip
        query = (
            select(OutboxMessage.priority, func.count(), func.min(OutboxMessage.created_at))
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .group_by(OutboxMessage.priority)
        )
        with self.db.read() as session:
            rows = session.execute(query).all()
        now = self.clock.now()
        found = _by_lane(rows)
        for lane in (*PRIORITY_NAMES.values(), *([OTHER] if OTHER in found else [])):
            count, oldest = found.get(lane, (0, None))
            waited = (now - oldest).total_seconds() if oldest is not None else 0.0
            depth.add_metric([lane], float(count))
            age.add_metric([lane], max(waited, 0.0))
        yield depth
        yield age


def _by_lane(rows: Iterable[Any]) -> dict[str, tuple[int, datetime | None]]:
    """(priority, count, oldest) rows as {lane: (count, oldest)}; priorities that are no lane
    of lanes.py (none today) together as "other"."""
    found: dict[str, tuple[int, datetime | None]] = {}
    for priority, count, oldest in rows:
        lane = PRIORITY_NAMES.get(priority, OTHER)
        before, earliest = found.get(lane, (0, None))
        moments = [as_utc(m) for m in (earliest, oldest) if m is not None]
        found[lane] = (before + int(count), min(moments) if moments else None)
    return found


def _count_outbox(db: Database, status: str) -> float:
    with db.read() as session:
        count = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)
        )
    return float(count or 0)
