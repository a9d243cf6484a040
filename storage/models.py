"""SQLAlchemy 2 typed models. All datetimes are stored as UTC."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        float: Float,
    }


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_leads_source_external_id"),
        Index("ix_leads_status_owner", "status", "owner_id"),
        Index("ix_leads_routing_pool_id", "routing_pool", "id"),
        Index("ix_leads_email_assigned", "email", "assigned_at"),
        Index("ix_leads_owner_assigned", "owner_id", "assigned_at"),
        # Stats read one period of leads by arrival time.
        Index("ix_leads_received_at", "received_at"),
        # The dashboard's "waiting now": each open status's oldest leads, without a sort.
        Index("ix_leads_status_received", "status", "received_at"),
        # A rep's to-do (`/leads mine`, App Home): only leads without a first contact, so it
        # stays small however long the history; covering, oldest first.
        Index(
            "ix_leads_todo",
            "owner_id",
            "received_at",
            "status",
            sqlite_where=text("first_contact_at IS NULL"),
            postgresql_where=text("first_contact_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))
    company: Mapped[str | None] = mapped_column(String(200))
    company_size: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(64))
    product: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(Text)
    crm_url: Mapped[str | None] = mapped_column(String(2000))
    tier: Mapped[str] = mapped_column(String(32))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    status: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str | None] = mapped_column(String(32))
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    routing_reason: Mapped[str] = mapped_column(String(500), default="")
    # The pool that placed the lead ("default", "team:emea", ...): weighted pools count recent
    # placements per rep from it, and the ack-timeout backup goes back to it.
    routing_pool: Mapped[str | None] = mapped_column(String(64))
    # Bumped on every state change; a card copy remembers the version it shows.
    version: Mapped[int] = mapped_column(Integer, default=1)

    received_at: Mapped[datetime]
    created_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    sla_due_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    snoozed_by: Mapped[str | None] = mapped_column(String(32))
    first_contact_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Logged contacts: the first one stops the speed-to-lead clock; the latest shows on the card.
    first_contact_by: Mapped[str | None] = mapped_column(String(32))
    first_contact_wait_seconds: Mapped[float | None]
    last_contact_at: Mapped[datetime | None]
    last_contact_outcome: Mapped[str | None] = mapped_column(String(32))
    contact_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # How the lead ended, latest first (a LeadOutcome: meeting_booked, then won): a won lead's
    # amount, a lost lead's reason (one of followup.lost_reasons) and the closer's note.
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    outcome_reason: Mapped[str | None] = mapped_column(String(64))
    outcome_note: Mapped[str | None] = mapped_column(Text)

    # Escalation: the chain is a snapshot taken at assignment (config edits don't move leads in
    # flight); `escalation_step` is the index of the next step and doubles as the fencing value.
    chain: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    escalation_started_at: Mapped[datetime | None]
    next_action_at: Mapped[datetime | None] = mapped_column(index=True)
    sla_breached_at: Mapped[datetime | None]
    # Speed to lead, kept both ways for reporting: wall clock and business time.
    claim_wait_seconds: Mapped[float | None]
    claim_business_wait_seconds: Mapped[float | None]


class LeadEvent(Base):
    """The audit trail: who did what to which lead, when."""

    __tablename__ = "lead_events"
    __table_args__ = (
        Index("ix_lead_events_lead_at", "lead_id", "at"),
        Index("ix_lead_events_kind_at", "kind", "at"),  # daily caps: today's assignments
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CardCopy(Base):
    """One posted copy of a lead's card: where it is, and which lead version it shows."""

    __tablename__ = "card_copies"
    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_card_copies_channel_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # dm | channel | queue
    recipient: Mapped[str | None] = mapped_column(String(32))  # the user a DM copy was for
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    shown_version: Mapped[int] = mapped_column(Integer)
    posted_at: Mapped[datetime]


class OutboxStatus:
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a nudge whose lead was claimed before it went out
    SUMMARISED = "summarised"  # a channel copy folded into a burst summary post


class OutboxMessage(Base):
    """A Slack call to make, written in the same transaction as the change that needs it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_status_priority", "status", "priority", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    # The channel (or the user of a DM) the call is paced on: a backlog in one lane never holds
    # up another (bot/delivery/lanes.py).
    lane: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(SmallInteger, default=5, server_default="5")
    # An earlier attempt may have reached Slack (its holder died, or the answer never came):
    # look for the post in the channel's history before posting again.
    maybe_sent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    kind: Mapped[str] = mapped_column(String(16))  # post_card | update_card
    copy_kind: Mapped[str | None] = mapped_column(String(16))  # dm | channel | queue
    target: Mapped[str | None] = mapped_column(String(32))  # user id (dm) or channel id
    card_copy_id: Mapped[int | None] = mapped_column(
        ForeignKey("card_copies.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(32))  # the Instance holding the lease
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    # For plain messages (reminders, escalations): text and blocks drawn when the step ran, and
    # what must still hold when it is sent (e.g. the lead is still unclaimed).
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class HeldNudgeStatus:
    HELD = "held"  # waiting for its rep's quiet hours to end
    DELIVERED = "delivered"
    DROPPED = "dropped"  # the lead was claimed or moved on meanwhile


class HeldNudge(Base):
    """A reminder that fell in its rep's quiet hours: delivered, merged, when they end."""

    __tablename__ = "held_nudges"
    __table_args__ = (Index("ix_held_nudges_status_due", "status", "deliver_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    deliver_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=HeldNudgeStatus.HELD)


class DmChannel(Base):
    """conversations.open is Tier 3: remember each rep's DM channel id."""

    __tablename__ = "dm_channels"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))


class RoutePointer(Base):
    """Round-robin position per pool, kept in the database so restarts stay fair."""

    __tablename__ = "route_pointers"

    pool: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class HomeTab(Base):
    """Someone who has opened leadbot's App Home: their tab is republished when their leads
    change (at most once per few seconds, from `published_at`)."""

    __tablename__ = "home_tabs"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    opened_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class RepAway(Base):
    """A rep who said `/leads away [until]`: routing skips them until `until` (or `/leads back`)."""

    __tablename__ = "rep_away"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    since: Mapped[datetime]
    until: Mapped[datetime | None]


class SeenSlackRequest(Base):
    """A signed Slack request already handled: a replay of it within Slack's 5-minute window
    is ignored. Rows older than the window are deleted."""

    __tablename__ = "seen_slack_requests"

    signature: Mapped[str] = mapped_column(String(80), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class Instance(Base):
    """A running dispatcher (one per `leadbot serve`), beating a heartbeat: outbox leases held
    by one that stopped beating are free (bot/delivery/leases.py)."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[datetime]
    # PostgreSQL: the key of the advisory lock it holds on a connection of its own while it
    # runs (bot/delivery/liveness.py); None where it holds none.
    lock_key: Mapped[int | None] = mapped_column(Integer)
