"""Draw a stored lead as a card copy: the adapter between storage and the pure card builder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from blocks.card import CardView, fallback_text, lead_card
from bot.clock import Clock, as_utc
from bot.outbox import CardRenderer, RenderedMessage
from storage.models import Lead


def card_view(lead: Lead, copy_kind: str = "dm", recipient: str | None = None) -> CardView:

    return CardView(
        lead_id=lead.id,
        name=lead.name,
        company=lead.company,
        company_size=lead.company_size,
        product=lead.product,
        source=lead.source,
        message=lead.message,
        email=lead.email,
        phone=lead.phone,
        crm_url=lead.crm_url,
        tier=lead.tier,
        status=lead.status,
        owner_id=lead.owner_id,
        claimed_by=lead.claimed_by,
        routing_reason=lead.routing_reason,
        received_at=as_utc(lead.received_at),
        claimed_at=_utc(lead.claimed_at),
        sla_due_at=_utc(lead.sla_due_at),
        snoozed_until=_utc(lead.snoozed_until),
        snoozed_by=lead.snoozed_by,
        copy_kind=copy_kind,
        recipient=recipient,
    )


def _utc(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def card_renderer(clock: Clock) -> CardRenderer:
    def render(
        _session: Session, lead: Lead, copy_kind: str, recipient: str | None
    ) -> RenderedMessage:
        view = card_view(lead, copy_kind, recipient)
        blocks = [block.to_dict() for block in lead_card(view, clock.now())]
        return RenderedMessage(text=fallback_text(view), blocks=blocks, lead_version=lead.version)

    return render
