"""Log contact: the rep says they reached the lead (call, email, ...). The first contact stops
the speed-to-lead clock; logging on a lead nobody has claimed yet claims it too, since whoever
reached the lead is working it. "Not a fit" closes the lead."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.delivery.outbox import enqueue_card_updates
from bot.leads.events import add_event
from bot.leads.records import locked_lead, record_claim
from bot.leads.service import Outcome
from bot.services import WithDeps
from bot.vocabulary import CLOSING_OUTCOMES, CONTACT_LABELS, EventKind, LeadStatus, outcome_label
from storage.followup import Task
from storage.models import Lead


class ContactLog(WithDeps):
    def log(self, lead_id: int, user_id: str, outcome: str) -> Outcome:
        if outcome not in CONTACT_LABELS:
            known = ", ".join(CONTACT_LABELS)
            return Outcome(False, f"'{outcome[:40]}' is not a contact outcome (known: {known}).")
        now = self.clock.now()
        with self.db.write() as session:
            # A contact happened whatever else is going on: two logged at once (the rep's own
            # double click, a manager's) wait in turn instead of one being refused.
            lead = locked_lead(session, lead_id)
            refusal = self.refusal(lead, lead_id, user_id)
            if refusal or lead is None:
                return Outcome(False, refusal or "")
            if not self._record(session, lead, user_id, outcome, now):
                return Outcome(False, "Someone else changed this lead a moment ago; try again.")
            enqueue_card_updates(session, lead.id, now)
        self.wake()
        return Outcome(True, lead=lead)

    def refusal(self, lead: Lead | None, lead_id: int, user_id: str) -> str | None:
        """Why `user_id` may not log a contact here (None: they may). The owner or a manager may;
        a lead in the shared queue, whoever may claim it."""
        if lead is None:
            return f"Lead #{lead_id} does not exist (any more)."
        if lead.status == LeadStatus.CLOSED:
            why = (
                f" ({outcome_label(lead.last_contact_outcome)})"
                if lead.last_contact_outcome
                else ""
            )
            return f"Lead #{lead_id} is closed{why}: nothing more to log."
        if self.config.can_manage(user_id) or lead.owner_id == user_id:
            return None
        if lead.status == LeadStatus.QUEUED and (
            self.config.is_known(user_id) or self.config.queue.open_to_all
        ):
            return None
        owner = f"<@{lead.owner_id}>" if lead.owner_id else "the shared queue"
        return (
            f"Only the lead's owner ({owner}) or a manager can log a contact for lead #{lead_id}."
        )

    def _record(
        self, session: Session, lead: Lead, user_id: str, outcome: str, now: datetime
    ) -> bool:
        return self.record_in(session, lead, user_id, outcome, now)

    def record_in(
        self,
        session: Session,
        lead: Lead,
        user_id: str,
        outcome: str,
        now: datetime,
        task: Task | None = None,
        detail: dict[str, Any] | None = None,
    ) -> bool:
        """Record a contact in `session`'s transaction (the lead row read, ideally locked);
        `task`: the follow-up task whose Done reported it; `detail`: kept with the touch (a
        CRM's activity, bot/followup/crm_touch.py). False: the lead changed meanwhile."""
        values = self._contact_values(lead, user_id, outcome, now)
        claims = lead.status in LeadStatus.OPEN
        if claims:
            values.update(status=LeadStatus.CLAIMED, claimed_by=user_id, claimed_at=now)
            values.update(owner_id=user_id)
        if outcome in CLOSING_OUTCOMES:
            values.update(status=LeadStatus.CLOSED, closed_at=now, next_action_at=None)
            values.update(outcome=outcome)  # not_a_fit: a contact outcome and a lead outcome
        # Conditional on the version read, although the row is locked: a guard costs nothing.
        changed = session.execute(
            update(Lead)
            .where(Lead.id == lead.id, Lead.version == lead.version)
            .values(version=Lead.version + 1, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            return False
        session.refresh(lead)
        if claims:
            record_claim(session, lead, user_id, now, self.calendar, via="contact")
            self.deps.followup.claimed(session, lead, user_id, now)
            self.deps.crm.owner_changed(session, lead, user_id, now)
        first = lead.contact_count == 1
        add_event(session, lead, user_id, EventKind.CONTACTED, now, outcome=outcome, first=first)
        if outcome in CLOSING_OUTCOMES:
            add_event(
                session, lead, user_id, EventKind.CLOSED, now, reason=outcome, outcome=outcome
            )
        self.deps.followup.contacted(session, lead, user_id, outcome, now, first, task, detail)
        return True

    @staticmethod
    def _contact_values(lead: Lead, user_id: str, outcome: str, now: datetime) -> dict[str, object]:
        values: dict[str, object] = {
            "last_contact_at": now,
            "last_contact_outcome": outcome,
            "contact_count": (lead.contact_count or 0) + 1,
        }
        if lead.first_contact_at is None:
            waited = (now - as_utc(lead.received_at)).total_seconds()
            values.update(
                first_contact_at=now, first_contact_by=user_id, first_contact_wait_seconds=waited
            )
        return values
