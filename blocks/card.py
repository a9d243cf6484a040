"""The lead card: one pure function of the lead's state, whatever changed it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from blocks import ids
from blocks.card_actions import card_actions, lead_buttons, log_contact_menu, passed_on
from blocks.mrkdwn import date, escape_truncated, literal_truncated, quote_truncated, user
from blocks.outcome import outcome_line
from bot.durations import format_duration
from bot.vocabulary import CopyKind, EventKind, LeadStatus, outcome_label

TIER_BADGES = {"hot": "🔥 Hot", "warm": "🌤 Warm", "cold": "🧊 Cold"}
FIELD_LIMIT = 1900  # section fields allow 2000 characters
MESSAGE_LIMIT = 2900  # section text allows 3000


@dataclass(frozen=True)
class CardView:
    """What a card shows: the lead's state plus which copy is being drawn."""

    lead_id: int
    name: str | None
    company: str | None
    company_size: int | None
    product: str | None
    source: str
    message: str | None
    email: str | None
    phone: str | None
    crm_url: str | None
    tier: str
    status: str
    owner_id: str | None
    claimed_by: str | None
    routing_reason: str
    received_at: datetime
    claimed_at: datetime | None
    sla_due_at: datetime | None
    snoozed_until: datetime | None
    snoozed_by: str | None
    first_contact_at: datetime | None = None
    first_contact_by: str | None = None
    last_contact_outcome: str | None = None
    contact_count: int = 0
    outcome: str | None = None  # how it ended (a LeadOutcome), with a win's amount in currency
    outcome_amount: Decimal | None = None
    outcome_reason: str | None = None
    outcome_note: str | None = None
    currency: str = "USD"
    copy_kind: str = CopyKind.DM  # a CopyKind, as stored
    recipient: str | None = None  # the rep a DM copy was sent to
    nudges: tuple[Nudge, ...] = ()
    # The owner could not be written back to the CRM the lead came from: why (plain text).
    crm_problem: str | None = None


@dataclass(frozen=True)
class Nudge:
    """Who was told about this lead, and when: shown on the card."""

    kind: EventKind  # a handover by the chain is shown as REASSIGNED
    at: datetime
    to: tuple[str, ...] = ()  # user ids (or a channel id for channel_notified)
    tone: str | None = None
    held_until: datetime | None = None
    note: str | None = None  # a CRM write-back that failed: what went wrong (plain text)


def lead_card(card: CardView, now: datetime) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text=f"New lead · {TIER_BADGES.get(card.tier, card.tier.title())}"),
        SectionBlock(text=MarkdownTextObject(text=_headline(card)), fields=_fields(card)),
    ]
    if card.message:
        quoted = quote_truncated(card.message, MESSAGE_LIMIT)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=quoted)))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_timing_line(card, now))]))
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(text=MarkdownTextObject(text=state_line(card, now))))
    buttons = card_actions(card)
    if buttons:
        blocks.append(
            ActionsBlock(block_id=f"{ids.LEAD_BLOCK_PREFIX}:{card.lead_id}", elements=buttons)
        )
    if card.nudges:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=nudge_line(card.nudges))]))
    if card.routing_reason:
        reason = escape_truncated(card.routing_reason, 500)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Routing: {reason}")]))
    if card.crm_problem:
        problem = "⚠️ " + escape_truncated(card.crm_problem, 500)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=problem)]))
    return blocks


def fallback_text(card: CardView) -> str:
    """Notification text: what a phone shows, so it carries no raw lead markup either."""
    who = literal_truncated(card.name or card.email or card.phone or "unnamed lead", 200)
    company = f" ({literal_truncated(card.company, 200)})" if card.company else ""
    tier = TIER_BADGES.get(card.tier, card.tier)
    return f"{tier} lead #{card.lead_id}: {who}{company}"


def state_line(card: CardView, now: datetime) -> str:
    if card.status == LeadStatus.CLOSED:
        ended = outcome_line(card.outcome, card.outcome_amount, card.outcome_reason,
                             card.outcome_note, card.currency)  # fmt: skip
        if ended is None:
            ended = "Closed: " + (outcome_label(card.last_contact_outcome) or "closed")
        return ended + contact_line(card, prefix="\n")
    if card.status == LeadStatus.CLAIMED and card.claimed_by and card.claimed_at:
        waited = format_duration(card.claimed_at - card.received_at)
        line = f"✅ Claimed by {user(card.claimed_by)} after {waited}"
        if card.owner_id and card.owner_id != card.claimed_by:
            line += f"\n↪️ Now with {user(card.owner_id)}"
        return line + (contact_line(card, prefix="\n") or "\n📞 No contact logged yet")
    if passed_on(card):
        if card.status == LeadStatus.QUEUED:
            return "📥 Moved to the shared queue: anyone can claim it there"
        handoff = next((n for n in reversed(card.nudges) if n.kind == EventKind.REASSIGNED), None)
        if handoff is not None and handoff.to == (card.owner_id,):
            waited = format_duration(handoff.at - card.received_at)
            return f"↪️ Reassigned to {user(card.owner_id or '')} after {waited} without a claim"
        return f"↪️ Now with {user(card.owner_id or '')}"
    if card.status == LeadStatus.QUEUED:
        line = "📥 In the shared queue: anyone can claim it"
    else:
        line = f"⏳ Waiting for {user(card.owner_id or '')} to claim"
    if card.snoozed_until and card.snoozed_until > now and card.snoozed_by:
        until = date(card.snoozed_until, "{date_short_pretty} at {time}", _utc(card.snoozed_until))
        line += f"\n💤 Snoozed by {user(card.snoozed_by)} until {until}"
    return line


def contact_line(card: CardView, prefix: str = "") -> str:
    """ "📞 First contact after 22m (Call, @alice) · 3 logged, latest: 📅 Meeting booked"."""
    if card.first_contact_at is None:
        return ""
    waited = format_duration(card.first_contact_at - card.received_at)
    by = f", {user(card.first_contact_by)}" if card.first_contact_by else ""
    line = f"📞 First contact after {waited}{by}"
    if card.contact_count > 1:
        line += (
            f" · {card.contact_count} logged, latest: {outcome_label(card.last_contact_outcome)}"
        )
    elif card.last_contact_outcome:
        line += f" · {outcome_label(card.last_contact_outcome)}"
    return prefix + line


MAX_NUDGES_SHOWN = 6


def nudge_line(nudges: tuple[Nudge, ...]) -> str:
    """The latest few nudges, oldest first: "Nudged <@U1> 10:30 (gentle) · manager <@U2> …"."""
    parts = [_nudge_text(n) for n in nudges[-MAX_NUDGES_SHOWN:]]
    more = len(nudges) - MAX_NUDGES_SHOWN
    prefix = f"…{more} earlier · " if more > 0 else ""
    return "🔔 " + prefix + " · ".join(parts)


def _nudge_text(nudge: Nudge) -> str:
    at = date(nudge.at, "{time}", _utc(nudge.at))
    people = " ".join(user(u) for u in nudge.to)
    if nudge.kind == EventKind.REMINDED:
        tone = f" ({nudge.tone})" if nudge.tone else ""
        if nudge.held_until:
            until = date(nudge.held_until, "{time}", _utc(nudge.held_until))
            return f"reminder for {people}{tone} held for quiet hours until {until}"
        return f"reminded {people} {at}{tone}"
    if nudge.kind == EventKind.MANAGER_NOTIFIED:
        return f"manager {people} told {at}"
    if nudge.kind == EventKind.REASSIGNED:
        return f"reassigned to {people} {at}"
    if nudge.kind == EventKind.QUEUED:
        return f"moved to the queue {at}"
    if nudge.kind == EventKind.DELIVERY_FAILED:
        return f"could not reach {people} {at}, so it went to the queue"
    if nudge.kind == EventKind.CHANNEL_NOTIFIED:
        return f"<#{nudge.to[0]}> told {at}" if nudge.to else f"channel told {at}"
    if nudge.kind == EventKind.CRM_OWNER_FAILED:
        return f"owner not written to the CRM {at}"  # the card shows why on a line of its own
    return f"queue reminded {at}"


def _headline(card: CardView) -> str:
    name = literal_truncated(card.name or "Unnamed lead", 200)
    company = f" · {literal_truncated(card.company, 200)}" if card.company else ""
    return f"*{name}*{company}  (#{card.lead_id})"


def _fields(card: CardView) -> list[MarkdownTextObject]:
    values = [
        ("Company size", f"{card.company_size:,}" if card.company_size is not None else None),
        ("Product", card.product),
        ("Source", card.source),
        ("Tier", TIER_BADGES.get(card.tier, card.tier)),
        ("Email", card.email),
        ("Phone", card.phone),
    ]
    return [
        MarkdownTextObject(text=f"*{label}*\n{_shown(label, value)}")
        for label, value in values
        if value
    ]


# Slack links an email or a phone number it recognises: those are escaped only (never typed
# with formatting of their own, as intake validates them); any other value shows as typed.
LINKED_FIELDS = ("Email", "Phone")


def _shown(label: str, value: str) -> str:
    if label in LINKED_FIELDS:
        return escape_truncated(value, FIELD_LIMIT)
    return literal_truncated(value, FIELD_LIMIT)


def _timing_line(card: CardView, now: datetime) -> str:
    arrived = date(card.received_at, "{ago}", _utc(card.received_at))
    parts = [f"Arrived {arrived}"]
    if card.sla_due_at and card.status in LeadStatus.OPEN:
        due = date(card.sla_due_at, "{time}", _utc(card.sla_due_at))
        left = card.sla_due_at - now
        if left.total_seconds() >= 0:
            parts.append(f"SLA: respond by {due} ({format_duration(left)} left)")
        else:
            parts.append(f"⚠️ SLA breached: overdue by {format_duration(-left)}")
    elif card.sla_due_at and card.claimed_at:
        met = "met" if card.claimed_at <= card.sla_due_at else "missed"
        parts.append(f"SLA {met}")
    return "  ·  ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


__all__ = [
    "CardView",
    "Nudge",
    "contact_line",
    "fallback_text",
    "lead_buttons",
    "lead_card",
    "log_contact_menu",
    "nudge_line",
    "state_line",
]
