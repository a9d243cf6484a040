"""What `leadbot simulate` replays: each lead as it arrived and what the people did with it,
read from leadbot's own database or from a CRM export (through the audit's reader).

The behaviour model, stated once: a lead is claimed and first contacted **as long after its
arrival as it really was**, whatever the policy. If the claimer is no longer the lead's owner
under the replayed policy (routing changed, a reassignment came first), its owner at that moment
claims it; from the shared queue, the person who really claimed it. Snoozes are repeated at
their moment by the person who snoozed, while the lead is still theirs and open. What the
policy changes is everything leadbot does around those moments: who gets the lead, the SLA,
the reminders and when they reach people, the manager, the queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import as_utc
from bot.config.schema import Config
from bot.escalation.policy import tier_for
from bot.review.audit.reader import AuditRow, Layout, open_text, read_rows
from bot.routing.router import facts_of
from bot.vocabulary import EventKind
from storage.db import Database
from storage.models import Lead, LeadEvent

# What intake takes from a stored lead (the fields routing rules and tiers may look at).
LEAD_FIELDS = ("source", "name", "phone", "company", "company_size", "country", "region", "product")


@dataclass(frozen=True)
class Snooze:
    after: timedelta  # from the lead's arrival
    by: str
    length: timedelta


@dataclass(frozen=True)
class Arrival:
    """One lead of the history. `claim_after`/`contact_after`: None when it never happened."""

    key: str  # shown to people: "lead #42", or the CRM's record id
    at: datetime  # aware UTC
    lead: dict[str, Any]  # intake's fields (LeadIn), without external_id and received_at
    claim_after: timedelta | None
    claimer: str | None  # a Slack user id, or None (unknown to leadbot.yml)
    contact_after: timedelta | None
    snoozes: tuple[Snooze, ...] = field(default=())


def from_database(db: Database, config: Config, start: datetime, end: datetime) -> list[Arrival]:
    """The leads received in [start, end), oldest first. A lead whose recorded tier the
    current rules would not give arrived with that tier (a form's hidden field): it keeps it."""
    query = (
        select(Lead)
        .where(Lead.received_at >= start, Lead.received_at < end)
        .order_by(Lead.received_at, Lead.id)
        .execution_options(yield_per=2_000)  # 26 weeks of a busy team: not all at once
    )
    with db.read() as session:
        snoozes = _snoozes(session, start, end)
        return [_arrival(lead, config, snoozes.get(lead.id, ())) for lead in session.scalars(query)]


def _arrival(lead: Lead, config: Config, snoozes: tuple[Snooze, ...]) -> Arrival:
    values: dict[str, Any] = {name: getattr(lead, name) for name in LEAD_FIELDS}
    values = {name: value for name, value in values.items() if value is not None}
    if lead.email:
        values["email"] = lead.email
    if lead.fields:
        values["fields"] = dict(lead.fields)
    ruled = tier_for(replace(facts_of(lead), tier=None), config.tiers, config.default_tier)
    if ruled.name != lead.tier:
        values["tier"] = lead.tier
    received = as_utc(lead.received_at)
    claimed = _after(received, lead.claimed_at)
    return Arrival(
        key=f"lead #{lead.id}",
        at=received,
        lead=values,
        claim_after=claimed,
        claimer=lead.claimed_by,
        contact_after=_after(received, lead.first_contact_at),
        # Only snoozes of the open lead steer the escalation; later ones are the follow-up's.
        snoozes=tuple(s for s in snoozes if claimed is None or s.after < claimed),
    )


def _after(start: datetime, moment: datetime | None) -> timedelta | None:
    return None if moment is None else max(as_utc(moment) - start, timedelta(0))


def _snoozes(session: Any, start: datetime, end: datetime) -> dict[int, tuple[Snooze, ...]]:
    """The snoozes of the leads received in [start, end), as (when after arrival, by, how
    long); through ix_lead_events_kind_at (a snooze comes after its lead's arrival)."""
    found: dict[int, list[Snooze]] = {}
    query = (
        select(LeadEvent.lead_id, LeadEvent.at, LeadEvent.actor, LeadEvent.detail, Lead.received_at)
        .join(Lead, Lead.id == LeadEvent.lead_id)
        .where(LeadEvent.kind == EventKind.SNOOZED, LeadEvent.at >= start)
        .where(Lead.received_at >= start, Lead.received_at < end)
        .order_by(LeadEvent.at, LeadEvent.id)
    )
    for lead_id, at, actor, detail, arrived in session.execute(query):
        until = _moment((detail or {}).get("until"))
        if until is None or until <= as_utc(at):
            continue
        after = as_utc(at) - as_utc(arrived)
        found.setdefault(lead_id, []).append(Snooze(after, actor, until - as_utc(at)))
    return {lead_id: tuple(items) for lead_id, items in found.items()}


def _moment(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def from_export(path: str, layout: Layout, config: Config) -> tuple[list[Arrival], int]:
    """The export's leads, oldest first, and how many rows could not be read (the audit's
    `leadbot audit` lists them). An export knows a first touch, not a claim: the first touch
    stands for both. Its owner becomes a rep where leadbot.yml knows their email or name."""
    people = _people(config)
    arrivals: list[Arrival] = []
    bad = 0
    with open_text(path) as stream:
        for row in read_rows(stream, layout):
            if isinstance(row, AuditRow):
                arrivals.append(_exported(row, people))
            else:
                bad += 1
    arrivals.sort(key=lambda arrival: arrival.at)
    return arrivals, bad


def _exported(row: AuditRow, people: dict[str, str]) -> Arrival:
    at = datetime.fromtimestamp(row.created, UTC)
    touch = None
    if row.answered is not None and row.contacted:
        touch = max(timedelta(seconds=row.answered - row.created), timedelta(0))
    # Intake wants a name, email or phone: the record id stands in for the name.
    lead = {"source": row.source.strip()[:64] or "export", "name": row.record[:200] or "?"}
    return Arrival(row.record, at, lead, touch, people.get(row.owner.casefold()), touch)


def _people(config: Config) -> dict[str, str]:
    """CRM owner (email or name, case-folded) -> Slack user id."""
    people: dict[str, str] = {}
    for rep in config.reps:
        for said in (rep.email, rep.name, rep.id):
            if said:
                people[said.casefold()] = rep.id
    return people


def within(arrivals: list[Arrival], weeks: int) -> Iterator[Arrival]:
    """The last `weeks` weeks of an export, counted back from its latest lead."""
    if not arrivals:
        return iter(())
    start = arrivals[-1].at - timedelta(weeks=weeks)
    return (arrival for arrival in arrivals if arrival.at > start)
