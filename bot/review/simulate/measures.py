"""What a policy did to a set of leads, read from a database's leads, events and held
reminders: a replay's scratch file, or leadbot's own database for "as it happened". One reader
for both, so the columns of the side-by-side report are measured alike.

- A **breach**: not claimed by the SLA's due time (`/leads stats`'s definition).
- **Contacted within SLA**: the first contact came by the SLA's due time.
- A **reminder reached a rep** when it was sent (`reminded` without `held_until`) or, held for
  their quiet hours, delivered when those ended (`held_nudges.status = delivered`): a reminder
  dropped because the lead moved on first never reached anyone. Counted on the rep's local day.
- A **manager escalation**: a `manager_notified` event. **Queue volume**: leads that entered
  the shared queue, at intake or by a step. Days are the business zone's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import as_utc
from bot.config.schema import Config
from bot.vocabulary import EventKind
from storage.db import Database
from storage.models import HeldNudge, HeldNudgeStatus, Lead, LeadEvent

KINDS = (EventKind.ASSIGNED, EventKind.QUEUED, EventKind.REMINDED, EventKind.MANAGER_NOTIFIED)


@dataclass(frozen=True)
class Fate:
    """What happened to one lead under one policy."""

    routed_to: str | None  # the first owner routing gave it; None: the shared queue
    breached: bool
    contacted_in_sla: bool
    reminders: int  # that reached its owners
    manager_told: bool
    queued: bool
    claimed_by: str | None


@dataclass
class Measures:
    days: int
    reps: int  # the reps of the policy's leadbot.yml
    fates: dict[str, Fate] = field(default_factory=dict)  # by Arrival.key
    reminders: Counter[tuple[str, date]] = field(default_factory=Counter)  # (rep, day)
    managers: Counter[date] = field(default_factory=Counter)
    queued: Counter[date] = field(default_factory=Counter)

    @property
    def leads(self) -> int:
        return len(self.fates)

    def count(self, test: Callable[[Fate], bool]) -> int:
        return sum(1 for fate in self.fates.values() if test(fate))

    def reminders_per_rep_day(self) -> float:
        return sum(self.reminders.values()) / max(1, self.reps * self.days)


@dataclass
class _Lead:
    key: str
    due: datetime | None
    claimed_at: datetime | None
    claimed_by: str | None
    breached_at: datetime | None
    contact: datetime | None
    routed_to: str | None = None
    routed: bool = False
    reminders: int = 0
    manager: bool = False
    queued: bool = False


def measure(db: Database, config: Config, start: datetime, end: datetime, *,
            until: datetime | None = None, keys: Mapping[int, str] | None = None,
            contacts: Mapping[int, datetime | None] | None = None) -> Measures:  # fmt: skip
    """The leads received in [start, end), as things stood at `until` (default `end`): an
    unclaimed lead past its SLA by then is a breach. `keys` names them (default "lead #id");
    `contacts` gives first contacts the database does not hold (a replay logs none)."""
    tz = config.business_tz()
    days = max(1, -(-int((end - start).total_seconds()) // 86_400))
    found = Measures(days=days, reps=len(config.rep_ids()))
    with db.read() as session:
        leads = _leads(session, start, end, keys, contacts)
        for lead_id, at, kind, detail in session.execute(_events(start, end)):
            if lead_id in leads:
                _event(found, leads[lead_id], as_utc(at), kind, detail or {}, config, tz)
        for lead_id, user_id, deliver_at in session.execute(_delivered(start, end)):
            if lead_id in leads:
                leads[lead_id].reminders += 1
                found.reminders[(user_id, _day(deliver_at, config, user_id, tz))] += 1
    for lead in leads.values():
        found.fates[lead.key] = _fate(lead, until or end)
    return found


def _leads(session: Any, start: datetime, end: datetime, keys: Mapping[int, str] | None,
           contacts: Mapping[int, datetime | None] | None) -> dict[int, _Lead]:  # fmt: skip
    query = select(
        Lead.id, Lead.sla_due_at, Lead.claimed_at, Lead.claimed_by, Lead.sla_breached_at,
        Lead.first_contact_at,
    ).where(Lead.received_at >= start, Lead.received_at < end)  # fmt: skip
    leads: dict[int, _Lead] = {}
    for lead_id, due, claimed_at, claimed_by, breached, contact in session.execute(query):
        if keys is not None and lead_id not in keys:
            continue
        if contacts is not None:
            contact = contacts.get(lead_id)
        leads[lead_id] = _Lead(
            keys[lead_id] if keys is not None else f"lead #{lead_id}",
            *(_utc(moment) for moment in (due, claimed_at)), claimed_by,
            *(_utc(moment) for moment in (breached, contact)),
        )  # fmt: skip
    return leads


def _in_window(start: datetime, end: datetime) -> Any:
    return select(Lead.id).where(Lead.received_at >= start, Lead.received_at < end)


def _events(start: datetime, end: datetime) -> Any:
    return (
        select(LeadEvent.lead_id, LeadEvent.at, LeadEvent.kind, LeadEvent.detail)
        .where(LeadEvent.kind.in_(KINDS), LeadEvent.lead_id.in_(_in_window(start, end)))
        .order_by(LeadEvent.at, LeadEvent.id)
    )


def _delivered(start: datetime, end: datetime) -> Any:
    return select(HeldNudge.lead_id, HeldNudge.user_id, HeldNudge.deliver_at).where(
        HeldNudge.status == HeldNudgeStatus.DELIVERED,
        HeldNudge.lead_id.in_(_in_window(start, end)),
    )


def _event(found: Measures, lead: _Lead, at: datetime, kind: str, detail: dict[str, Any],
           config: Config, tz: ZoneInfo) -> None:  # fmt: skip
    day = at.astimezone(tz).date()
    if kind in (EventKind.ASSIGNED, EventKind.QUEUED) and not lead.routed:
        lead.routed = True  # the first placement is routing's
        lead.routed_to = detail.get("owner") if kind == EventKind.ASSIGNED else None
    if kind == EventKind.QUEUED and not lead.queued:
        lead.queued = True
        found.queued[day] += 1
    elif kind == EventKind.MANAGER_NOTIFIED:
        lead.manager = True
        found.managers[day] += 1
    elif kind == EventKind.REMINDED and "held_until" not in detail and detail.get("to"):
        lead.reminders += 1
        rep = str(detail["to"])
        found.reminders[(rep, _day(at, config, rep, tz))] += 1


def _day(moment: datetime, config: Config, user_id: str, tz: ZoneInfo) -> date:
    """The rep's own local day: a Sydney rep's morning is not New York's evening."""
    zone = config.tz_for(user_id) if config.rep(user_id) is not None else tz
    return as_utc(moment).astimezone(zone).date()


def _fate(lead: _Lead, end: datetime) -> Fate:
    due = lead.due
    if lead.breached_at is not None:
        breached = True
    elif due is None:
        breached = False
    else:
        breached = lead.claimed_at > due if lead.claimed_at else due < end
    in_sla = lead.contact is not None and (due is None or lead.contact <= due)
    return Fate(lead.routed_to, breached, in_sla, lead.reminders, lead.manager, lead.queued,
                lead.claimed_by)  # fmt: skip


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def busiest(counter: Counter[Any]) -> int:
    return max(counter.values(), default=0)


def per_rep(measures: Measures) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for (rep, _), count in measures.reminders.items():
        totals[rep] += count
    return dict(totals)


def routed(measures: Measures, reps: Iterable[str]) -> dict[str, int]:
    """Leads routing gave each rep (and the queue, under None)."""
    counts = Counter(fate.routed_to for fate in measures.fates.values())
    return {rep: counts.get(rep, 0) for rep in reps} | {"": counts.get(None, 0)}
