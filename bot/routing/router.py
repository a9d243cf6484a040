"""Routing a lead: read the state, let the pure engine decide, move the pool's pointer.

Where the pointer moves decides how much intake can overlap. On SQLite every write transaction
already runs alone, so the move is part of the lead's transaction. On PostgreSQL a row lock on
the pointer, held until the lead commits, would queue every intake for that pool behind the
slowest one; so the pointer moves in one statement on its own, before the decision: the engine
says how far the decision will move it from each place it may stand (`pointer_steps`: the pool
it picks from does not depend on the pointer, only the rep in it), the statement locks the row
for itself only, moves it and returns where it stood, and the decision is drawn from that. (An
optimistic compare-and-set without the lock lost most races to the other intakes, 4.4 tries a
lead with 8 at once; a transaction that locked, decided and moved it took four round trips.)
Should the lead's own transaction fail later, the pool has skipped a turn: fairness over the
next leads, not a lead, is what that costs. Pools with a daily cap keep the lock until the lead
commits: a cap counts committed leads, and two overlapping intakes could both take a rep's last
slot.
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
from bot.routing.engine import Decision, decide, pointer_steps
from bot.routing.match import LeadFacts
from bot.routing.state import RoutingInputs, is_capped, load_inputs, move_pointer, with_pointer
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
    (PostgreSQL): statements beside the lead's transaction, each on its own, for the pointer."""
    if dry_run or brief is None or is_capped(config, facts):
        return _route_in_transaction(session, config, calendar, facts, now, dry_run, brief)
    inputs = load_inputs(session, config, facts, calendar, now, lock=False, pointers=False)
    draft = _decide(config, facts, inputs)  # the pool, and whether its pointer moves at all
    if draft.advance_pointer_to is None:  # the contact's owner, or the shared queue
        return draft
    pool = next(pool for pool in inputs.routes if pool.key == draft.pool)
    steps = pointer_steps(pool, inputs.reps)
    for _ in range(2):
        with brief() as side:
            standing = move_pointer(side, draft.pool, steps)
        if standing is not None:
            return _decide(config, facts, with_pointer(inputs, draft.pool, standing))
        _create_pointers(brief, [draft.pool])  # the pool's first lead
    raise PointerTaken(draft.pool)


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
