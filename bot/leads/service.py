"""The lead lifecycle service: receive, claim, pass, reassign, snooze. One transaction per call.

Every state change bumps `Lead.version`, writes a `lead_events` row and queues card updates in
the same transaction; the dispatcher is woken after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config.policy import Tier
from bot.delivery.outbox import enqueue_card_updates, enqueue_post
from bot.escalation.policy import tier_for
from bot.escalation.sweep import plan_next
from bot.leads.events import LEADBOT, add_event, owners_in
from bot.leads.handover import hand_over_claimed
from bot.leads.input import LeadIn, parse_lead
from bot.leads.quiet import quiet_until
from bot.leads.records import (
    by_external_id,
    change_if_unchanged,
    insert_lead,
    locked_lead,
    new_lead,
    not_claimable,
    record_claim,
    refuse_owner_action,
)
from bot.routing.decision import Decision, by_hand, next_after_pass
from bot.routing.match import LeadFacts
from bot.routing.router import PointerTaken, facts_of, route
from bot.services import WithDeps
from bot.vocabulary import CopyKind, EventKind, LeadStatus
from storage.bulk import collected
from storage.models import Lead

ATTEMPTS = 5  # a duplicate or a pointer race: the retry sees the other transaction's result


@dataclass(frozen=True)
class Received:
    lead_id: int
    owner_id: str | None
    reason: str
    created: bool


@dataclass(frozen=True)
class Outcome:
    """What a click achieved; `message` is for the clicker when `ok` is False."""

    ok: bool
    message: str = ""
    lead: Lead | None = None


class LeadService(WithDeps):
    # -- intake ----------------------------------------------------------------------------
    def parse(self, data: object) -> LeadIn:
        """Validate a lead as this config takes it (its tiers, its `intake:` window); raises
        LeadInputError naming every problem."""
        intake = self.config.intake
        tiers = [tier.name for tier in self.config.tiers]
        now = self.clock.now()
        return parse_lead(data, tiers, now=now, max_age=intake.max_age, max_ahead=intake.max_ahead)

    def receive(self, data: LeadIn, actor: str = "intake") -> Received:
        for attempt in range(ATTEMPTS):
            try:
                result = self._receive_once(data, actor)
                break
            except (IntegrityError, PointerTaken):
                # Another request stored the same (source, external_id) first: answer with it.
                # Without one, a concurrent first use of a routing pool collided: try again.
                existing = self._find_existing(data) if data.external_id else None
                if existing is not None:
                    return existing
                if attempt == ATTEMPTS - 1:
                    raise
        if result.created:
            self.wake()
        return result

    def _receive_once(self, data: LeadIn, actor: str) -> Received:
        with self.db.write() as session:
            return self.receive_in(session, data, actor)

    def receive_in(
        self, session: Session, data: LeadIn, actor: str, *, pointer_apart: bool = True
    ) -> Received:
        """Store one lead in `session`'s transaction (or a savepoint of it: `bot/leads/group.py`);
        the caller commits and wakes the dispatcher. `pointer_apart` False: the pool's pointer
        moves in `session`'s transaction too (a bulk import: one commit per chunk, not per lead,
        while live intakes for that pool wait for the chunk)."""
        if data.external_id and (stored := by_external_id(session, data)) is not None:
            return Received(*stored, created=False)
        now = self.clock.now()
        lead, decision = self.place(session, data, now, brief=self.db.has_brief and pointer_apart)
        with collected(session):  # its events and cards: one INSERT per table
            add_event(session, lead, actor, EventKind.RECEIVED, now, source=data.source)
            self._deliver_assignment(session, lead, decision, now)
        return Received(lead.id, lead.owner_id, decision.reason, created=True)

    def _find_existing(self, data: LeadIn) -> Received | None:
        with self.db.read() as session:
            stored = by_external_id(session, data)
        return None if stored is None else Received(*stored, created=False)

    def place(
        self, session: Session, data: LeadIn, now: datetime, *, brief: bool = False
    ) -> tuple[Lead, Decision]:
        """Tier, route and store a new lead (no cards yet). `leadbot route` runs this too, in a
        transaction it rolls back, so its answers are intake's answers. `brief`: move the pool's
        pointer in a transaction of its own, committed at once (see routing.router); never in
        a rehearsal, whose every change must roll back."""
        facts = facts_of(data)
        tier = self.tier_of(facts)
        routed = replace(facts, tier=tier.name)
        decision = route(
            session, self.config, self.calendar, routed, now, brief=self.db.brief if brief else None
        )
        lead = new_lead(data, tier, decision, now, self.config, self.calendar)
        insert_lead(session, lead)
        return lead, decision

    def tier_of(self, facts: LeadFacts) -> Tier:
        """`facts.tier` is the tier the lead arrived with, if any (see `tier_for`)."""
        return tier_for(facts, self.config.tiers, self.config.default_tier)

    def _names(self) -> dict[str, str]:
        return {rep_id: self.config.display_name(rep_id) for rep_id in self.config.rep_ids()}

    def _deliver_assignment(
        self, session: Session, lead: Lead, decision: Decision, now: datetime
    ) -> None:
        """Cards for a fresh assignment: the owner's DM, or the queue; plus the leads channel."""
        if decision.owner_id:
            owner = decision.owner_id
            held = quiet_until(self.config, owner, now, lead.tier)
            add_event(
                session,
                lead,
                LEADBOT,
                EventKind.ASSIGNED,
                now,
                owner=owner,
                reason=decision.reason,
                **({"card_held_until": held.isoformat()} if held else {}),
            )
            self.deps.crm.owner_changed(session, lead, owner, now)
            urgent = self.config.is_hottest(lead.tier)
            enqueue_post(session, lead.id, CopyKind.DM, owner, now, urgent=urgent, not_before=held)
        else:
            add_event(session, lead, LEADBOT, EventKind.QUEUED, now, reason=decision.reason)
            enqueue_post(session, lead.id, CopyKind.QUEUE, self.config.channels.queue, now)
        leads_channel = self.config.channels.leads
        if leads_channel and lead.version == 1:
            enqueue_post(session, lead.id, CopyKind.CHANNEL, leads_channel, now)

    # -- clicks ----------------------------------------------------------------------------
    def claim(self, lead_id: int, user_id: str) -> Outcome:
        known = self.config.is_known(user_id)
        if not known and not self.config.queue.open_to_all:
            return Outcome(False, "You are not set up in leadbot.yml, so you can't claim leads.")
        # People leadbot.yml does not name may only take leads from the shared queue.
        claimable = LeadStatus.OPEN if known else (LeadStatus.QUEUED,)
        now = self.clock.now()
        with self.db.write() as session:
            won = session.execute(
                update(Lead)
                .where(Lead.id == lead_id, Lead.status.in_(claimable))
                .values(
                    status=LeadStatus.CLAIMED,
                    claimed_by=user_id,
                    claimed_at=now,
                    owner_id=user_id,
                    version=Lead.version + 1,
                )
            ).rowcount
            lead = session.get(Lead, lead_id)
            if lead is None:
                return Outcome(False, f"Lead #{lead_id} does not exist (any more).")
            if not won:
                return Outcome(False, not_claimable(lead, user_id, now), lead)
            record_claim(session, lead, user_id, now, self.calendar)
            self.deps.followup.claimed(session, lead, user_id, now)
            self.deps.crm.owner_changed(session, lead, user_id, now)
            enqueue_card_updates(session, lead.id, now)
        self.wake()
        return Outcome(True, lead=lead)

    def pass_lead(self, lead_id: int, user_id: str) -> Outcome:
        now = self.clock.now()
        with self.db.write() as session:
            lead = locked_lead(session, lead_id)
            refusal = refuse_owner_action(self.config, lead, lead_id, user_id, "pass on")
            if refusal or lead is None:
                return Outcome(False, refusal or "")
            current = lead.owner_id or user_id
            passed = owners_in(session, lead.id, EventKind.PASSED) | {current}
            decision = next_after_pass(self.config.rep_ids(), self._names(), current, passed)
            if not self._move(session, lead, decision, now):
                return Outcome(False, "Someone else changed this lead a moment ago; try again.")
            add_event(session, lead, user_id, EventKind.PASSED, now, owner=current)
            enqueue_card_updates(session, lead.id, now)
            self._deliver_assignment(session, lead, decision, now)
        self.wake()
        return Outcome(True, lead=lead)

    def reassign(self, lead_id: int, manager_id: str, new_owner: str) -> Outcome:
        """A manager hands a lead to a rep: a fresh card for them, every copy redrawn. A claimed
        lead stays claimed and takes its open follow-up tasks along (bot/leads/handover.py)."""
        if not self.config.can_manage(manager_id):
            return Outcome(False, "Only managers can reassign leads.")
        if self.config.rep(new_owner) is None:
            return Outcome(False, f"<@{new_owner}> is not a rep in leadbot.yml.")
        now = self.clock.now()
        with self.db.write() as session:
            lead = locked_lead(session, lead_id)
            if lead is None or lead.status not in (*LeadStatus.OPEN, LeadStatus.CLAIMED):
                state = lead.status if lead else "gone"
                return Outcome(False, f"Lead #{lead_id} is {state}: nothing to reassign.")
            if lead.owner_id == new_owner:
                return Outcome(False, f"Lead #{lead_id} is already with <@{new_owner}>.")
            if lead.status == LeadStatus.CLAIMED:
                moved = hand_over_claimed(self.deps, session, lead, manager_id, new_owner, now)
            else:
                moved = self._reassign_open(session, lead, manager_id, new_owner, now)
            if not moved:
                return Outcome(False, "Someone else changed this lead a moment ago; try again.")
        self.wake()
        return Outcome(True, lead=lead)

    def _reassign_open(
        self, session: Session, lead: Lead, manager_id: str, new_owner: str, now: datetime
    ) -> bool:
        previous = lead.owner_id
        by = self.config.display_name(manager_id)
        placement = by_hand(new_owner, f"reassigned by {by}")
        if not self._move(session, lead, placement, now):
            return False
        add_event(session, lead, manager_id, EventKind.REASSIGNED, now,
                  owner=new_owner, previous_owner=previous)  # fmt: skip
        enqueue_card_updates(session, lead.id, now)
        self._deliver_assignment(session, lead, placement, now)
        return True

    def snooze(
        self, lead_id: int, user_id: str, until: datetime, reason: str | None = None
    ) -> Outcome:
        """`reason`: one of `snooze.reasons`, counted by the weekly digest."""
        now = self.clock.now()
        if until <= now:
            return Outcome(False, "Pick a snooze time in the future.")
        with self.db.write() as session:
            lead = locked_lead(session, lead_id)
            refusal = refuse_owner_action(
                self.config, lead, lead_id, user_id, "snooze", claimed_too=True
            )
            if refusal or lead is None:
                return Outcome(False, refusal or "")
            lead.snoozed_until = until
            lead.snoozed_by = user_id
            lead.version += 1
            lead.next_action_at = plan_next(lead, self.config, self.calendar)
            detail = {"until": until.isoformat()} | ({"reason": reason} if reason else {})
            add_event(session, lead, user_id, EventKind.SNOOZED, now, **detail)
            enqueue_card_updates(session, lead.id, now)
        self.wake()
        return Outcome(True, lead=lead)

    def _move(self, session: Session, lead: Lead, decision: Decision, now: datetime) -> bool:
        """Conditional on the version we read: a concurrent click makes this a no-op."""
        return change_if_unchanged(
            session,
            lead,
            owner_id=decision.owner_id,
            status=LeadStatus.ASSIGNED if decision.owner_id else LeadStatus.QUEUED,
            assigned_at=now,
            routing_reason=decision.reason,
            snoozed_until=None,
            snoozed_by=None,
        )
