"""SLA tiers. Pure: what a lead's deadline is. (Escalation chains arrive with issue #3.)"""

from __future__ import annotations

from datetime import datetime, timedelta

DEFAULT_TIER = "warm"
DEFAULT_RESPOND_WITHIN: dict[str, timedelta] = {
    "hot": timedelta(minutes=5),
    "warm": timedelta(hours=1),
    "cold": timedelta(hours=24),
}


def known_tiers() -> list[str]:
    return list(DEFAULT_RESPOND_WITHIN)


def sla_due_at(tier: str, assigned_at: datetime) -> datetime:
    return assigned_at + DEFAULT_RESPOND_WITHIN[tier]
