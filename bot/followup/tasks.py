"""What a rep does with a task card: Done (with what happened), Skip (with why), Reschedule.
One transaction per click, the task row locked while it is read; a task already closed is
refused with who closed it, so a double click changes nothing twice.

Done is a touch: it is logged as a contact (the first one stops the speed-to-lead clock and the
first-contact SLA), then the cadence stops on an outcome it names (`stop_on`, its `goal`), ends
after its final step, or plans its next step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from blocks.agenda import Agenda as RepAgenda
from bot.delivery.outbox import (
    enqueue_card_updates,
    enqueue_task_redraws,
)
from bot.followup.agenda import Agenda, agenda_answer
from bot.followup.planning import TaskPlanner, active_cadence, stop_cadence, stops
from bot.followup.schedule import next_business_morning, opening_on
from bot.hours import tomorrow_at
from bot.leads.contact import ContactLog
from bot.leads.events import add_event
from bot.services import Deps, WithDeps
from bot.vocabulary import EventKind, LeadOutcome, LeadStatus, TaskResult, TaskStatus
from storage.followup import Task
from storage.models import Lead

# The task results that are an outcome of the lead, not only a touch.
_RESULT_OUTCOME = {
    TaskResult.REPLIED: LeadOutcome.REPLIED,
    TaskResult.MEETING_BOOKED: LeadOutcome.MEETING_BOOKED,
    TaskResult.NOT_A_FIT: LeadOutcome.NOT_A_FIT,
}
MAX_REASON = 300
MAX_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class TaskOutcome:
    ok: bool
    message: str = ""
    task_id: int | None = None


class TaskService(WithDeps):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.planner = TaskPlanner(deps.db, deps.config, deps.calendar)
        self.contacts = ContactLog(deps)
        self.agenda = Agenda(deps.db, deps.config, deps.calendar)

    def done(self, task_id: int, user_id: str, result: str) -> TaskOutcome:
        if result not in TaskResult.__members__.values():
            known = ", ".join(TaskResult)
            return TaskOutcome(False, f"'{result[:40]}' is not a task result (known: {known}).")
        now = self.clock.now()
        with self.db.write() as session:
            task, lead, refusal = self._open_task(session, task_id, user_id)
            if refusal or task is None or lead is None:
                return TaskOutcome(False, refusal or "")
            if not self.contacts.record_in(session, lead, user_id, result, now, task):
                return TaskOutcome(False, "Someone else changed this lead a moment ago; try again.")
            self._close(session, task, lead, user_id, now, TaskStatus.DONE, result=result)
            self._advance(session, task, lead, now, _RESULT_OUTCOME.get(TaskResult(result)))
            enqueue_card_updates(session, lead.id, now)
        self.wake()
        return TaskOutcome(True, task_id=task_id)

    def complete_in(
        self, session: Session, task: Task, lead: Lead, user_id: str, result: str, now: datetime
    ) -> None:
        """Done on `task` in the caller's transaction, its touch logged already (a call or an
        email logged in the CRM, bot/followup/crm_touch.py): closed and the cadence moved on,
        as the card's Done does."""
        self._close(session, task, lead, user_id, now, TaskStatus.DONE, result=result)
        self._advance(session, task, lead, now, _RESULT_OUTCOME.get(result))

    def skip(self, task_id: int, user_id: str, reason: str) -> TaskOutcome:
        reason = " ".join(reason.split())[:MAX_REASON]
        if not reason:
            return TaskOutcome(False, "Say why you skip it (a few words), so the review knows.")
        now = self.clock.now()
        with self.db.write() as session:
            task, lead, refusal = self._open_task(session, task_id, user_id)
            if refusal or task is None or lead is None:
                return TaskOutcome(False, refusal or "")
            self._close(session, task, lead, user_id, now, TaskStatus.SKIPPED, note=reason)
            self._advance(session, task, lead, now, None)
        self.wake()
        return TaskOutcome(True, task_id=task_id)

    def reschedule(self, task_id: int, user_id: str, until: datetime) -> TaskOutcome:
        now = self.clock.now()
        if until <= now:
            return TaskOutcome(False, "Pick a moment in the future.")
        with self.db.write() as session:
            task, lead, refusal = self._open_task(session, task_id, user_id)
            if refusal or task is None or lead is None:
                return TaskOutcome(False, refusal or "")
            task.due_at = until
            task.next_action_at = until
            task.overdue_step = 0
            task.version += 1
            add_event(session, lead, user_id, EventKind.TASK_RESCHEDULED, now,
                      task=task.id, step=task.step, until=until.isoformat())  # fmt: skip
            if task.card_ts is not None:
                enqueue_task_redraws(session, [task.id], now)
        self.wake()
        return TaskOutcome(True, task_id=task_id)

    def reschedule_choice(self, task_id: int, user_id: str, choice: str | date) -> TaskOutcome:
        """`next_day` (the next business day's opening), `tomorrow` (9:00), or a date (its
        opening), all on the task owner's clock."""
        with self.db.read() as session:
            task = session.get(Task, task_id)
        if task is None:
            return TaskOutcome(False, f"Task {task_id} does not exist (any more).")
        now = self.clock.now()
        calendar, tz = self.planner.rep_calendar(task.owner_id)
        if choice == "next_day":
            until = next_business_morning(now, calendar, tz)
        elif choice == "tomorrow":
            until = tomorrow_at(now, tz)
        elif isinstance(choice, date):
            if choice <= now.astimezone(tz).date():
                return TaskOutcome(False, "Pick a day after today.")
            if choice > now.astimezone(tz).date() + MAX_AHEAD:
                return TaskOutcome(False, "Pick a day within a year.")
            until = opening_on(choice, calendar, tz)
        else:
            return TaskOutcome(False, "That choice is out of date: use the card's menu again.")
        return self.reschedule(task_id, user_id, until)

    def stop(self, lead_id: int, user_id: str) -> TaskOutcome:
        """A manager ends a lead's follow-up from its card: its open tasks are cancelled."""
        if not self.config.can_manage(user_id):
            return TaskOutcome(False, "Only managers can stop a lead's follow-up.")
        now = self.clock.now()
        with self.db.write() as session:
            lead = session.get(Lead, lead_id, with_for_update=True)
            name = active_cadence(session, lead_id) if lead is not None else None
            if lead is None or name is None:
                return TaskOutcome(False, f"No follow-up is running for lead #{lead_id}.")
            by = self.config.display_name(user_id)
            stop_cadence(session, lead, name, LeadOutcome.STOPPED, now, by=user_id,
                         note=f"stopped by {by}")  # fmt: skip
        self.wake()
        return TaskOutcome(True, f"The follow-up of lead #{lead_id} is stopped.")

    def agenda_of(self, user_id: str) -> RepAgenda:
        """The rep's agenda now (the App Home's follow-up list)."""
        with self.db.read() as session:
            return self.agenda.today(session, user_id, self.clock.now())

    def today(self, user_id: str) -> tuple[str, list[Any]]:
        """`/leads today`: the rep's agenda now."""
        return agenda_answer(self.agenda, user_id, self.clock.now())

    def describe(self, task_id: int) -> str:
        """A line naming the task, for its forms: "Day 4 of 6 · 📞 Call · Jane Doe"."""
        with self.db.read() as session:
            task = session.get(Task, task_id)
            lead = session.get(Lead, task.lead_id) if task is not None else None
            if task is None or lead is None:
                return f"task {task_id}"
            return f"Day {task.day} of {task.steps} · {lead.name or lead.email or 'a lead'}"

    def earliest_day(self, user_id: str) -> date:
        return self.clock.now().astimezone(self.config.tz_for(user_id)).date() + timedelta(days=1)

    def _open_task(
        self, session: Session, task_id: int, user_id: str
    ) -> tuple[Task | None, Lead | None, str | None]:
        task = session.get(Task, task_id, with_for_update=True, populate_existing=True)
        if task is None:
            return None, None, f"Task {task_id} does not exist (any more)."
        if task.status != TaskStatus.OPEN:
            by = f" by <@{task.done_by}>" if task.done_by else ""
            return task, None, f"This task is {task.status} already{by}: nothing to change."
        if user_id != task.owner_id and not self.config.can_manage(user_id):
            return task, None, f"Only <@{task.owner_id}> or a manager can act on this task."
        lead = session.get(Lead, task.lead_id, with_for_update=True, populate_existing=True)
        if lead is None:
            return task, None, f"Lead #{task.lead_id} does not exist (any more)."
        return task, lead, None

    def _close(
        self,
        session: Session,
        task: Task,
        lead: Lead,
        user_id: str,
        now: datetime,
        status: TaskStatus,
        *,
        result: str | None = None,
        note: str | None = None,
    ) -> None:
        task.status, task.result, task.note = status, result, note
        task.done_at, task.done_by = now, user_id
        task.next_action_at = None
        task.version += 1
        kind = EventKind.TASK_DONE if status == TaskStatus.DONE else EventKind.TASK_SKIPPED
        detail = {"result": result} if result else {"reason": note}
        add_event(session, lead, user_id, kind, now, task=task.id, step=task.step, **detail)
        if task.card_ts is not None:
            enqueue_task_redraws(session, [task.id], now)

    def _advance(
        self, session: Session, task: Task, lead: Lead, now: datetime, outcome: LeadOutcome | None
    ) -> None:
        """End the cadence after its final step, else plan the next step; an outcome the
        cadence stops on was handled already (the contact hook stopped it)."""
        cadence = self.config.cadences.get(task.cadence or "")
        if task.cadence is None or cadence is None:
            return
        if outcome is not None and stops(cadence, outcome):
            return
        if task.final:
            stop_cadence(session, lead, task.cadence, LeadOutcome.NO_RESPONSE, now)
        elif lead.status != LeadStatus.CLOSED:
            self.planner.plan_next(session, task, lead, now)
