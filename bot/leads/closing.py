"""Closing a lead with its outcome: won (with an amount) or lost (with a reason). Either ends
the lead's follow-up, drops the nudges still waiting about it and redraws its cards. "Not a
fit" closes a lead too, as a logged contact (bot/leads/contact.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from bot.delivery.outbox import cancel_pending_messages, enqueue_card_updates
from bot.leads.events import add_event
from bot.leads.records import change_if_unchanged, locked_lead, refuse_owner_action
from bot.leads.service import Outcome
from bot.services import WithDeps
from bot.vocabulary import EventKind, LeadOutcome, LeadStatus
from storage.models import Lead

MAX_AMOUNT = Decimal("999999999999.99")  # the column's Numeric(14, 2)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Closing:
    """What the closer said: `amount` for a win, `reason` (one of followup.lost_reasons) for a
    loss, and a note for either."""

    outcome: LeadOutcome
    amount: Decimal | None = None
    reason: str | None = None
    note: str | None = None


def amount_refusal(amount: Decimal) -> str | None:
    """Why `amount` cannot be a won lead's amount (None: it can)."""
    if not amount.is_finite() or amount < 0:
        return "Enter the amount as a number, 0 or more."
    if amount > MAX_AMOUNT:
        return f"That is more than leadbot can store ({MAX_AMOUNT:,})."
    if amount != amount.quantize(CENT):
        return "Enter the amount in whole cents at most (e.g. 12500 or 12500.50)."
    return None


def parse_amount(typed: object) -> Decimal | str:
    """The amount a person typed ("12500", "12,500.50"), or why it cannot be one."""
    if not isinstance(typed, str) or not typed.strip() or len(typed) > 40:
        return "Enter the amount won."
    try:
        amount = Decimal(typed.strip().replace(",", ""))
    except InvalidOperation:
        return f"'{typed.strip()[:20]}' is not a number."
    return amount_refusal(amount) or amount


class LeadClosing(WithDeps):
    def close(self, lead_id: int, user_id: str, closing: Closing) -> Outcome:
        """The owner or a manager closes an open or claimed lead with its outcome."""
        refusal = self._input_refusal(closing)
        if refusal:
            return Outcome(False, refusal)
        now = self.clock.now()
        with self.db.write() as session:
            lead = locked_lead(session, lead_id)
            refusal = refuse_owner_action(
                self.config, lead, lead_id, user_id, "close", claimed_too=True
            )
            if refusal or lead is None:
                return Outcome(False, refusal or "")
            if not self._record(session, lead, user_id, closing, now):
                return Outcome(False, "Someone else changed this lead a moment ago; try again.")
        self.wake()
        return Outcome(True, lead=lead)

    def refusal(self, lead_id: int, user_id: str) -> str | None:
        """Why `user_id` may not close the lead now (None: they may): asked before the modal."""
        with self.db.read() as session:
            lead = session.get(Lead, lead_id)
            return refuse_owner_action(
                self.config, lead, lead_id, user_id, "close", claimed_too=True
            )

    def _input_refusal(self, closing: Closing) -> str | None:
        if closing.outcome == LeadOutcome.WON:
            if closing.amount is None:
                return "Enter the amount won."
            return amount_refusal(closing.amount)
        if closing.outcome == LeadOutcome.LOST:
            if closing.reason not in self.config.followup.lost_reasons:
                return "Pick one of the reasons in the list."
            return None
        return f"'{closing.outcome}' is not a way to close a lead here (won or lost)."

    def _record(
        self, session: Session, lead: Lead, user_id: str, closing: Closing, now: datetime
    ) -> bool:
        closed = change_if_unchanged(
            session,
            lead,
            status=LeadStatus.CLOSED,
            closed_at=now,
            next_action_at=None,
            snoozed_until=None,
            snoozed_by=None,
            outcome=str(closing.outcome),
            outcome_amount=closing.amount,
            outcome_reason=closing.reason,
            outcome_note=closing.note,
        )
        if not closed:
            return False
        cancel_pending_messages(session, lead.id, now)
        detail: dict[str, object] = {"outcome": str(closing.outcome), "reason": closing.reason}
        if closing.amount is not None:
            detail["amount"] = str(closing.amount)
        add_event(session, lead, user_id, EventKind.CLOSED, now, **detail)
        self.deps.followup.closed(session, lead, closing.outcome, user_id, now)
        enqueue_card_updates(session, lead.id, now)
        return True
