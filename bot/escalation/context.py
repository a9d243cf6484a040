"""What an escalation action works with (`ActionContext`: the sweep's transaction, the config,
the moment) and the words it says about a lead; shared by the actions and the held reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from blocks.mrkdwn import escape_truncated, literal_truncated, user
from bot.clock import as_utc
from bot.config.schema import Config
from bot.delivery.alerts import tell_admins
from bot.durations import format_duration
from bot.escalation.templates import Mrkdwn, TemplateRenderer
from bot.hours import BusinessCalendar
from bot.leads.events import LEADBOT, add_event
from bot.services import NO_CRM, CrmHooks
from bot.vocabulary import EventKind
from storage.models import Lead

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

    def event(self, lead: Lead, kind: EventKind, **detail: object) -> None:
        add_event(self.session, lead, LEADBOT, kind, self.now, **detail)

    def say(self, template: str, lead: Lead, **extra: object) -> str:
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

    def words(self, lead: Lead, **extra: object) -> dict[str, object]:
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
