"""Building and reading lead rows for the lead service: a new lead with its tier, SLA and chain
snapshot; lookups; who may act on a lead; what follows a won claim."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.config.policy import Tier
from bot.config.schema import Config
from bot.delivery.outbox import cancel_pending_messages
from bot.escalation.policy import chain_for, sla_due_at
from bot.escalation.sweep import plan_next
from bot.hours import BusinessCalendar, business_time_between
from bot.leads.events import LEADBOT, add_event
from bot.leads.input import LeadIn
from bot.routing.decision import Decision
from bot.vocabulary import EventKind, LeadStatus
from storage.models import Lead


def new_lead(
    data: LeadIn,
    tier: Tier,
    decision: Decision,
    now: datetime,
    config: Config,
    calendar: BusinessCalendar | None,
) -> Lead:
    lead = Lead(
        **data.model_dump(exclude={"tier", "received_at", "fields", "email", "timezone", "owner"}),
        email=data.email.lower() if data.email else None,
        # The prospect's zone rides in `fields` (what the follow-up's calling window reads).
        fields={**data.fields, **({"timezone": data.timezone} if data.timezone else {})},
        tier=tier.name,
        status=LeadStatus.ASSIGNED if decision.owner_id else LeadStatus.QUEUED,
        owner_id=decision.owner_id,
        routing_reason=decision.reason[:500],
        routing_pool=decision.pool,
        version=1,
        received_at=data.received_at or now,
        created_at=now,
        assigned_at=now,
        sla_due_at=sla_due_at(tier, now, calendar),
        chain=[
            step.to_json()
            for step in chain_for(tier, config.escalation, config.routing.ack_timeout)
        ],
        escalation_step=0,
        escalation_started_at=now,
    )
    lead.next_action_at = plan_next(lead, config, calendar)
    return lead


# Built once, run as Core: intake asks this for every lead that has an external id.
_BY_EXTERNAL_ID = (
    select(Lead.id, Lead.owner_id, Lead.routing_reason)
    .where(Lead.source == bindparam("source"), Lead.external_id == bindparam("external_id"))
    .limit(1)
)
_INSERT_LEAD = insert(Lead.__table__).returning(Lead.__table__.c.id)  # type: ignore[arg-type]


def by_external_id(session: Session, data: LeadIn) -> tuple[int, str | None, str] | None:
    """The stored lead with this lead's (source, external_id): (id, owner, routing reason)."""
    params = {"source": data.source, "external_id": data.external_id}
    row = session.execute(_BY_EXTERNAL_ID, params).first()
    return None if row is None else (row[0], row[1], row[2])


def insert_lead(session: Session, lead: Lead) -> None:
    """Store a new lead built by `new_lead` with one Core INSERT, and give it its id. The object
    stays outside the session: intake reads it, never changes it, and an ORM flush of it cost
    more than the rest of the INSERT's work."""
    state = inspect(lead).dict
    columns = Lead.__table__.columns
    values = {column.key: state[column.key] for column in columns if column.key in state}
    lead.id = session.execute(_INSERT_LEAD, values).scalar_one()


def not_claimable(lead: Lead, user_id: str, now: datetime) -> str:
    if lead.status == LeadStatus.CLAIMED and lead.claimed_by:
        if lead.claimed_by == user_id:
            return f"You already claimed lead #{lead.id}."
        return f"Lead #{lead.id} is already claimed by <@{lead.claimed_by}>."
    if lead.status == LeadStatus.ASSIGNED:
        return (
            f"Lead #{lead.id} is offered to <@{lead.owner_id}>. People not set up in leadbot.yml"
            " can claim only from the shared queue."
        )
    return f"Lead #{lead.id} is {lead.status}; it can't be claimed."


def refuse_owner_action(
    config: Config,
    lead: Lead | None,
    lead_id: int,
    user_id: str,
    verb: str,
    *,
    claimed_too: bool = False,
) -> str | None:
    """Why `user_id` may not `verb` this lead (None: they may): only its owner or a manager.
    `claimed_too`: the action applies to a claimed lead as well (a snooze pauses its follow-up)."""
    if lead is None:
        return f"Lead #{lead_id} does not exist (any more)."
    allowed = (*LeadStatus.OPEN, LeadStatus.CLAIMED) if claimed_too else LeadStatus.OPEN
    if lead.status not in allowed:
        by = f" by <@{lead.claimed_by}>" if lead.claimed_by else ""
        return f"Lead #{lead_id} is already {lead.status}{by}: nothing to {verb}."
    if lead.owner_id != user_id and not config.can_manage(user_id):
        if lead.owner_id is None:
            return f"Lead #{lead_id} is in the shared queue: only a manager can {verb} it."
        return (
            f"Only the lead's owner (<@{lead.owner_id}>) or a manager can {verb} lead #{lead_id}."
        )
    return None


def record_claim(
    session: Session,
    lead: Lead,
    user_id: str,
    now: datetime,
    calendar: BusinessCalendar | None,
    **detail: object,
) -> None:
    """What follows a won claim: speed to lead (wall clock and business time), the timers stop,
    and nudges not yet sent are dropped, all in the claim's transaction."""
    received = as_utc(lead.received_at)
    lead.claim_wait_seconds = (now - received).total_seconds()
    lead.claim_business_wait_seconds = business_time_between(
        received, now, calendar
    ).total_seconds()
    lead.next_action_at = None
    add_event(
        session,
        lead,
        user_id,
        EventKind.CLAIMED,
        now,
        waited_seconds=lead.claim_wait_seconds,
        **detail,
    )
    for target in cancel_pending_messages(session, lead.id, now):
        add_event(session, lead, LEADBOT, EventKind.NUDGE_DROPPED, now, to=target,
                  reason="lead claimed")  # fmt: skip


def locked_lead(session: Session, lead_id: int) -> Lead | None:
    """The lead, its row locked until the caller's transaction ends: what a person's change
    reads before its guarded write. Read unlocked on PostgreSQL, leadbot's own change landing
    in between (a dropped reminder's redraw bumps the version) failed the guard, and the person
    was told "someone else changed this lead"; locked, it waits for that change and acts on
    what it left. SQLite's one writer serialises them anyway."""
    return session.get(Lead, lead_id, with_for_update=True, populate_existing=True)


def change_if_unchanged(
    session: Session, lead: Lead, *conditions: ColumnElement[bool], **values: object
) -> bool:
    """Write `values` (and a new version) only if the lead is still at the version read (and
    `conditions` hold): a concurrent click makes this a no-op. `lead` is refreshed either way."""
    changed = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.version == lead.version, *conditions)
        .values(version=Lead.version + 1, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(lead)
    return bool(changed)
