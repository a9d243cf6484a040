"""The event log: the one place a `lead_events` row is written, and the questions asked of it.

Every state change of a lead writes one event in the change's own transaction: it is the audit
trail (who did what, when), the card's nudge line, and the change feed the App Home follows.
Each is also logged and counted once its transaction commits (bot/leads/changes.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.leads.changes import note
from bot.vocabulary import EventKind
from storage.bulk import add_row
from storage.models import Lead, LeadEvent

if TYPE_CHECKING:
    from bot.escalation.due import DueLead

LEADBOT = "leadbot"  # the actor of what leadbot does by itself (routing, the chain)


def add_event(
    session: Session,
    lead: Lead | DueLead,  # the sweep's row for a lead will do: its id, tier and arrival
    actor: str,
    kind: EventKind,
    at: datetime,
    **detail: object,
) -> None:
    add_row(session, LeadEvent, lead_id=lead.id, at=at, actor=actor, kind=kind, detail=detail)
    # The lead is at hand: its tier and arrival, for the claim's and first contact's waits.
    note(session, lead.id, actor, kind, detail, tier=lead.tier, since=lead.received_at, at=at)


def add_event_for(
    session: Session, lead_id: int, actor: str, kind: EventKind, at: datetime, **detail: object
) -> None:
    """`add_event` for a lead known only by its id (the delivery log has rows, not leads)."""
    add_row(session, LeadEvent, lead_id=lead_id, at=at, actor=actor, kind=kind, detail=detail)
    note(session, lead_id, actor, kind, detail)


def details_of(session: Session, lead_id: int, kind: EventKind) -> list[dict[str, object]]:
    return list(
        session.scalars(
            select(LeadEvent.detail).where(LeadEvent.lead_id == lead_id, LeadEvent.kind == kind)
        )
    )


def owners_in(session: Session, lead_id: int, kind: EventKind) -> set[str]:
    """The reps named as `owner` in this lead's events of `kind`: who passed on it (PASSED), or
    who has had it (ASSIGNED)."""
    return {
        str(detail["owner"]) for detail in details_of(session, lead_id, kind) if detail.get("owner")
    }
