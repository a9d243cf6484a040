"""The card composer: a stored lead (and its nudges from the event log) as the plain values the
pure card builder draws (`blocks/card.py`), for every copy and every list row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from blocks.card import CardView, Nudge, fallback_text, lead_card
from blocks.wire import wire
from bot.clock import Clock, as_utc
from bot.delivery.outbox import CardRenderer, RenderedMessage
from bot.vocabulary import CopyKind, EventKind
from storage.models import Lead, LeadEvent

NUDGE_KINDS = (
    EventKind.REMINDED,
    EventKind.MANAGER_NOTIFIED,
    EventKind.QUEUED,
    EventKind.CHANNEL_NOTIFIED,
    EventKind.QUEUE_REMINDED,
    EventKind.DELIVERY_FAILED,
    EventKind.ASSIGNED,  # only those made by the escalation chain (with a step) are shown
    EventKind.NUDGE_DROPPED,  # takes back the nudge it names: the card shows what went out
    EventKind.CRM_OWNER_FAILED,  # shown on a line of its own while it is about the owner
    EventKind.CRM_OWNER_WRITTEN,  # takes back the failures before it
)
CRM_KINDS = (EventKind.CRM_OWNER_FAILED, EventKind.CRM_OWNER_WRITTEN)
DROPPABLE = {EventKind.REMINDED, EventKind.MANAGER_NOTIFIED, EventKind.QUEUE_REMINDED}


_NUDGE_EVENTS = (  # built once: a card drawn for one lead pays for building it otherwise
    select(LeadEvent)
    .where(LeadEvent.lead_id.in_(bindparam("ids", expanding=True)))
    .where(LeadEvent.kind.in_(NUDGE_KINDS))
    .order_by(LeadEvent.id)
)


def nudges_by_lead(session: Session, lead_ids: Collection[int]) -> dict[int, tuple[Nudge, ...]]:
    """The nudges of many leads in one query (the dispatcher draws a batch of cards at once)."""
    if not lead_ids:
        return {}
    events = session.scalars(_NUDGE_EVENTS, {"ids": list(lead_ids)})
    found: dict[int, list[Nudge]] = defaultdict(list)
    for event in events:
        if event.kind == EventKind.NUDGE_DROPPED:
            _take_back(found[event.lead_id], str((event.detail or {}).get("to")))
        elif event.kind in CRM_KINDS:
            _crm(found[event.lead_id], event)
        elif event.kind != EventKind.ASSIGNED or (event.detail or {}).get("step") is not None:
            found[event.lead_id].append(_nudge(event))
    return {lead_id: tuple(nudges) for lead_id, nudges in found.items()}


def _crm(nudges: list[Nudge], event: LeadEvent) -> None:
    """A write-back that failed is kept (its words for the card); one that succeeded later
    takes every earlier failure back."""
    nudges[:] = [n for n in nudges if n.kind != EventKind.CRM_OWNER_FAILED]
    if event.kind == EventKind.CRM_OWNER_FAILED:
        detail = event.detail or {}
        note = f"Owner not written to {detail.get('crm', 'the CRM')}: {detail.get('error', '?')}"
        owner = detail.get("owner")
        nudges.append(Nudge(kind=EventKind.CRM_OWNER_FAILED, at=as_utc(event.at),
                            to=(str(owner),) if owner else (), note=note))  # fmt: skip


def _take_back(nudges: list[Nudge], target: str) -> None:
    """Remove the latest nudge to `target`: it was written but never sent."""
    for index in range(len(nudges) - 1, -1, -1):
        if nudges[index].kind in DROPPABLE and target in nudges[index].to:
            del nudges[index]
            return


def _nudge(event: LeadEvent) -> Nudge:
    detail = event.detail or {}
    handover = event.kind == EventKind.ASSIGNED
    to = detail.get("owner") if handover else detail.get("to")
    held = detail.get("held_until")
    return Nudge(
        kind=EventKind.REASSIGNED if handover else EventKind(event.kind),
        at=as_utc(event.at),
        to=tuple(to) if isinstance(to, list) else ((str(to),) if to else ()),
        tone=detail.get("tone"),
        held_until=datetime.fromisoformat(held) if held else None,
    )


def card_view(
    lead: Lead,
    copy_kind: str = CopyKind.DM,
    recipient: str | None = None,
    nudges: tuple[Nudge, ...] = (),
    currency: str = "USD",
) -> CardView:
    # A failed write-back is about the owner it tried: once the lead moved on, it is history.
    failed = [n for n in nudges if n.kind == EventKind.CRM_OWNER_FAILED]
    problem = failed[-1].note if failed and failed[-1].to == (lead.owner_id,) else None
    nudges = tuple(n for n in nudges if n.kind != EventKind.CRM_OWNER_FAILED)
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
        first_contact_at=_utc(lead.first_contact_at),
        first_contact_by=lead.first_contact_by,
        last_contact_outcome=lead.last_contact_outcome,
        contact_count=lead.contact_count or 0,
        outcome=lead.outcome,
        outcome_amount=lead.outcome_amount,
        outcome_reason=lead.outcome_reason,
        outcome_note=lead.outcome_note,
        currency=currency,
        copy_kind=copy_kind,
        recipient=recipient,
        nudges=nudges,
        crm_problem=problem,
    )


def _utc(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def card_renderer(clock: Clock, currency: str = "USD") -> CardRenderer:
    """`currency`: followup.currency, in which a won lead's amount is shown."""

    def render(
        lead: Lead, copy_kind: str, recipient: str | None, nudges: tuple[Nudge, ...]
    ) -> RenderedMessage:
        view = card_view(lead, copy_kind, recipient, nudges, currency)
        blocks = wire(lead_card(view, clock.now()))
        return RenderedMessage(text=fallback_text(view), blocks=blocks, lead_version=lead.version)

    return render
