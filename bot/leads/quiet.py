"""Quiet hours for everything leadbot sends a person: cards, reminders, alerts about a lead.

Reminders had their own holding place (`held_nudges`, delivered as one digest); a new-lead card
or a manager's alert is instead an outbox row that is not due before the quiet hours end, so it
keeps its place, its priority and its exactly-once delivery.
"""

from __future__ import annotations

from datetime import datetime

from bot.config.schema import Config
from bot.hours import deliverable_at, rep_quiet_hours


def quiet_until(config: Config, person: str, now: datetime, tier: str | None) -> datetime | None:
    """When a message about a lead of `tier` may reach `person`: None for now, else the end of
    their quiet hours. A tier marked `urgent` breaks through, as its reminders do."""
    urgent = (found := config.tier(tier) if tier else None) is not None and found.urgent
    at = deliverable_at(now, rep_quiet_hours(config, person), urgent=urgent)
    return at if at > now else None
