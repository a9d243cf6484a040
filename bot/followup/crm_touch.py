"""A call, an email or a meeting logged in the CRM, logged in leadbot as the rep's own touch
(bot/sources/activity.py reads them from the CRM's payloads), so a rep who works in the CRM is
not nudged for work they did. It does what the rep's own clicks would:

- the contact is logged as the card's Log contact logs it (`ContactLog.record_in`): the first
  one stops the speed-to-lead clock and the first-contact SLA, claims a lead nobody claimed for
  the rep, and a meeting stops the cadence on its goal;
- the lead's open cadence task is Done (`TaskService.complete_in`) and the next step planned,
  when the touch is that task's work: its channels include the touch's, it is due by the end
  of the rep's day, and it was planned before the touch (or by the claim the touch made). A
  touch ahead of the plan is logged without moving it, as the card's Log contact would be;
- every copy of the card is redrawn.

The lead's own email (HubSpot's INCOMING_EMAIL) is their reply, logged as the task card's
"They replied" is: the cadence stops if it stops on replies, and no task is done by it. A lead
who writes before anyone contacted them is not a reply: the speed-to-lead clock keeps running
for the rep's first contact, and the email is answered ignored.

Exactly once: the touch keeps `{"crm", "activity_id", "activity"}` in its detail, and, under the
lead's row lock, a lead's touches (a handful; index ix_touches_lead_at) are looked through for
the same activity first: the CRM's retries log nothing twice. Its time is the activity's own,
never before the lead arrived nor after now. The touch does not carry the task's template: the
rep wrote in the CRM, so the template ranking is not credited with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.delivery.outbox import enqueue_card_updates
from bot.followup.tasks import TaskService
from bot.leads.contact import ContactLog
from bot.services import Deps, WithDeps
from bot.vocabulary import LeadStatus, TaskResult, TaskStatus
from storage.followup import Task, Touch
from storage.models import Lead

CRM_NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce"}


@dataclass(frozen=True)
class CrmTouch:
    crm: str  # hubspot | salesforce
    activity_id: str  # the CRM's id of the call, email, meeting or Task
    kind: str  # call | email | meeting
    result: str  # the contact outcome (call, call_connected, email_sent, meeting, …)
    contact: str  # the CRM's id of the contact: the lead's external id
    owner: str | None  # what names the rep (an email)
    owner_said: str  # how the CRM names its owner, for the words
    at: datetime | None  # when it happened, as the CRM says


@dataclass(frozen=True)
class Touched:
    outcome: str  # logged | duplicate | ignored
    lead_id: int | None = None
    why: str = ""  # for `ignored`: plain words, no email or phone


class CrmTouches(WithDeps):
    def __init__(self, deps: Deps, tasks: TaskService | None = None) -> None:
        super().__init__(deps)
        self.tasks = tasks or TaskService(deps)
        self.contacts: ContactLog = self.tasks.contacts

    def log(self, touch: CrmTouch) -> Touched:
        now = self.clock.now()
        rep = self.config.rep_for(touch.owner) if touch.owner else None
        with self.db.write() as session:
            found = self._lead_of(session, touch)
            if found is None:
                crm = CRM_NAMES.get(touch.crm, touch.crm)
                return Touched("ignored", why=f"no lead for the {crm} contact {touch.contact}")
            lead_id, received_at = found
            if rep is None:
                return Touched("ignored", lead_id, f"the {touch.kind} {touch.activity_id}'s "
                               f"owner ({touch.owner_said}) is not a leadbot rep")  # fmt: skip
            at = _clamp(touch.at, as_utc(received_at), now)
            planned = self._current_task(session, lead_id)
            if planned is not None:  # the card's Done locks the task, then the lead: same order
                session.get(Task, planned.id, with_for_update=True, populate_existing=True)
            lead = session.get(Lead, lead_id, with_for_update=True, populate_existing=True)
            if lead is None:
                return Touched("ignored", why=f"lead #{lead_id} was deleted meanwhile")
            if _seen(session, lead.id, touch):
                return Touched("duplicate", lead.id)
            refusal = self.contacts.refusal(lead, lead.id, rep)
            if refusal:
                return Touched("ignored", lead.id, refusal)
            if touch.result == TaskResult.REPLIED and lead.first_contact_at is None:
                return Touched("ignored", lead.id, f"the {touch.kind} {touch.activity_id} came "
                               "from the lead before anyone contacted them: no reply to log, "
                               "the first contact is still the rep's")  # fmt: skip
            if not self._record(session, lead, rep, touch, at, now, planned):
                return Touched("ignored", lead.id, "the lead changed meanwhile")
        self.wake()
        return Touched("logged", lead_id)

    def _record(self, session: Session, lead: Lead, rep: str, touch: CrmTouch, at: datetime,
                now: datetime, planned: Task | None) -> bool:  # fmt: skip
        """The contact, then the task it did; False (nothing written) if the lead changed,
        which its row lock rules out."""
        claims = lead.status in LeadStatus.OPEN
        detail: dict[str, Any] = {"crm": touch.crm, "activity_id": touch.activity_id,
                                  "activity": touch.kind}  # fmt: skip
        if not self.contacts.record_in(session, lead, rep, touch.result, at, None, detail):
            return False
        task = self._current_task(session, lead.id)
        planned_id = planned.id if planned is not None else None
        its_work = touch.result != TaskResult.REPLIED  # the lead's reply does no task
        if its_work and task and self._is_its_work(task, touch, at, now, planned_id, claims):
            self.tasks.complete_in(session, task, lead, rep, touch.result, at)
        enqueue_card_updates(session, lead.id, now)
        return True

    def _is_its_work(self, task: Task, touch: CrmTouch, at: datetime, now: datetime,
                     planned: int | None, claimed: bool) -> bool:  # fmt: skip
        """Whether `touch` did `task`: see the module's docstring."""
        if touch.kind not in (task.channels or []):
            return False  # a meeting ended the cadence already (its goal); an email is no call
        cadence = self.config.cadences.get(task.cadence or "")
        by_claim = claimed and cadence is not None and cadence.start == "claim"
        if not by_claim and (task.id != planned or as_utc(task.created_at) > at):
            return False
        tz = self.config.tz_for(task.owner_id)
        return as_utc(task.due_at).astimezone(tz).date() <= now.astimezone(tz).date()

    @staticmethod
    def _current_task(session: Session, lead_id: int) -> Task | None:
        """The open cadence step (one at a time: the next is planned when it is done)."""
        return session.scalars(
            select(Task)
            .where(Task.lead_id == lead_id, Task.status == TaskStatus.OPEN, Task.step >= 1)
            .order_by(Task.step)
            .limit(1)
        ).first()

    def _lead_of(self, session: Session, touch: CrmTouch) -> tuple[int, datetime] | None:
        """The lead the contact became: a lead of one of this CRM's sources whose external id
        is the contact's (Salesforce's 18-character id, or its 15-character form)."""
        sources = [s.lead_source(n) for n, s in self.config.sources.items() if s.kind == touch.crm]
        ids = {touch.contact, touch.contact[:15]} if touch.crm == "salesforce" else {touch.contact}
        row = session.execute(
            select(Lead.id, Lead.received_at)
            .where(Lead.source.in_(sources), Lead.external_id.in_(ids))
            .order_by(Lead.id.desc())
            .limit(1)
        ).first()
        return None if row is None else (int(row[0]), row[1])


def _seen(session: Session, lead_id: int, touch: CrmTouch) -> bool:
    """Whether this activity is a touch of the lead already (a retry from the CRM)."""
    details = session.scalars(select(Touch.detail).where(Touch.lead_id == lead_id)).all()
    return any(isinstance(d, dict) and d.get("crm") == touch.crm
               and d.get("activity_id") == touch.activity_id for d in details)  # fmt: skip


def _clamp(at: datetime | None, earliest: datetime, now: datetime) -> datetime:
    """The activity's own time, never before its lead arrived nor after now (a meeting's
    start, a clock ahead): a touch neither precedes its lead nor comes from tomorrow."""
    if at is None or earliest > now:
        return now
    return max(earliest, min(at, now))
