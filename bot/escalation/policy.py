"""SLA tiers and escalation chains, pure: which tier a lead is, and what is due when.

A lead's chain is snapshotted as plain data when it is assigned, so editing leadbot.yml never
changes what happens to leads already in flight.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.config.policy import Escalation, EscalationStep, Tier, default_tiers
from bot.hours import BusinessCalendar, add_business_time
from bot.routing.match import LeadFacts, condition_matches
from bot.vocabulary import OWNER_ONLY_ACTIONS, Action, Tone

DEFAULT_TIER = "warm"


@dataclass(frozen=True)
class ChainStep:
    after_seconds: float
    actions: tuple[str, ...]  # Action values; kept as stored, so an old snapshot still loads
    tone: str = Tone.GENTLE
    channel: str | None = None

    @property
    def after(self) -> timedelta:
        return timedelta(seconds=self.after_seconds)

    @property
    def owner_only(self) -> bool:
        return set(self.actions) <= OWNER_ONLY_ACTIONS

    def to_json(self) -> dict[str, Any]:
        # Spelled out: dataclasses.asdict deep-copies field by field, and every intake writes
        # a chain (asdict was a twentieth of storing a lead).
        return {
            "after_seconds": self.after_seconds,
            "actions": list(self.actions),
            "tone": self.tone,
            "channel": self.channel,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChainStep:
        return cls(
            after_seconds=float(data["after_seconds"]),
            actions=tuple(data["actions"]),
            tone=str(data.get("tone", Tone.GENTLE)),
            channel=data.get("channel"),
        )


def snapshot_chain(steps: Sequence[EscalationStep]) -> list[ChainStep]:
    """Flatten the configured steps; `repeat: N` becomes N queue reminders `every` apart."""
    chain: list[ChainStep] = []
    for step in steps:
        chain.append(ChainStep(step.after.total_seconds(), tuple(step.do), step.tone, step.channel))
        for k in range(1, step.repeat + 1):
            after = step.after + step.every * k
            chain.append(ChainStep(after.total_seconds(), (Action.QUEUE_REMINDER,), step.tone))
    return chain


def tier_for(facts: LeadFacts, tiers: Sequence[Tier], default: str) -> Tier:
    """`facts.tier` is the tier the lead arrived with: a configured one wins; else the first tier
    whose `match` holds (the routing rules' matcher; `tier` there tests the arrived tier);
    else the default."""
    by_name = {tier.name: tier for tier in tiers}
    if facts.tier and facts.tier in by_name:
        return by_name[facts.tier]
    for tier in tiers:
        if tier.match is None:
            continue
        condition = tier.match.condition()
        if condition is None or condition_matches(condition, facts):
            return tier
    return by_name[default]


def sla_due_at(tier: Tier, assigned_at: datetime, calendar: BusinessCalendar | None) -> datetime:
    return add_business_time(assigned_at, tier.respond_within, calendar)


def chain_for(
    tier: Tier, escalation: Escalation, ack_timeout: timedelta | None = None
) -> list[ChainStep]:
    """The tier's chain (or the default one), with the routing backup step when configured:
    once, at `ack_timeout`, and only if that comes before the lead would go to the queue."""
    chain = snapshot_chain((tier.escalation or escalation).steps)
    if ack_timeout is None:
        return chain
    queued_at = [s.after for s in chain if Action.MOVE_TO_QUEUE in s.actions]
    if queued_at and ack_timeout >= min(queued_at):
        return chain
    backup = ChainStep(ack_timeout.total_seconds(), (Action.BACKUP,))
    return sorted([*chain, backup], key=lambda step: step.after_seconds)


def step_due(
    step: ChainStep,
    started_at: datetime,
    calendar: BusinessCalendar | None,
    snoozed_until: datetime | None,
    max_delay: timedelta,
) -> datetime:
    """When a step fires: `after` business time from the start, pushed by a snooze.

    A snooze pushes owner reminders to its end, but a step that tells someone else (manager,
    queue, channel) is pushed at most `max_delay`: snoozing cannot defeat the safety net.
    """
    original = add_business_time(started_at, step.after, calendar)
    if snoozed_until is None or snoozed_until <= original:
        return original
    if step.owner_only:
        return snoozed_until
    return min(snoozed_until, original + max_delay)


def next_step(
    chain: Sequence[ChainStep],
    index: int,
    started_at: datetime,
    calendar: BusinessCalendar | None,
    snoozed_until: datetime | None,
    max_delay: timedelta,
) -> tuple[int, datetime] | None:
    """The remaining step that fires first, and when.

    Usually that is `chain[index]`; but a snooze can push owner reminders past a later step
    that tells someone else, and that step must not wait behind them: it goes first, and the
    reminders it overtook are skipped (the owner asked not to be reminded until then).
    """
    best: tuple[int, datetime] | None = None
    for i in range(index, len(chain)):
        due = step_due(chain[i], started_at, calendar, snoozed_until, max_delay)
        if best is None or due < best[1]:
            best = (i, due)
    return best


__all__ = [
    "DEFAULT_TIER",
    "ChainStep",
    "chain_for",
    "default_tiers",
    "next_step",
    "sla_due_at",
    "snapshot_chain",
    "step_due",
    "tier_for",
]
