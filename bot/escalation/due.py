"""The escalation sweep's read and its write of the leads it advanced, as Core rows: no ORM
object, identity-map entry or unit-of-work flush per lead. A tick of 100 due leads spent more
time on those than the database spent on its statements (#11, bench/sweep_bench.py).

The read is one statement for the due leads' fields the steps and the timers need, the rows
locked until the tick commits (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so a second sweeper takes
others; SQLite: the tick's `BEGIN IMMEDIATE`, one writer at a time). So a claim that committed
first is read as claimed, and one that comes later waits and then finds the version bumped: the
lock is the guard, and the write needs no second one. The write is one statement for every lead
of the tick, guarded on the version read all the same (under the lock it always matches).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import DateTime, Integer, Text, bindparam, cast, select, update
from sqlalchemy.orm import Session

from bot.escalation.policy import ChainStep
from storage.bulk import array_rows, execute_plain
from storage.models import Lead

BATCH = 500


@dataclass(slots=True)
class DueLead:
    """A due lead as the tick reads it: the fields its steps say and its timers weigh. The
    message steps change only its step and timers (`bump`: whether its version moves, so a
    click drawn before the tick no longer matches); the others run on the ORM `Lead`."""

    id: int
    status: str
    owner_id: str | None
    tier: str
    name: str | None
    email: str | None
    phone: str | None
    company: str | None
    received_at: datetime
    sla_due_at: datetime | None
    sla_breached_at: datetime | None
    escalation_started_at: datetime | None
    escalation_step: int
    snoozed_until: datetime | None
    next_action_at: datetime | None
    version: int
    steps: tuple[ChainStep, ...]  # its chain, parsed (`leads.chain`)
    bump: bool = False


_COLUMNS = (
    Lead.id, Lead.status, Lead.owner_id, Lead.tier, Lead.name, Lead.email, Lead.phone,
    Lead.company, Lead.received_at, Lead.sla_due_at, Lead.sla_breached_at,
    Lead.escalation_started_at, Lead.escalation_step, Lead.snoozed_until, Lead.next_action_at,
    Lead.version, cast(Lead.chain, Text),
)  # fmt: skip
# Only `next_action_at`: claimed and closed leads have none, and a status filter here would
# tempt SQLite's planner onto the status index and a sort of every open lead.
_DUE = (
    select(*_COLUMNS)
    .where(Lead.next_action_at <= bindparam("now"))
    .order_by(Lead.next_action_at)
    .limit(BATCH)
)
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True)


def take_due(session: Session, now: datetime, *, lock: bool) -> list[DueLead]:
    """The due leads, oldest timer first, kept from every other writer until the tick commits
    (`lock` on PostgreSQL; SQLite has one writer at a time)."""
    rows = session.execute(_DUE_LOCKED if lock else _DUE, {"now": now})
    return [DueLead(*row[:-1], steps=_steps(row[-1])) for row in rows]


@lru_cache(maxsize=256)
def _steps(chain: str | None) -> tuple[ChainStep, ...]:
    """A chain snapshot's steps, parsed once per distinct snapshot (a tier's leads share one):
    read as text, as stored, rather than decoded and parsed anew for every lead of a tick."""
    if not chain:
        return ()
    return tuple(ChainStep.from_json(step) for step in json.loads(chain) or [])


_LEADS = Lead.__table__
_WRITE_MANY = (
    update(_LEADS)
    .where(_LEADS.c.id == bindparam("b_id"), _LEADS.c.version == bindparam("b_version"))
    .values(
        escalation_step=bindparam("b_step"),
        next_action_at=bindparam("b_next"),
        sla_breached_at=bindparam("b_breached"),
        version=_LEADS.c.version + bindparam("b_bump"),
    )
)
_MOMENT = DateTime(timezone=True)
_BATCH = array_rows(
    id=Integer, version=Integer, step=Integer, next=_MOMENT, breached=_MOMENT, bump=Integer
)
_WRITE_UNNEST = (
    update(_LEADS)
    .where(_LEADS.c.id == _BATCH.c.id, _LEADS.c.version == _BATCH.c.version)
    .values(
        escalation_step=_BATCH.c.step,
        next_action_at=_BATCH.c.next,
        sla_breached_at=_BATCH.c.breached,
        version=_LEADS.c.version + _BATCH.c.bump,
    )
)


class StaleTick(Exception):
    """A lead of the tick was not as read: the tick did not hold its lock. Nothing it wrote may
    commit (its messages would go out for a lead that moved on)."""


def write_advanced(session: Session, leads: list[DueLead], *, postgres: bool) -> None:
    """Each lead's step, timer and breach as the tick left them, in one statement, guarded on
    the version read: every lead must match, else StaleTick (and the tick rolls back)."""
    if not leads:
        return
    matched = _write(session, leads, postgres=postgres)
    if matched != len(leads):
        raise StaleTick(f"{len(leads) - matched} of {len(leads)} due leads changed under the tick")


def _write(session: Session, leads: list[DueLead], *, postgres: bool) -> int:
    if postgres:
        result = session.execute(_WRITE_UNNEST, {
            "b_ids": [lead.id for lead in leads],
            "b_versions": [lead.version for lead in leads],
            "b_steps": [lead.escalation_step for lead in leads],
            "b_nexts": [lead.next_action_at for lead in leads],
            "b_breacheds": [lead.sla_breached_at for lead in leads],
            "b_bumps": [int(lead.bump) for lead in leads],
        })  # fmt: skip
        return int(getattr(result, "rowcount", 0))
    return execute_plain(session, _WRITE_MANY, [
        {"b_id": lead.id, "b_version": lead.version, "b_step": lead.escalation_step,
         "b_next": lead.next_action_at, "b_breached": lead.sla_breached_at,
         "b_bump": int(lead.bump)}
        for lead in leads
    ])  # fmt: skip
