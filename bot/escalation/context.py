"""What an escalation action works with (`ActionContext`: the sweep's transaction, the config,
the moment, the words it says about a lead: bot/escalation/words.py); shared by the actions and
the held reminders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config.schema import Config
from bot.delivery.alerts import tell_admins
from bot.delivery.outbox import enqueue_message
from bot.escalation.due import DueLead
from bot.escalation.words import StepWords
from bot.hours import BusinessCalendar
from bot.leads.events import LEADBOT, add_event
from bot.leads.quiet import quiet_until
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
    words: StepWords
    now: datetime
    crm: CrmHooks = NO_CRM  # a hand-over by the chain is written back to the lead's CRM
    # Leads whose step sent a message that redraws their cards once delivered (the tick's
    # own redraw is then not needed).
    announced: set[int] = field(default_factory=set)
    # (person, tier) -> the end of their quiet hours, for this moment: a tick asks it of the
    # same few reps for every lead.
    _quiet: dict[tuple[str, str], datetime | None] = field(default_factory=dict)

    def quiet_until(self, person: str, tier: str) -> datetime | None:
        """When a message about a lead of `tier` may reach `person` (None: now)."""
        key = (person, tier)
        if key not in self._quiet:
            self._quiet[key] = quiet_until(self.config, person, self.now, tier)
        return self._quiet[key]

    def event(self, lead: AnyLead, kind: EventKind, **detail: object) -> None:
        add_event(self.session, lead, LEADBOT, kind, self.now, **detail)

    def send(
        self,
        lead: AnyLead,
        kind: CopyKind,
        target: str,
        say: tuple[str, dict[str, object]],
        buttons: tuple[str, ...],
        guard: dict[str, object],
        *,
        suffix: str = "",
        not_before: datetime | None = None,
    ) -> None:
        """A step's message about `lead`: the template `say` names (with its extras), drawn
        when the message is sent (bot/escalation/words.py), and `suffix` after it. One that
        goes now redraws the lead's cards once it is delivered, so the tick need not
        (`announced`); one held for quiet hours does not."""
        goes_now = not_before is None or not_before <= self.now
        template, extra = say
        enqueue_message(
            self.session,
            lead.id,
            kind,
            target,
            self.now,
            text=suffix,
            say={"template": template, "extra": extra, "owner": lead.owner_id},
            buttons=buttons,
            guard=guard,
            not_before=not_before,
            redraw=goes_now,
        )
        if goes_now:
            self.announced.add(lead.id)

    def say(self, template: str, lead: AnyLead, **extra: object) -> str:
        """A template's words about this lead, now (the built-in words if the admin's fail, and
        then the admins hear about it). A message that goes now is drawn when it is sent
        instead (`send`'s `say`): only a reminder held for quiet hours keeps its words."""
        text, problem = self.words.say(template, lead, self.now, lead.owner_id, **extra)
        if problem is not None:
            tell_admins(self.session, self.config, lead.id, problem, self.now)
        return text
