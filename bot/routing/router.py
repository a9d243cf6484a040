"""Routing a lead: read the state, let the pure engine decide, move the pool's pointer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.config.schema import Config
from bot.hours import BusinessCalendar
from bot.leads.input import LeadIn
from bot.routing.engine import Decision, decide
from bot.routing.match import LeadFacts
from bot.routing.state import load_inputs
from storage.models import RoutePointer


class PointerTaken(Exception):
    """Another intake moved the pool's pointer first: decide again with the new state."""


def facts_of(data: LeadIn) -> LeadFacts:
    """What tiers and routing rules look at; `tier` is the one the lead arrived with, if any
    (the service puts the tier it settled on before routing)."""
    email = (data.email or "").lower() or None
    return LeadFacts(
        email=email,
        domain=email.rpartition("@")[2] if email else None,
        country=data.country,
        region=data.region,
        company_size=data.company_size,
        product=data.product,
        source=data.source,
        tier=data.tier,
        fields=dict(data.fields),
    )


def route(
    session: Session,
    config: Config,
    calendar: BusinessCalendar | None,
    facts: LeadFacts,
    now: datetime,
    *,
    dry_run: bool = False,
) -> Decision:
    """The decision intake makes; with `dry_run` (leadbot route) nothing is written."""
    inputs = load_inputs(session, config, facts, calendar, now, lock=not dry_run)
    names = {rep_id: config.display_name(rep_id) for rep_id in config.rep_ids()}
    decision = decide(
        facts, config.routing, config.teams, inputs.reps, inputs.pools, names, inputs.previous_owner
    )
    if not dry_run and decision.advance_pointer_to is not None:
        old = inputs.pools[decision.pool].pointer
        _advance_pointer(session, decision.pool, old, decision.advance_pointer_to)
    return decision


def _advance_pointer(session: Session, key: str, old: int, new: int) -> None:
    """Compare-and-set: the pointer only grows, so a stale `old` can never match again."""
    moved = session.execute(
        update(RoutePointer)
        .where(RoutePointer.pool == key, RoutePointer.position == old)
        .values(position=new)
    ).rowcount
    if moved:
        return
    if old == 0 and session.get(RoutePointer, key) is None:
        session.add(RoutePointer(pool=key, position=new))  # first use; a race is an IntegrityError
        session.flush()
        return
    raise PointerTaken(key)
