"""The words of an escalation step's message about a lead: leadbot.yml's template (Jinja2 in
the sandbox) filled in with the lead's values at the step's moment.

A step's message that goes now is queued with its template's name, its extras and the lead's
owner at the step (the outbox payload's "say") and drawn here when it is sent
(bot/delivery/plan.py), outside the sweep's write transaction, as a task card is: the tick
holds the write lock for less. Its moment is the row's `created_at`, the step's own, so the
words ("waited 31m") are those of the step. A template that fails on a lead costs only its
words: the built-in words go out, and the admins are told (`problem`, at most once an hour per
template, by the delivery log)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from blocks.mrkdwn import escape_truncated, literal_truncated, user
from bot.clock import as_utc
from bot.config.schema import Config
from bot.delivery.alerts import tell_admins
from bot.durations import format_duration
from bot.escalation.templates import Mrkdwn, TemplateRenderer

if TYPE_CHECKING:
    from bot.escalation.due import DueLead
    from storage.models import Lead


class StepWords:
    def __init__(self, config: Config, templates: TemplateRenderer | None = None) -> None:
        self.config = config
        self.templates = templates or TemplateRenderer(config.templates)

    def values(
        self, lead: Lead | DueLead, now: datetime, owner_id: str | None, **extra: object
    ) -> dict[str, object]:
        """Template variables; lead-supplied text is escaped by the renderer's finalize.
        `owner_id`: the lead's owner at the step (a step may move it: the manager's alert is
        drawn after its lead went to the queue)."""
        tier = self.config.tier(lead.tier)
        sla = format_duration(tier.respond_within) if tier else "?"
        label = lead.name or lead.email or lead.phone or "a lead"
        company = f" ({literal_truncated(lead.company, 200)})" if lead.company else ""
        owner = Mrkdwn(user(owner_id)) if owner_id else "nobody"
        return {
            "lead": Mrkdwn(f"*{literal_truncated(label, 200)}*{company} #{lead.id}"),
            "owner": owner,
            "waited": format_duration(now - as_utc(lead.received_at)),
            "sla": sla,
            "tier": lead.tier,
            "overdue": lead.sla_due_at is not None and as_utc(lead.sla_due_at) <= now,
            **extra,
        }

    def say(
        self,
        template: str,
        lead: Lead | DueLead,
        now: datetime,
        owner_id: str | None,
        **extra: object,
    ) -> tuple[str, str | None]:
        """The words, and the admins' alert when the admin's template failed (the built-in
        words are used then; told at most once an hour per template)."""
        told: list[str] = []

        def failed(problem: str) -> None:
            told.append(
                f"⚠️ The template `{template}` in leadbot.yml failed for lead #{lead.id} "
                f"({escape_truncated(problem, 300)}): leadbot used its built-in words. "
                "Fix the template, then check it with `leadbot config check`."
            )

        values = self.values(lead, now, owner_id, **extra)
        text = self.templates.render(template, about=lead.id, on_failure=failed, **values)
        return text, (told[0] if told else None)

    def tell(self, session: Session, lead_id: int | None, alert: str, now: datetime) -> None:
        """The admins hear of a template that failed (the delivery log, once its message is
        sent in the built-in words)."""
        tell_admins(session, self.config, lead_id, alert, now)

    def drawn(self, said: Mapping[str, Any], lead: Lead, at: datetime) -> tuple[str, str | None]:
        """A queued step message's words (its payload's "say"), at the step's moment `at`."""
        extra, owner = said.get("extra") or {}, said.get("owner")
        return self.say(str(said.get("template", "")), lead, at, owner, **dict(extra))
