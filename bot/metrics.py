"""Prometheus metrics, one registry per app instance (no module-level globals)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select

from bot.delivery.outbox import PERMANENT_ERRORS
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus

OTHER_SOURCE = "other"
OTHER_ERROR = "other"  # outages (http_503), timeouts, and codes Slack may add later
# Lead sources counted under their own name without being named in leadbot.yml: the usual ones.
# Any other source counts as "other" unless a tier or routing rule names it.
COMMON_SOURCES = (
    "api", "website", "web", "webform", "form", "landing_page", "webinar", "event",
    "trade_show", "partner", "referral", "phone", "walk-in", "chat", "email", "linkedin", "ads",
    "import", "hubspot", "salesforce", "pipedrive", "zoho", "typeform", "webflow", "zapier",
)  # fmt: skip


class Metrics:
    def __init__(self, db: Database, known_sources: Iterable[str] = ()) -> None:
        # Label values come from configuration only: one label per source a lead could send
        # would grow the registry (and every scrape) without bound.
        self.known_sources = frozenset(s.lower() for s in (*COMMON_SOURCES, *known_sources))
        self.registry = CollectorRegistry()
        self.leads_received = Counter(
            "leadbot_leads_received_total",
            "Leads accepted by intake",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.intake_rejected = Counter(
            "leadbot_intake_rejected_total",
            "Intake requests refused",
            ["status"],
            registry=self.registry,
        )
        self.intake_seconds = Histogram(
            "leadbot_intake_seconds", "Intake request handling time", registry=self.registry
        )
        self.outbox_pending = Gauge(
            "leadbot_outbox_pending", "Slack calls waiting to be sent", registry=self.registry
        )
        self.outbox_pending.set_function(lambda: _count_outbox(db, OutboxStatus.PENDING))
        self.outbox_failed = Gauge(
            "leadbot_outbox_failed", "Slack calls given up on", registry=self.registry
        )
        self.outbox_failed.set_function(lambda: _count_outbox(db, OutboxStatus.FAILED))
        self.outbox_given_up = Counter(
            "leadbot_outbox_given_up_total",
            "Slack calls given up on, by Slack's error (the admins were told)",
            ["error"],
            registry=self.registry,
        )

    def delivery_given_up(self, error: str) -> None:
        known = error in PERMANENT_ERRORS or error in ("ratelimited", "held")
        self.outbox_given_up.labels(error if known else OTHER_ERROR).inc()

    def lead_received(self, source: str, outcome: str) -> None:
        label = source.lower() if source.lower() in self.known_sources else OTHER_SOURCE
        self.leads_received.labels(label, outcome).inc()


def _count_outbox(db: Database, status: str) -> float:
    with db.read() as session:
        count = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)
        )
    return float(count or 0)
