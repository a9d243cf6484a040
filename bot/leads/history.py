"""A lead's whole story as the event log tells it (`leadbot lead 42`): where it stands now, and
every event in order, as plain values. Read-only; the terminal rendering is `bot/tools`'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.clock import as_utc
from storage.db import Database
from storage.models import Lead, LeadEvent


@dataclass(frozen=True)
class Event:
    at: datetime
    actor: str  # a Slack user id, "leadbot" (routing, the chain) or intake's caller
    kind: str  # an EventKind value; unknown kinds (written by a newer leadbot) are kept as is
    detail: dict[str, Any]


@dataclass(frozen=True)
class LeadState:
    """The lead row's own facts, the top of the story. `email` and `phone` are here so that the
    renderer can leave them out: showing them is the reader's choice (`--show-contact`)."""

    id: int
    name: str | None
    company: str | None
    email: str | None
    phone: str | None
    source: str
    external_id: str | None
    tier: str
    status: str
    owner_id: str | None
    claimed_by: str | None
    routing_reason: str
    received_at: datetime
    sla_due_at: datetime | None
    sla_breached_at: datetime | None
    claimed_at: datetime | None
    claim_wait_seconds: float | None
    first_contact_at: datetime | None
    snoozed_until: datetime | None
    closed_at: datetime | None
    outcome: str | None
    outcome_amount: Decimal | None
    outcome_reason: str | None


@dataclass(frozen=True)
class LeadHistory:
    lead: LeadState
    events: tuple[Event, ...]


def lead_history(db: Database, lead_id: int) -> LeadHistory | None:
    """The lead and its events, oldest first (ties in the order they were written); None when
    there is no such lead."""
    with db.read() as session:
        row = session.get(Lead, lead_id)
        if row is None:
            return None
        events = session.execute(
            select(LeadEvent.at, LeadEvent.actor, LeadEvent.kind, LeadEvent.detail)
            .where(LeadEvent.lead_id == lead_id)
            .order_by(LeadEvent.at, LeadEvent.id)
        ).all()
        told = tuple(Event(as_utc(at), actor, kind, dict(detail or {})) for at, actor, kind,
                     detail in events)  # fmt: skip
        return LeadHistory(lead=_state(row), events=told)


def _state(row: Lead) -> LeadState:
    """The row's values, its moments in UTC (SQLite gives them back without a zone)."""
    values = {name: getattr(row, name) for name in LeadState.__dataclass_fields__}
    return LeadState(**{k: as_utc(v) if isinstance(v, datetime) else v for k, v in values.items()})
