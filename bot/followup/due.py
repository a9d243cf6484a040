"""The task sweep's read and its timer write, as Core rows: no ORM object, identity-map entry or
unit-of-work flush per task. A tick of 100 due tasks spent most of its time on those, not on
the SQL (#12, bench/followup_bench.py).

The read is one statement for the tasks and the fields of their leads the steps need, the task
rows locked (PostgreSQL: `FOR UPDATE OF tasks SKIP LOCKED`, so a second sweeper takes others;
SQLite has one writer at a time). The write is one statement for every timer of the tick, each
guarded on the version read and bumping it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import DateTime, Integer, bindparam, select, update
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.vocabulary import TaskStatus
from storage.bulk import array_rows, execute_plain
from storage.followup import Task
from storage.models import Lead

BATCH = 500


# Named tuples: a frozen dataclass sets each field through object.__setattr__ (1.8 µs a task
# more for the two, measured).
class DueLead(NamedTuple):
    """What a task's steps say of its lead: its card's label, and whether it may be disturbed."""

    id: int
    name: str | None
    email: str | None
    phone: str | None
    company: str | None
    tier: str
    snoozed_until: datetime | None  # UTC


class DueTask(NamedTuple):
    """A due task as read by the tick, and its lead (None: it is gone)."""

    id: int
    lead_id: int
    owner_id: str
    step: int
    day: int | None
    channels: list[str]
    due_at: datetime  # UTC
    overdue_step: int
    version: int
    card_ts: str | None
    lead: DueLead | None


class Timer(NamedTuple):
    """A task's chain position and next look after the tick; `version`: the one read."""

    task_id: int
    version: int
    overdue_step: int
    next_action_at: datetime | None


_COLUMNS = (
    Task.id, Task.lead_id, Task.owner_id, Task.step, Task.day, Task.channels, Task.due_at,
    Task.overdue_step, Task.version, Task.card_ts,
    Lead.id, Lead.name, Lead.email, Lead.phone, Lead.company, Lead.tier, Lead.snoozed_until,
)  # fmt: skip
_DUE = (
    select(*_COLUMNS)
    .outerjoin(Lead, Lead.id == Task.lead_id)
    .where(Task.next_action_at <= bindparam("now"), Task.status == TaskStatus.OPEN)
    .order_by(Task.next_action_at, Task.id)
    .limit(BATCH)
)
# Only the tasks are locked: a lead is locked by whoever changes it, and the steps only read it.
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True, of=Task.__table__)


def take_due(session: Session, now: datetime, *, lock: bool) -> list[DueTask]:
    """The due tasks, oldest first, with their leads, kept from every other writer until the
    tick commits: `lock` on PostgreSQL (another sweeper skips them; a Done waits, then finds
    them moved on), and SQLite has one writer at a time. `write_timers` bumps their versions."""
    rows = session.execute(_DUE_LOCKED if lock else _DUE, {"now": now})
    return [_due_task(row) for row in rows]


def _due_task(row: Any) -> DueTask:
    (task_id, lead_id, owner, step, day, channels, due_at, overdue_step, version, card_ts,
     found, name, email, phone, company, tier, snoozed) = row  # fmt: skip
    lead = None
    if found is not None:
        until = as_utc(snoozed) if snoozed is not None else None
        lead = DueLead(found, name, email, phone, company, tier, until)
    return DueTask(task_id, lead_id, owner, step, day, channels or [], as_utc(due_at),
                   overdue_step, version, card_ts, lead)  # fmt: skip


_TASKS = Task.__table__
_TIMERS_MANY = (
    update(_TASKS)
    .where(_TASKS.c.id == bindparam("b_id"), _TASKS.c.version == bindparam("b_version"))
    .values(
        overdue_step=bindparam("b_step"),
        next_action_at=bindparam("b_at"),
        version=_TASKS.c.version + 1,
    )
)
_BATCH = array_rows(id=Integer, version=Integer, step=Integer, moment=DateTime(timezone=True))
_TIMERS_UNNEST = (
    update(_TASKS)
    .where(_TASKS.c.id == _BATCH.c.id, _TASKS.c.version == _BATCH.c.version)
    .values(
        overdue_step=_BATCH.c.step,
        next_action_at=_BATCH.c.moment,
        version=_TASKS.c.version + 1,
    )
)


def write_timers(session: Session, timers: list[Timer], *, postgres: bool) -> None:
    """Each task's overdue step and timer, its version bumped (a Done that read the task before
    this tick no longer matches), guarded on the version read (under `take_due`'s lock it
    always matches). PostgreSQL: one UPDATE … FROM unnest(…) rather than an executemany of
    100 UPDATEs (2.6 against 4.7 ms for 100 tasks, measured); SQLite: the driver's executemany
    (in C), without SQLAlchemy's work per row."""
    if not timers:
        return
    if postgres:
        ids, versions, steps, moments = (list(column) for column in zip(*timers, strict=True))
        session.execute(_TIMERS_UNNEST, {"b_ids": ids, "b_versions": versions, "b_steps": steps,
                                         "b_moments": moments})  # fmt: skip
        return
    execute_plain(session, _TIMERS_MANY, [
        {"b_id": task_id, "b_version": version, "b_step": step, "b_at": at}
        for task_id, version, step, at in timers
    ])  # fmt: skip
