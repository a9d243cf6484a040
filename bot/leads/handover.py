"""A manager hands a claimed lead to another rep (the first owner left, is away for weeks, or
the account belongs elsewhere). The lead stays claimed: its claim and speed to lead are history
and stand as they were. The new owner gets the lead's card in their DM and its open follow-up
tasks, each with a note saying where it came from; the old owner's cards say where it went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.delivery.outbox import cancel_pending_messages, enqueue_card_updates, enqueue_post
from bot.leads.events import LEADBOT, add_event
from bot.leads.quiet import quiet_until
from bot.leads.records import change_if_unchanged
from bot.services import Deps
from bot.vocabulary import CopyKind, EventKind, LeadStatus
from storage.models import Lead


def hand_over_claimed(
    deps: Deps, session: Session, lead: Lead, manager_id: str, new_owner: str, now: datetime
) -> bool:
    """In the caller's transaction; False when the lead changed since it was read."""
    previous = lead.owner_id
    by = deps.config.display_name(manager_id)
    moved = change_if_unchanged(
        session,
        lead,
        Lead.status == LeadStatus.CLAIMED,
        owner_id=new_owner,
        routing_reason=f"reassigned by {by}",
        # The old owner's snooze was their plan for the lead; the new owner makes their own.
        snoozed_until=None,
        snoozed_by=None,
    )
    if not moved:
        return False
    # Reminders still waiting for the old owner (or their manager, about the old owner's
    # tasks) would now be about someone else's lead.
    cancel_pending_messages(session, lead.id, now)
    add_event(session, lead, manager_id, EventKind.REASSIGNED, now,
              owner=new_owner, previous_owner=previous, claimed=True)  # fmt: skip
    # Every hand-over writes one ASSIGNED event: the new owner's daily_cap counts it.
    add_event(session, lead, LEADBOT, EventKind.ASSIGNED, now,
              owner=new_owner, reason=f"reassigned by {by}")  # fmt: skip
    deps.crm.owner_changed(session, lead, new_owner, now)
    names = (
        deps.config.display_name(previous) if previous else "nobody",
        deps.config.display_name(new_owner),
    )
    deps.followup.reassigned(
        session, lead, new_owner, f"from {names[0]} to {names[1]} by {by}", now
    )
    enqueue_card_updates(session, lead.id, now)
    held = quiet_until(deps.config, new_owner, now, lead.tier)
    enqueue_post(session, lead.id, CopyKind.DM, new_owner, now, not_before=held)
    return True
