"""What the routing engine needs to know right now, read from the database in the decision's
own transaction: who is away, how many leads each rep got today (in their own time zone), open
loads, each pool's pointer and recent placements, and who owned this contact before."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from itertools import chain

from sqlalchemy import ColumnElement, Integer, Select, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import Grouping

from bot.clock import as_utc
from bot.config.schema import Config
from bot.hours import BusinessCalendar, is_open
from bot.routing.engine import PoolState, RepState, first_rule
from bot.routing.match import LeadFacts, owner_key
from bot.routing.pools import ResolvedPool, routes_for
from bot.vocabulary import EventKind, LeadStatus
from storage.bulk import PENDING
from storage.db import COMMIT_WITHOUT_WAITING
from storage.models import Lead, LeadEvent, RepAway, RoutePointer

CRM_OWNER = "owner in the CRM"
RECENT_PLACEMENTS = 100  # weighted pools balance over this many recent leads


@dataclass(frozen=True)
class RoutingInputs:
    reps: dict[str, RepState]
    pools: dict[str, PoolState]
    previous_owner: str | None
    routes: tuple[ResolvedPool, ...]  # the pools on this lead's way, in order
    missing_pointers: frozenset[str] = frozenset()  # pools never used: no row to lock yet
    owner_label: str = "existing owner"  # or "owner in the CRM"


def load_inputs(
    session: Session,
    config: Config,
    facts: LeadFacts,
    calendar: BusinessCalendar | None,
    now: datetime,
    *,
    lock: bool,
    pointers: bool = True,
) -> RoutingInputs:
    """`pointers` False: the pools' pointers are left at 0 (routing.router moves one first)."""
    rep_ids = config.rep_ids()
    routes = routes_for(first_rule(config.routing, facts), config.routing, config.teams, rep_ids)
    # Counting is only done when a pool on this lead's way needs it: on a large table it is the
    # expensive part of a decision.
    caps = any(pool.daily_cap is not None for pool in routes)
    loads_needed = any(pool.strategy == "least_loaded" for pool in routes)
    keys = sorted(pool.key for pool in routes)
    # Locked before counting: once this intake holds the pointers, every lead placed before it
    # has committed, so caps and loads read next include them.
    positions = _pointers(session, keys, lock=lock) if pointers else dict.fromkeys(keys, 0)
    reps = rep_states(session, config, calendar, now, caps=caps, loads=loads_needed)
    pools = {
        pool.key: _pool_state(session, pool.key, pool.strategy, positions.get(pool.key, 0))
        for pool in routes
    }
    missing = frozenset(keys) - positions.keys()
    crm_owner = config.rep_for(facts.crm_owner) if facts.crm_owner else None
    if crm_owner is not None:  # the CRM's owner before leadbot's memory of the contact
        return RoutingInputs(reps, pools, crm_owner, tuple(routes), missing, CRM_OWNER)
    previous = _previous_owner(session, config, facts, now)
    return RoutingInputs(reps, pools, previous, tuple(routes), missing)


def move_pointer(session: Session, key: str, steps: Sequence[int]) -> int | None:
    """PostgreSQL, one statement on its own (`Database.brief`): the pool's pointer moved by
    `steps[pointer % len(steps)]` (engine.pointer_steps), and where it stood, which the
    decision is drawn from; None when the pool has no pointer yet. Its row is locked for this
    statement only, so intakes of one pool queue for a fraction of a millisecond, not for their
    transactions; one waiting reads the pointer as the one before it left it."""
    params = {"key": key, "steps": list(steps), "size": len(steps)}
    row = session.execute(_MOVE, params).first()
    return None if row is None else int(row[0])


def with_pointer(inputs: RoutingInputs, key: str, pointer: int) -> RoutingInputs:
    pools = {**inputs.pools, key: replace(inputs.pools[key], pointer=pointer)}
    return replace(inputs, pools=pools)


def is_capped(config: Config, facts: LeadFacts) -> bool:
    """Whether a pool on this lead's way has a daily cap (see router: such pools serialise)."""
    routes = routes_for(
        first_rule(config.routing, facts), config.routing, config.teams, config.rep_ids()
    )
    return any(pool.daily_cap is not None for pool in routes)


def rep_states(
    session: Session,
    config: Config,
    calendar: BusinessCalendar | None,
    now: datetime,
    *,
    caps: bool,
    loads: bool,
) -> dict[str, RepState]:
    """Every rep's availability now, in config order (the default pool relies on the order)."""
    away = reps_away(session, now)
    today = _assigned_today(session, config, now) if caps else Counter[str]()
    open_leads = _open_loads(session) if loads else Counter[str]()
    planned = {
        rep.id for rep in config.reps if rep.away_on(now.astimezone(config.tz_for(rep.id)).date())
    }
    return {
        rep_id: RepState(
            rep_id,
            away=rep_id in away or rep_id in planned,
            away_until=away.get(rep_id),
            working_now=_working(config, calendar, rep_id, now),
            assigned_today=today[rep_id],
            open_leads=open_leads[rep_id],
        )
        for rep_id in config.rep_ids()
    }


# Built once: every intake asks these, and building a statement costs more than running it.
_POINTERS = (
    select(RoutePointer.pool, RoutePointer.position)
    .where(RoutePointer.pool.in_(bindparam("keys", expanding=True)))
    .order_by(RoutePointer.pool)
)
_POINTERS_LOCKED = _POINTERS.with_for_update()
# move_pointer's statement. Waiting for the row, the locking read returns it as the intake before
# left it (READ COMMITTED re-reads a row it waited for), and the UPDATE moves that. Its own
# transaction commits without waiting for the disk (storage/db.py says why that is safe).
_STANDING = (
    select(RoutePointer.pool, RoutePointer.position)
    .where(RoutePointer.pool == bindparam("key"))
    .with_for_update()
    .cte("standing")
)
_STEPS = Grouping(bindparam("steps", type_=ARRAY(Integer)))  # (…)[i]: `…::INTEGER[][i]` is a type
_MOVE = (
    update(RoutePointer.__table__)
    .where(RoutePointer.__table__.c.pool == _STANDING.c.pool)
    .values(position=_STANDING.c.position + _STEPS[_STANDING.c.position % bindparam("size") + 1])
    .returning(_STANDING.c.position, COMMIT_WITHOUT_WAITING)
)
_AWAY = select(RepAway.user_id, RepAway.until).where(
    or_(RepAway.until.is_(None), RepAway.until > bindparam("now"))
)
# The source of truth for caps: every hand-over of a lead to a rep writes one ASSIGNED event
# naming the new owner (intake routing, a pass, the chain's reassign and backup, a manager's
# reassign), while `leads.owner_id` only knows where the lead is now. A claim writes CLAIMED:
# a rep taking a lead is not leadbot handing one out.
_ASSIGNED_SINCE = select(
    LeadEvent.lead_id, LeadEvent.at, LeadEvent.detail["owner"].as_string()
).where(LeadEvent.kind == EventKind.ASSIGNED, LeadEvent.at >= bindparam("since"))


def _pointers(session: Session, keys: list[str], *, lock: bool) -> dict[str, int]:
    """Each pool's pointer; `lock` holds the rows (PostgreSQL) until the decision commits, in
    key order, so concurrent intakes for one pool take turns instead of racing for a slot."""
    rows = session.execute(_POINTERS_LOCKED if lock else _POINTERS, {"keys": keys})
    return {pool: position for pool, position in rows}


def reps_away(session: Session, now: datetime) -> dict[str, datetime | None]:
    """Who said `/leads away` and is not back yet, and until when (None: until back)."""
    rows = session.execute(_AWAY, {"now": now})
    return {user_id: (as_utc(until) if until else None) for user_id, until in rows}


def _working(config: Config, calendar: BusinessCalendar | None, rep_id: str, now: datetime) -> bool:
    """Inside business hours as the rep keeps them: the same days and hours, their own zone."""
    if calendar is None:
        return True
    return is_open(now, replace(calendar, tz=config.tz_for(rep_id)))


def _assigned_today(session: Session, config: Config, now: datetime) -> Counter[str]:
    """How many leads were handed to each rep since the rep's own midnight, wherever those
    leads are now: a lead moved to the queue, passed or reassigned since still took its slot.
    A lead handed to the same rep twice in a day counts once."""
    midnights = {rep: _local_midnight(now, config, rep) for rep in config.rep_ids()}
    if not midnights:
        return Counter()
    rows = session.execute(_ASSIGNED_SINCE, {"since": min(midnights.values())})
    handed = {
        (owner, lead_id)
        for lead_id, at, owner in chain(rows, _collected_assignments(session))
        if owner in midnights and as_utc(at) >= midnights[owner]
    }
    return Counter(owner for owner, _ in handed)


def _collected_assignments(session: Session) -> Iterator[tuple[int, datetime, str | None]]:
    """ASSIGNED events of this transaction not written yet: the sweep collects a tick's events
    and writes them at its end (storage.bulk), and a second backup in the same tick must count
    the first."""
    for model, values in session.info.get(PENDING, ()):
        if model is LeadEvent and values["kind"] == EventKind.ASSIGNED:
            yield values["lead_id"], values["at"], values["detail"].get("owner")


def _local_midnight(now: datetime, config: Config, rep_id: str) -> datetime:
    tz = config.tz_for(rep_id)
    return datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz).astimezone(UTC)


def _open_loads(session: Session) -> Counter[str]:
    rows = session.execute(
        select(Lead.owner_id, func.count())
        .where(Lead.status.in_([LeadStatus.ASSIGNED, LeadStatus.CLAIMED]))
        .group_by(Lead.owner_id)
    )
    return Counter({owner: count for owner, count in rows if owner})


def _pool_state(session: Session, key: str, strategy: str, pointer: int) -> PoolState:
    if strategy != "weighted":
        return PoolState(pointer=pointer)
    recent: Sequence[str | None] = session.scalars(
        select(Lead.owner_id)
        .where(Lead.routing_pool == key)
        .order_by(Lead.id.desc())
        .limit(RECENT_PLACEMENTS)
    ).all()
    return PoolState(pointer=pointer, served=Counter(owner for owner in recent if owner))


def _latest_owner(match: ColumnElement[bool]) -> Select[tuple[str | None]]:
    return (
        select(func.coalesce(Lead.claimed_by, Lead.owner_id))
        .where(match, Lead.owner_id.is_not(None), Lead.assigned_at >= bindparam("since"))
        .order_by(Lead.assigned_at.desc())
        .limit(1)
    )


_OWNER_BY_EMAIL = _latest_owner(Lead.email == bindparam("value"))
_OWNER_BY_DOMAIN = _latest_owner(Lead.email.like(bindparam("value"), escape="\\"))


def _previous_owner(
    session: Session, config: Config, facts: LeadFacts, now: datetime
) -> str | None:
    key = owner_key(facts, config.routing)
    if key is None:
        return None
    kind, value = key
    if kind == "email":
        query = _OWNER_BY_EMAIL
    else:  # a domain is matched literally: "_" would match any character
        query, value = _OWNER_BY_DOMAIN, "%@" + re.sub(r"([\\%_])", r"\\\1", value)
    owner = session.scalar(query, {"value": value, "since": now - config.routing.owner_memory})
    return owner if owner in config.rep_ids() else None
