"""What an escalation action works with (`ActionContext`: the sweep's transaction, the config,
the moment) and the words it says about a lead; shared by the actions and the held reminders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from blocks.mrkdwn import escape_truncated, literal_truncated, user
from bot.clock import as_utc
from bot.config.schema import Config
from bot.delivery.alerts import tell_admins
from bot.delivery.outbox import enqueue_message
from bot.durations import format_duration
from bot.escalation.due import DueLead
from bot.escalation.templates import Mrkdwn, TemplateRenderer
from bot.hours import BusinessCalendar
from bot.leads.events import LEADBOT, add_event
from bot.services import NO_CRM, CrmHooks
from bot.vocabulary import CopyKind, EventKind
from storage.models import Lead

# The lead a step works on: the sweep's row (`DueLead`) for the steps that only say something,
# the ORM `Lead` for those that change it (bot/escalation/sweep.py).
AnyLead = Lead | DueLead
CLAIM = ("claim",)
CLAIM_SNOOZE = ("claim", "snooze")


@dataclass(frozen=True)
class ActionContext:
    session: Session
    config: Config
    calendar: BusinessCalendar | None
    templates: TemplateRenderer
    now: datetime
    crm: CrmHooks = NO_CRM  # a hand-over by the chain is written back to the lead's CRM
    # Leads whose step sent a message that redraws their cards once delivered (the tick's
    # own redraw is then not needed).
    announced: set[int] = field(default_factory=set)

    def event(self, lead: AnyLead, kind: EventKind, **detail: object) -> None:
        add_event(self.session, lead, LEADBOT, kind, self.now, **detail)

    def send(
        self,
        lead: AnyLead,
        kind: CopyKind,
        target: str,
        text: str,
        buttons: tuple[str, ...],
        guard: dict[str, object],
        *,
        not_before: datetime | None = None,
    ) -> None:
        """A step's message about `lead`. One that goes now redraws the lead's cards once it
        is delivered, so the tick need not (`announced`); one held for quiet hours does not."""
        goes_now = not_before is None or not_before <= self.now
        enqueue_message(
            self.session,
            lead.id,
            kind,
            target,
            self.now,
            text=text,
            buttons=buttons,
            guard=guard,
            not_before=not_before,
            redraw=goes_now,
        )
        if goes_now:
            self.announced.add(lead.id)

    def say(self, template: str, lead: AnyLead, **extra: object) -> str:
        """A template's words about this lead (the built-in words if the admin's fail, and then
        the admins hear about it)."""

        def failed(problem: str) -> None:
            text = (
                f"⚠️ The template `{template}` in leadbot.yml failed for lead #{lead.id} "
                f"({escape_truncated(problem, 300)}): leadbot used its built-in words. "
                "Fix the template, then check it with `leadbot config check`."
            )
            tell_admins(self.session, self.config, lead.id, text, self.now)

        values = self.words(lead, **extra)
        return self.templates.render(template, about=lead.id, on_failure=failed, **values)

    def words(self, lead: AnyLead, **extra: object) -> dict[str, object]:
        """Template variables; lead-supplied text is escaped by the renderer's finalize."""
        tier = self.config.tier(lead.tier)
        sla = format_duration(tier.respond_within) if tier else "?"
        label = lead.name or lead.email or lead.phone or "a lead"
        company = f" ({literal_truncated(lead.company, 200)})" if lead.company else ""
        owner = Mrkdwn(user(lead.owner_id)) if lead.owner_id else "nobody"
        return {
            "lead": Mrkdwn(f"*{literal_truncated(label, 200)}*{company} #{lead.id}"),
            "owner": owner,
            "waited": format_duration(self.now - as_utc(lead.received_at)),
            "sla": sla,
            "tier": lead.tier,
            "overdue": lead.sla_due_at is not None and as_utc(lead.sla_due_at) <= self.now,
            **extra,
        }
