"""Which tasks a lead gets, and when each is due: the first contact after a claim (step 0) and
the cadence's steps, one at a time (the next is planned when the one before is done or skipped,
so `wait_for_previous` and a late rep move the rest with them).

Runs inside the caller's transaction. A task is unique per (lead, step): planning it twice (a
double click, two instances) inserts it once (`INSERT … ON CONFLICT DO NOTHING`).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.config.followup import Cadence, CadenceStep
from bot.config.schema import Config
from bot.delivery.outbox import enqueue_task_redraws
from bot.escalation.policy import tier_for
from bot.followup.prospect import prospect_zones
from bot.followup.schedule import CallingWindow, step_due
from bot.hours import BusinessCalendar, add_business_time, in_zone
from bot.leads.events import LEADBOT, add_event
from bot.routing.match import LeadFacts, condition_matches
from bot.routing.router import facts_of
from bot.vocabulary import EventKind, LeadOutcome, TaskStatus
from storage.db import Database
from storage.followup import Task
from storage.models import Lead

FIRST_CONTACT = 0  # the step number of the first-contact task


def cadence_for(config: Config, facts: LeadFacts) -> tuple[str, Cadence] | None:
    """The first cadence whose `match` holds, else the one named `default`, else none."""
    for name, cadence in config.cadences.items():
        if cadence.match is None:
            continue
        condition = cadence.match.condition()
        if condition is None or condition_matches(condition, facts):
            return name, cadence
    default = config.cadences.get("default")
    return ("default", default) if default is not None else None


class TaskPlanner:
    def __init__(self, db: Database, config: Config, calendar: BusinessCalendar | None) -> None:
        self.db = db
        self.config = config
        self.calendar = calendar

    def rep_calendar(self, rep_id: str) -> tuple[BusinessCalendar | None, ZoneInfo]:
        """The business days and hours as the rep keeps them: the same calendar, their zone."""
        tz = self.config.tz_for(rep_id)
        return in_zone(self.calendar, tz), tz

    def on_claim(self, session: Session, lead: Lead, owner: str, now: datetime) -> None:
        """A claim starts the first-contact SLA (unless a contact is logged already) and, for
        cadences that count from the claim, the cadence's first step."""
        tier = self.config.tier(lead.tier) or tier_for(
            facts_of(lead), self.config.tiers, self.config.default_tier
        )
        deadline = tier.contact_deadline
        if deadline is not None and lead.first_contact_at is None:
            calendar, _ = self.rep_calendar(owner)
            due = add_business_time(now, deadline, calendar)
            self._insert(session, lead, owner, FIRST_CONTACT, None, None, 0, due, now)
        chosen = cadence_for(self.config, facts_of(lead))
        if chosen is not None and chosen[1].start == "claim":
            self.start_cadence(session, lead, owner, chosen, now)

    def on_first_contact(self, session: Session, lead: Lead, owner: str, now: datetime) -> None:
        """The first contact ends the first-contact SLA and starts cadences counted from it."""
        close_open_tasks(session, lead.id, now, TaskStatus.DONE, steps=(FIRST_CONTACT,))
        chosen = cadence_for(self.config, facts_of(lead))
        if chosen is not None and chosen[1].start == "first_contact":
            self.start_cadence(session, lead, owner, chosen, now)

    def start_cadence(
        self, session: Session, lead: Lead, owner: str, chosen: tuple[str, Cadence], now: datetime
    ) -> None:
        name, cadence = chosen
        if self._insert_step(session, lead, owner, name, cadence, 1, now, anchor=now):
            add_event(session, lead, LEADBOT, EventKind.CADENCE_STARTED, now, cadence=name)

    def plan_next(self, session: Session, task: Task, lead: Lead, now: datetime) -> bool:
        """After `task` is done or skipped: its cadence's next step, if any. True if planned."""
        cadence = self.config.cadences.get(task.cadence or "")
        if cadence is None or task.step >= len(cadence.steps):
            return False
        anchor = self._anchor(session, lead.id, as_utc(task.created_at))
        done_at = now if cadence.wait_for_previous else None
        return self._insert_step(
            session, lead, task.owner_id, task.cadence or "", cadence, task.step + 1, now,
            anchor=anchor, not_before=done_at,
        )  # fmt: skip

    def due_of(
        self,
        step: CadenceStep,
        lead: Lead,
        owner: str,
        anchor: datetime,
        not_before: datetime | None = None,
    ) -> datetime:
        calendar, tz = self.rep_calendar(owner)
        start, end = self.config.followup.calling_window
        zones = prospect_zones((lead.fields or {}).get("timezone"), lead.country, tz)
        return step_due(
            step.day, anchor, calendar, tz, call=step.is_call, prospect=zones,
            window=CallingWindow(start, end), not_before=not_before,
        )  # fmt: skip

    def _insert_step(
        self,
        session: Session,
        lead: Lead,
        owner: str,
        name: str,
        cadence: Cadence,
        number: int,
        now: datetime,
        *,
        anchor: datetime,
        not_before: datetime | None = None,
    ) -> bool:
        step = cadence.steps[number - 1]
        due = self.due_of(step, lead, owner, anchor, not_before)
        return self._insert(session, lead, owner, number, name, step, len(cadence.steps), due, now)

    def _anchor(self, session: Session, lead_id: int, fallback: datetime) -> datetime:
        """Day 1's moment: when step 1 was planned (the claim, or the first contact)."""
        first = session.scalar(
            select(Task.created_at).where(Task.lead_id == lead_id, Task.step == 1)
        )
        return as_utc(first) if first is not None else fallback

    def _insert(
        self,
        session: Session,
        lead: Lead,
        owner: str,
        number: int,
        cadence: str | None,
        step: CadenceStep | None,
        steps: int,
        due: datetime,
        now: datetime,
    ) -> bool:
        values = {
            "lead_id": lead.id, "owner_id": owner, "cadence": cadence, "step": number,
            "steps": steps, "day": step.day if step else None,
            "channels": [str(c) for c in step.do] if step else [],
            "template": step.template if step else None, "final": bool(step and step.final),
            "due_at": due, "status": TaskStatus.OPEN, "next_action_at": due, "overdue_step": 0,
            "version": 1, "created_at": now, "shown_version": 0,
        }  # fmt: skip
        inserted = session.execute(
            self.db.insert(Task).values(**values).on_conflict_do_nothing().returning(Task.id)
        ).first()
        return inserted is not None


def stops(cadence: Cadence, outcome: LeadOutcome) -> bool:
    return outcome == cadence.goal or outcome in cadence.stop_on


def stop_cadence(
    session: Session,
    lead: Lead,
    cadence: str,
    outcome: LeadOutcome,
    now: datetime,
    *,
    keep: int | None = None,
    by: str = LEADBOT,
    note: str | None = None,
) -> None:
    """End the lead's cadence with `outcome`: its open tasks are cancelled (their cards say so,
    with `note`: plain text), except `keep`, the task whose Done reported the outcome."""
    note = note or f"cadence stopped: {outcome}"
    lead.outcome = str(outcome)  # the latest word on how the lead ended
    posted = close_open_tasks(session, lead.id, now, TaskStatus.CANCELLED, note=note, keep=keep)
    enqueue_task_redraws(session, posted, now)
    add_event(session, lead, by, EventKind.CADENCE_STOPPED, now,
              cadence=cadence, outcome=str(outcome))  # fmt: skip


def active_cadence(session: Session, lead_id: int) -> str | None:
    """The cadence the lead is in: the one of its open tasks, if any."""
    return session.scalar(
        select(Task.cadence)
        .where(Task.lead_id == lead_id, Task.status == TaskStatus.OPEN, Task.cadence.is_not(None))
        .limit(1)
    )


def close_open_tasks(
    session: Session,
    lead_id: int,
    now: datetime,
    status: str,
    *,
    steps: tuple[int, ...] | None = None,
    note: str | None = None,
    keep: int | None = None,
) -> list[int]:
    """Close a lead's open tasks (all, or those `steps`, never `keep`); returns the ids of
    those with a posted card, which the caller redraws."""
    query = update(Task).where(Task.lead_id == lead_id, Task.status == TaskStatus.OPEN)
    if steps is not None:
        query = query.where(Task.step.in_(steps))
    if keep is not None:
        query = query.where(Task.id != keep)
    closed = session.execute(
        query.values(
            status=status, done_at=now, note=note, next_action_at=None, version=Task.version + 1
        )
        .returning(Task.id, Task.card_ts)
        .execution_options(synchronize_session=False)
    )
    return [task_id for task_id, ts in closed if ts is not None]
