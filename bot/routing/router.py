"""Routing a lead: read the state, let the pure engine decide, move the pool's pointer.

Where the pointer moves decides how much intake can overlap. On SQLite every write transaction
already runs alone, so the move is part of the lead's transaction. On PostgreSQL a row lock on
the pointer, held until the lead commits, would queue every intake for that pool behind the
slowest one; so the decision and the move run in a brief transaction of their own that locks
the pointer, decides and commits (an optimistic compare-and-set without the lock lost most races
to the other intakes: 4.4 tries a lead with 8 at once). Should the lead's own transaction fail
later, the pool has skipped a turn: fairness over the next leads, not a lead, is what that costs.
Pools with a daily cap keep the lock until the lead commits: a cap counts committed leads, and
two overlapping intakes could both take a rep's last slot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config.schema import Config
from bot.hours import BusinessCalendar
from bot.leads.input import LeadIn
from bot.routing.engine import Decision, decide
from bot.routing.match import LeadFacts
from bot.routing.state import RoutingInputs, is_capped, load_inputs, with_locked_pointers
from storage.models import Lead, RoutePointer

Brief = Callable[[], AbstractContextManager[Session]]


class PointerTaken(Exception):
    """Another intake moved the pool's pointer first: decide again with the new state."""


def facts_of(data: LeadIn | Lead) -> LeadFacts:
    """What tiers, routing rules and cadences look at. From intake's `LeadIn`, `tier` is the one
    the lead arrived with, if any (the service puts the tier it settled on before routing); from
    a stored `Lead`, the tier it settled on."""
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
        fields=dict(data.fields or {}),
        crm_owner=data.owner if isinstance(data, LeadIn) else None,
    )


def route(
    session: Session,
    config: Config,
    calendar: BusinessCalendar | None,
    facts: LeadFacts,
    now: datetime,
    *,
    dry_run: bool = False,
    brief: Brief | None = None,
) -> Decision:
    """The decision intake makes; with `dry_run` (leadbot route) nothing is written. `brief`
    (PostgreSQL) opens a short transaction of its own, for the pointer's move."""
    if dry_run or brief is None or is_capped(config, facts):
        return _route_in_transaction(session, config, calendar, facts, now, dry_run, brief)
    unlocked = load_inputs(session, config, facts, calendar, now, lock=False, pointers=False)
    for _ in range(2):
        with brief() as side:
            # Intakes for one pool take turns for the decision itself, a fraction of a
            # millisecond, instead of queueing on the pointer for their whole transaction;
            # deciding on a pointer read without the lock would lose the race to every other
            # intake and start over.
            inputs = with_locked_pointers(side, unlocked)
            if not inputs.missing_pointers:
                decision = _decide(config, facts, inputs)
                if decision.advance_pointer_to is not None:
                    old = inputs.pools[decision.pool].pointer
                    _advance_pointer(side, decision.pool, old, decision.advance_pointer_to)
                return decision
        _create_pointers(brief, inputs.missing_pointers)  # a pool's first lead: then lock it
    raise PointerTaken(", ".join(sorted(inputs.missing_pointers)))


def _route_in_transaction(
    session: Session,
    config: Config,
    calendar: BusinessCalendar | None,
    facts: LeadFacts,
    now: datetime,
    dry_run: bool,
    brief: Brief | None,
) -> Decision:
    """On SQLite (one writer at a time anyway), in a rehearsal, and for a capped pool, whose
    counts must include every lead placed before: the pointer is locked until the lead commits."""
    lock = not dry_run
    inputs = load_inputs(session, config, facts, calendar, now, lock=lock)
    if lock and brief is not None and inputs.missing_pointers:
        _create_pointers(brief, inputs.missing_pointers)  # so that there is a row to lock
        inputs = load_inputs(session, config, facts, calendar, now, lock=lock)
    decision = _decide(config, facts, inputs)
    if not dry_run and decision.advance_pointer_to is not None:
        old = inputs.pools[decision.pool].pointer
        _advance_pointer(session, decision.pool, old, decision.advance_pointer_to)
    return decision


def _decide(config: Config, facts: LeadFacts, inputs: RoutingInputs) -> Decision:
    names = {rep_id: config.display_name(rep_id) for rep_id in config.rep_ids()}
    return decide(
        facts, config.routing, config.teams, inputs.reps, inputs.pools, names,
        inputs.previous_owner, inputs.owner_label,
    )  # fmt: skip


def _create_pointers(brief: Brief, keys: Iterable[str]) -> None:
    for key in sorted(keys):
        try:
            with brief() as side:
                side.add(RoutePointer(pool=key, position=0))
        except IntegrityError:
            pass  # another intake created it first; all that matters is that it exists


_POINTERS = RoutePointer.__table__
_MOVE = (  # Core, built once: no ORM bookkeeping on every intake
    update(_POINTERS)
    .where(_POINTERS.c.pool == bindparam("key"), _POINTERS.c.position == bindparam("old"))
    .values(position=bindparam("new"))
)


def _advance_pointer(session: Session, key: str, old: int, new: int) -> None:
    """Compare-and-set: the pointer only grows, so a stale `old` can never match again."""
    moved = session.execute(_MOVE, {"key": key, "old": old, "new": new}).rowcount
    if moved:
        return
    if old == 0 and session.get(RoutePointer, key) is None:
        session.add(RoutePointer(pool=key, position=new))  # first use; a race is an IntegrityError
        session.flush()
        return
    raise PointerTaken(key)
