"""The sweep: due leads -> execute the due step under a guard -> plan the next one.

APScheduler only ticks this; the timers are `leads.next_action_at`. Each step runs under a
conditional UPDATE on `escalation_step` (the fencing value): a stale or duplicate tick, a second
process, or a claim that committed first makes the UPDATE match nothing, and nothing is sent.
On PostgreSQL several sweepers share the due rows with `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.config.schema import Config
from bot.delivery.outbox import enqueue_card_updates_for
from bot.durations import format_duration
from bot.escalation.actions import run_actions
from bot.escalation.context import ActionContext, AnyLead
from bot.escalation.due import BATCH, DueLead, take_due, write_advanced
from bot.escalation.held import release_held_nudges
from bot.escalation.policy import ChainStep, next_step
from bot.escalation.words import StepWords
from bot.hours import BusinessCalendar
from bot.services import Deps, WithDeps
from bot.vocabulary import Action, EventKind, LeadStatus
from storage.bulk import collected
from storage.models import Lead

log = logging.getLogger(__name__)
__all__ = ["BATCH", "Escalator", "SweepResult", "chain_of", "plan_next"]
# What a step may do on the tick's rows: say something. The others change the lead's owner or
# status, and run on the ORM `Lead`.
CHANGES_NOTHING = frozenset(
    {Action.REMIND_OWNER, Action.NOTIFY_MANAGER, Action.NOTIFY_CHANNEL, Action.QUEUE_REMINDER}
)
CATCH_UP_LATE = timedelta(minutes=1)  # a step this late was missed (leadbot was down)
CATCH_UP_GAP = timedelta(seconds=30)  # between overdue steps: each reaches its person first


@dataclass(frozen=True)
class SweepResult:
    steps: int = 0
    breaches: int = 0
    held_delivered: int = 0


@dataclass
class _Tally:
    """What a tick did: its steps and breaches, and the leads whose cards must redraw."""

    steps: int = 0
    breaches: int = 0
    leads: dict[int, None] = field(default_factory=dict)  # in order, each once

    def count(self, lead_id: int, steps: int, breaches: int) -> None:
        self.steps += steps
        self.breaches += breaches
        if steps or breaches:
            self.leads[lead_id] = None

    @property
    def touched(self) -> list[int]:
        return list(self.leads)


def plan_next(
    lead: AnyLead,
    config: Config,
    calendar: BusinessCalendar | None,
    chain: Sequence[ChainStep] | None = None,
) -> datetime | None:
    """The next moment the sweep must look at this lead: its next step or its SLA breach.
    `chain`: the lead's chain, parsed already (`chain_of`)."""
    if lead.status not in LeadStatus.OPEN:
        return None
    moments: list[datetime] = []
    upcoming = _next_step(lead, config, calendar, chain)
    if upcoming is not None:
        moments.append(upcoming[1])
    if lead.sla_due_at is not None and lead.sla_breached_at is None:
        moments.append(as_utc(lead.sla_due_at))
    return min(moments) if moments else None


def chain_of(lead: AnyLead) -> Sequence[ChainStep]:
    if isinstance(lead, DueLead):
        return lead.steps  # parsed by the tick's read, once per distinct snapshot
    return [ChainStep.from_json(step) for step in lead.chain or []]


def _next_step(
    lead: AnyLead,
    config: Config,
    calendar: BusinessCalendar | None,
    chain: Sequence[ChainStep] | None = None,
) -> tuple[int, datetime] | None:
    if lead.escalation_started_at is None:
        return None
    chain = chain_of(lead) if chain is None else chain
    snoozed = as_utc(lead.snoozed_until) if lead.snoozed_until else None
    started = as_utc(lead.escalation_started_at)
    return next_step(
        chain, lead.escalation_step, started, calendar, snoozed, config.snooze.max_delay
    )


def _changes_lead(
    chain: Sequence[ChainStep], upcoming: tuple[int, datetime] | None, now: datetime
) -> bool:
    """Whether the step due now changes the lead's owner or status."""
    if upcoming is None or upcoming[1] > now:
        return False
    return not CHANGES_NOTHING.issuperset(chain[upcoming[0]].actions)


class Escalator(WithDeps):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.words = StepWords(deps.config)

    def sweep(self) -> SweepResult:
        """Run every due lead's due steps, once each. The tick reads its leads as rows
        (`escalation/due.py`) and runs the steps that only say something on them, written back
        in one statement; a step that changes the lead's owner or status (the queue, a
        reassignment, a backup) runs on the ORM `Lead` after that, in the same transaction."""
        now = self.clock.now()
        postgres = not self.db.is_sqlite
        # One flush at the end instead of one per query: the tick's cost is per-lead overhead.
        with self.db.write() as session, session.no_autoflush:
            ctx, tally = self._context(session, now), _Tally()
            handed: list[int] = []
            due = take_due(session, now, lock=postgres)
            with collected(session):  # the events and messages: one INSERT per table
                for lead in due:
                    if self._advance(ctx, lead, tally):
                        handed.append(lead.id)
            write_advanced(session, due, postgres=postgres)
            with collected(session):
                for full in self._leads(session, handed):
                    full.version += 1  # the lock is the guard; the bump fences older clicks
                    ctx.announced.discard(full.id)  # its owner or status changes: redraw now
                    self._advance(ctx, full, tally)
            session.flush()
            # A lead whose step sent a message now has its cards redrawn once that message is
            # delivered (bot/delivery/log.py): the card then says only what went out, and the
            # tick writes one row a lead instead of one a copy.
            redraw_now = [lead_id for lead_id in tally.touched if lead_id not in ctx.announced]
            enqueue_card_updates_for(session, redraw_now, now)
            held = release_held_nudges(ctx)
        result = SweepResult(tally.steps, tally.breaches, held)
        if tally.steps or tally.breaches or held:
            self.wake()
        return result

    @staticmethod
    def _leads(session: Session, ids: list[int]) -> list[Lead]:
        if not ids:
            return []
        return list(session.scalars(select(Lead).where(Lead.id.in_(ids)).order_by(Lead.id)))

    def _context(self, session: Session, now: datetime) -> ActionContext:
        return ActionContext(
            session, self.config, self.calendar, self.words, now, crm=self.deps.crm
        )

    def _advance(self, ctx: ActionContext, lead: AnyLead, tally: _Tally) -> bool:
        """Run the steps of this lead that are due by now, each once, in order. Steps overdue
        after downtime go one at a time, CATCH_UP_GAP apart: run back to back, a later step
        (a reassignment, the queue) would overtake the reminder an earlier one just wrote, and
        that reminder would be dropped unsent while the card said it went out. A `DueLead` (the
        tick's row) stops at a step that changes the lead and returns True: that step and the
        rest are the ORM path's."""
        if lead.status not in LeadStatus.OPEN:
            lead.next_action_at = None  # a timer left on a finished lead: clear it
            return False
        rows = isinstance(lead, DueLead)
        if rows:
            lead.bump = True
        now = ctx.now
        chain = chain_of(lead)  # a lead's chain is a snapshot: parsed once, not per question
        for _ in range(len(chain) + 2):
            due_at = lead.next_action_at
            if due_at is None or as_utc(due_at) > now or lead.status not in LeadStatus.OPEN:
                break
            upcoming = _next_step(lead, self.config, self.calendar, chain)
            if rows and _changes_lead(chain, upcoming, now):
                return True
            step_due = upcoming[1] if upcoming is not None else as_utc(due_at)
            breached = self._note_breach(ctx, lead)
            ran = self._run_due_step(ctx, lead, upcoming, chain)
            tally.count(lead.id, ran, breached)
            lead.next_action_at = plan_next(lead, self.config, self.calendar, chain)
            following = lead.next_action_at
            late = now - step_due > CATCH_UP_LATE
            if late and following is not None and as_utc(following) <= now + CATCH_UP_GAP:
                lead.next_action_at = now + CATCH_UP_GAP
                break
        return False

    @staticmethod
    def _note_breach(ctx: ActionContext, lead: AnyLead) -> int:
        if lead.sla_breached_at is not None or lead.sla_due_at is None:
            return 0
        if as_utc(lead.sla_due_at) > ctx.now:
            return 0
        lead.sla_breached_at = ctx.now
        ctx.event(lead, EventKind.SLA_BREACHED)
        return 1

    def _run_due_step(
        self,
        ctx: ActionContext,
        lead: AnyLead,
        upcoming: tuple[int, datetime] | None,
        chain: Sequence[ChainStep],
    ) -> int:
        if upcoming is None or upcoming[1] > ctx.now:
            return 0
        index, due = upcoming
        late = ctx.now - due
        if late > self.config.escalation.catch_up:
            log.warning(
                "lead %s: step %s is %s late (after a restart?); running it once now",
                lead.id,
                index + 1,
                format_duration(late),
            )
        if index > lead.escalation_step:
            skipped = list(range(lead.escalation_step + 1, index + 1))
            log.info(
                "lead %s: snoozed reminders %s overtaken by step %s", lead.id, skipped, index + 1
            )
        step = chain[index]
        lead.escalation_step = index + 1
        run_actions(ctx, lead, step, index + 1)
        return 1
