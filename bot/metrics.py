"""Prometheus metrics, one registry per app instance (no module-level globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select

from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus


class Metrics:
    def __init__(self, db: Database) -> None:
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


def _count_outbox(db: Database, status: str) -> float:
    with db.read() as session:
        count = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)
        )
    return float(count or 0)
