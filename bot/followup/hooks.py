"""The follow-up's side of the lead lifecycle (`Deps.followup`): a claim plans the first-contact
task and the cadence's first step; every contact is a touch in the log, and the first one ends
the first-contact SLA. Runs in the lead service's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.config.schema import Config
from bot.delivery.outbox import enqueue_moved_task_card, enqueue_task_redraws
from bot.followup.planning import (
    TaskPlanner,
    active_cadence,
    close_open_tasks,
    stop_cadence,
    stops,
)
from bot.hours import BusinessCalendar
from bot.vocabulary import (
    CLOSING_OUTCOMES,
    RESULT_CHANNEL,
    ContactOutcome,
    FollowUpChannel,
    LeadOutcome,
    LeadStatus,
    TaskResult,
    TaskStatus,
)
from storage.bulk import add_row
from storage.db import Database
from storage.followup import Task, Touch
from storage.models import Lead

# What a contact (the card's Log contact, or a task's Done) says about the lead's follow-up.
LEAD_OUTCOMES = {
    ContactOutcome.MEETING: LeadOutcome.MEETING_BOOKED,
    TaskResult.MEETING_BOOKED: LeadOutcome.MEETING_BOOKED,
    TaskResult.REPLIED: LeadOutcome.REPLIED,
    ContactOutcome.NOT_A_FIT: LeadOutcome.NOT_A_FIT,
}
# The lead card's Log contact menu, as touches: which channel each outcome was on.
_CONTACT_CHANNEL = {
    ContactOutcome.CALL: FollowUpChannel.CALL,
    ContactOutcome.EMAIL: FollowUpChannel.EMAIL,
    ContactOutcome.LINKEDIN: FollowUpChannel.LINKEDIN,
}


def touch_channel(outcome: str) -> str | None:
    if outcome in _CONTACT_CHANNEL:
        return _CONTACT_CHANNEL[ContactOutcome(outcome)]
    if outcome in TaskResult.__members__.values():
        channel = RESULT_CHANNEL[TaskResult(outcome)]
        return str(channel) if channel else None
    return None


class FollowUp:
    def __init__(
        self,
        db: Database,
        config: Config,
        calendar: BusinessCalendar | None,
    ) -> None:
        self.config = config
        self.planner = TaskPlanner(db, config, calendar)

    def claimed(self, session: Session, lead: Lead, owner: str, now: datetime) -> None:
        self.planner.on_claim(session, lead, owner, now)

    def contacted(
        self,
        session: Session,
        lead: Lead,
        user_id: str,
        outcome: str,
        now: datetime,
        first: bool,
        task: Task | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        add_row(
            session,
            Touch,
            lead_id=lead.id,
            task_id=task.id if task else None,
            at=now,
            by=user_id,
            channel=touch_channel(outcome),
            template=task.template if task else None,
            result=outcome,
            detail=detail or {},
        )
        if first:
            self.planner.on_first_contact(session, lead, lead.owner_id or user_id, now)
        ended = LEAD_OUTCOMES.get(outcome)
        if ended is not None and lead.status != LeadStatus.CLOSED:
            lead.outcome = str(ended)  # "meeting booked" is how it stands, cadence or none
        name = active_cadence(session, lead.id)
        cadence = self.config.cadences.get(name or "")
        if name and cadence and ended is not None and stops(cadence, ended):
            stop_cadence(session, lead, name, ended, now, keep=task.id if task else None)
        if outcome in CLOSING_OUTCOMES:
            # Nothing left to follow up: every open task goes, and its card says so.
            posted = close_open_tasks(
                session, lead.id, now, TaskStatus.CANCELLED, note="the lead was closed",
                keep=task.id if task else None,
            )  # fmt: skip
            enqueue_task_redraws(session, posted, now)

    def reassigned(
        self, session: Session, lead: Lead, owner: str, note: str, now: datetime
    ) -> None:
        """The open tasks go with the lead. Each starts afresh for the new owner: its card is
        posted to them when due (at once if it was due already), its overdue chain counts from
        then, so nobody is told off for what the last owner left undone."""
        tasks = session.scalars(
            select(Task).where(Task.lead_id == lead.id, Task.status == TaskStatus.OPEN)
        ).all()
        for task in tasks:
            if task.card_channel is not None and task.card_ts is not None:
                enqueue_moved_task_card(session, task.id, task.card_channel, task.card_ts, now)
            due = max(as_utc(task.due_at), now)
            task.owner_id = owner
            task.note = f"Moved {note}"
            task.due_at = due
            task.next_action_at = due
            task.overdue_step = 0
            task.card_channel = task.card_ts = None
            task.shown_version = 0
            task.version += 1

    def closed(
        self, session: Session, lead: Lead, outcome: LeadOutcome, by: str, now: datetime
    ) -> None:
        name = active_cadence(session, lead.id)
        if name:
            stop_cadence(session, lead, name, outcome, now, by=by,
                         note=f"the lead was closed: {outcome}")  # fmt: skip
        else:  # the first-contact task, or a cadence already over
            posted = close_open_tasks(
                session, lead.id, now, TaskStatus.CANCELLED, note=f"the lead was closed: {outcome}"
            )
            enqueue_task_redraws(session, posted, now)
