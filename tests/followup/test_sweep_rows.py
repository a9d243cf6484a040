"""What one task-sweep tick writes (#12), row for row: every kind of chain entry (a card, a card
held for quiet hours or breaking through them, "due now" for a card already up, the owner's
reminder, the manager's by DM or in the managers' channel, the first-contact chain), a snoozed
lead, a finished chain and the tasks a tick must leave alone. The expected rows are the ones the
sweep wrote before it read Core rows and wrote by `unnest` (so a faster tick is the same tick);
a second tick at the same moment writes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bot.clock import FixedClock, as_utc
from bot.followup.due import Timer, write_timers
from bot.followup.sweep import TaskSweeper
from bot.services import Deps
from bot.vocabulary import LeadStatus, TaskStatus
from storage.db import Database
from storage.followup import Task
from storage.models import Lead, LeadEvent, OutboxMessage
from tests.conftest import make_config

NOW = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)  # 23:30 Berlin, 17:30 New York, 06:30 Singapore
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
REPS = [
    {"id": "U0ALICE", "name": "Alice", "timezone": "Europe/Berlin", "manager": "U0MAYA",
     "quiet_hours": "22:00-07:00"},
    {"id": "U0BO", "name": "Bo", "timezone": "America/New_York", "manager": "U0MAYA"},
    {"id": "U0CHEN", "name": "Chen", "timezone": "Asia/Singapore"},
]  # fmt: skip
TIERS = [
    {"name": "hot", "respond_within": "5m", "urgent": True},
    {"name": "warm", "respond_within": "1h"},
]
# (owner, tier, name, snoozed for) of leads 1.., and of each its task:
# (step, overdue_step, due before NOW, timer after NOW, card_ts, status).
LEADS: list[tuple[str, str, str | None, timedelta | None]] = [
    ("U0BO", "warm", "Dana <Whitfield>", None),  # 1: the card
    ("U0BO", "warm", "Eli", None),  # 2: the card is up already: "due now"
    ("U0ALICE", "warm", "Fay", None),  # 3: the card, held for Alice's quiet hours
    ("U0ALICE", "hot", "Gus", None),  # 4: an urgent tier's card goes at once
    ("U0BO", "warm", None, None),  # 5: the owner's reminder (no name: the email is shown)
    ("U0BO", "warm", "Ida", None),  # 6: the manager's, by DM
    ("U0CHEN", "warm", "Jo", None),  # 7: no manager: the managers' channel
    ("U0BO", "warm", "Kim", None),  # 8: the first contact is late: the owner's reminder
    ("U0BO", "warm", "Lou", 150 * MINUTE),  # 9: snoozed: the timer waits with the lead
    ("U0BO", "warm", "Max", None),  # 10: the chain has run: no timer
    ("U0BO", "warm", "Ned", None),  # 11: not due yet
    ("U0BO", "warm", "Oda", None),  # 12: done, with a stale timer
    ("U0ALICE", "warm", "Pia", None),  # 13: the owner's reminder, held for quiet hours
]
TASKS: list[tuple[int, int, timedelta, timedelta, str | None, str]] = [
    (1, 0, HOUR, -HOUR, None, TaskStatus.OPEN),
    (2, 0, HOUR, -HOUR, "1700000000.000200", TaskStatus.OPEN),
    (1, 0, HOUR, -HOUR, None, TaskStatus.OPEN),
    (1, 0, HOUR, -HOUR, None, TaskStatus.OPEN),
    (1, 1, 5 * HOUR, -HOUR, "1700000000.000500", TaskStatus.OPEN),
    (3, 2, 7 * HOUR, -HOUR, "1700000000.000600", TaskStatus.OPEN),
    (1, 2, 7 * HOUR, -HOUR, "1700000000.000700", TaskStatus.OPEN),
    (0, 0, HOUR / 2, -HOUR / 2, None, TaskStatus.OPEN),
    (1, 0, HOUR, -HOUR, None, TaskStatus.OPEN),
    (1, 3, 9 * HOUR, -HOUR, "1700000000.001000", TaskStatus.OPEN),
    (1, 0, -HOUR, HOUR, None, TaskStatus.OPEN),
    (1, 0, HOUR, -HOUR, None, TaskStatus.DONE),
    (2, 1, 5 * HOUR, -HOUR, "1700000000.001300", TaskStatus.OPEN),
]


@pytest.fixture
def sweeper(database_url: str) -> TaskSweeper:
    db = Database(database_url)
    db.upgrade()
    config = make_config(reps=REPS, tiers=TIERS)
    sweeper = TaskSweeper(Deps.create(db, config, FixedClock(NOW)))
    sweeper.sweep()  # the reps' agendas, before any task: the rows below are the tasks' own
    with db.engine.begin() as conn:
        conn.execute(insert(Lead.__table__), [_lead(i, *lead) for i, lead in enumerate(LEADS, 1)])
        conn.execute(insert(Task.__table__), [_task(i, *task) for i, task in enumerate(TASKS, 1)])
    return sweeper


def _lead(
    i: int, owner: str, tier: str, name: str | None, snoozed: timedelta | None
) -> dict[str, Any]:
    at = NOW - timedelta(days=2)
    return {
        "id": i, "source": "website", "external_id": f"s-{i}", "name": name,
        "email": f"lead{i}@northwind.test", "company": "Northwind" if i % 2 else None,
        "tier": tier, "fields": {}, "chain": [], "routing_reason": "test",
        "status": LeadStatus.CLAIMED, "owner_id": owner, "claimed_by": owner, "version": 2,
        "received_at": at, "created_at": at, "claimed_at": at,
        "snoozed_until": NOW + snoozed if snoozed else None,
    }  # fmt: skip


def _task(
    i: int, step: int, overdue: int, before: timedelta, after: timedelta, ts: str | None,
    status: str,
) -> dict[str, Any]:  # fmt: skip
    return {
        "id": i, "lead_id": i, "owner_id": LEADS[i - 1][0], "cadence": "default" if step else None,
        "step": step, "steps": 6, "day": step or None, "channels": ["email", "call"],
        "template": "intro" if step else None, "final": False, "due_at": NOW - before,
        "status": status, "next_action_at": NOW + after, "overdue_step": overdue, "version": 3,
        "created_at": NOW - timedelta(days=2), "card_ts": ts, "card_channel": "D0" if ts else None,
    }  # fmt: skip


def writes(db: Database, since: int) -> tuple[list[tuple[Any, ...]], ...]:
    """The outbox rows and events after outbox id `since`, and every task's timer."""
    with db.read() as session:
        outbox = session.execute(
            select(OutboxMessage.lead_id, OutboxMessage.kind, OutboxMessage.copy_kind,
                   OutboxMessage.target, OutboxMessage.lane, OutboxMessage.priority,
                   OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.maybe_sent,
                   OutboxMessage.card_copy_id, OutboxMessage.created_at,
                   OutboxMessage.next_attempt_at, OutboxMessage.payload)
            .where(OutboxMessage.id > since).order_by(OutboxMessage.id)
        ).all()  # fmt: skip
        events = session.execute(
            select(LeadEvent.lead_id, LeadEvent.at, LeadEvent.actor, LeadEvent.kind,
                   LeadEvent.detail).order_by(LeadEvent.id)
        ).all()  # fmt: skip
        timers = session.execute(
            select(Task.id, Task.overdue_step, Task.next_action_at, Task.version).order_by(Task.id)
        ).all()
    return (
        [(*row[:10], as_utc(row[10]), as_utc(row[11]), row[12]) for row in outbox],
        [(row[0], as_utc(row[1]), *row[2:]) for row in events],
        [(i, step, as_utc(at) if at else None, version) for i, step, at, version in timers],
    )


def _message(text: str, task: int) -> dict[str, Any]:
    return {"text": text, "buttons": [], "lines": [], "guard": {"task": task}, "alert": False}


def _dm(lead: int, kind: str, to: str, payload: dict[str, Any], held: bool = False) -> tuple:
    return (lead, kind, "dm", to, to, 2, "pending", 0, False, None, NOW,
            ALICE_MORNING if held else NOW, payload)  # fmt: skip


ALICE_MORNING = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 07:00 in Berlin: her quiet hours end
OUTBOX = [
    _dm(1, "task_card", "U0BO", {"task_id": 1}),
    _dm(2, "message", "U0BO", _message("📌 Due now: Day 2 for *Eli* (the card is above).", 2)),
    _dm(3, "task_card", "U0ALICE", {"task_id": 3}, held=True),
    _dm(4, "task_card", "U0ALICE", {"task_id": 4}),
    _dm(5, "message", "U0BO", _message(
        "⏰ <@U0BO>, Day 1 of the cadence (email + call) for *lead5@northwind.test* (Northwind)"
        " #5 is 5h overdue.", 5)),
    _dm(6, "message", "U0MAYA", _message(
        "📣 <@U0BO> has not done Day 3 of the cadence (email + call) for *Ida* #6: 7h overdue.",
        6)),
    (7, "message", "channel", "C0MGRS", "C0MGRS", 3, "pending", 0, False, None, NOW, NOW,
     _message("📣 <@U0CHEN> has not done Day 1 of the cadence (email + call) for *Jo*"
              " (Northwind) #7: 7h overdue.", 7)),
    _dm(13, "message", "U0ALICE", _message(
        "⏰ <@U0ALICE>, Day 2 of the cadence (email + call) for *Pia* (Northwind) #13 is 5h"
        " overdue.", 13), held=True),
    _dm(8, "message", "U0BO", _message(
        "⏰ <@U0BO>, you claimed *Kim* #8 and no contact is logged yet (30m past the goal)."
        " Reach out now, then log it on the card.", 8)),
]  # fmt: skip
EVENTS = [
    (2, NOW, "leadbot", "task_due", {"task": 2, "step": 2}),
    (5, NOW, "leadbot", "task_reminded", {"task": 5, "step": 1, "to": "U0BO"}),
    (6, NOW, "leadbot", "task_reminded", {"task": 6, "step": 3, "to": "U0MAYA"}),
    (7, NOW, "leadbot", "task_reminded", {"task": 7, "step": 1, "to": "C0MGRS"}),
    (13, NOW, "leadbot", "task_reminded", {"task": 13, "step": 2, "to": "U0ALICE"}),
    (8, NOW, "leadbot", "task_reminded", {"task": 8, "step": 0, "to": "U0BO"}),
]
TIMERS = [  # (task, overdue step, timer, version)
    (1, 1, NOW + 3 * HOUR, 4),  # the card went: the owner's reminder 4 h after it was due
    (2, 1, NOW + 3 * HOUR, 4),
    (3, 1, NOW + 3 * HOUR, 4),
    (4, 1, NOW + 3 * HOUR, 4),
    (5, 2, NOW + HOUR, 4),  # the manager's, 2 h after the owner's
    (6, 3, None, 4),
    (7, 3, None, 4),
    (8, 1, NOW + 90 * MINUTE, 4),
    (9, 0, NOW + 150 * MINUTE, 4),  # snoozed: looked at again when the snooze ends
    (10, 3, None, 4),
    (11, 0, NOW + HOUR, 3),  # not due: untouched
    (12, 0, NOW - HOUR, 3),  # done: untouched
    (13, 2, NOW + HOUR, 4),
]


def test_a_tick_writes_each_entry_once(sweeper: TaskSweeper) -> None:
    with sweeper.db.read() as session:
        since = session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0))) or 0
    assert sweeper.sweep() == 9
    assert writes(sweeper.db, since) == (OUTBOX, EVENTS, TIMERS)
    assert sweeper.sweep() == 0  # the same moment again: nothing is due any more
    assert writes(sweeper.db, since) == (OUTBOX, EVENTS, TIMERS)


def test_a_timer_is_written_only_over_the_version_read(sweeper: TaskSweeper) -> None:
    """The guard without the tick's lock: a task changed since it was read (version 3 now, 2
    read) keeps what the change wrote; the other's step and timer move and its version is
    bumped. Every timer None: the chains have run (an array of NULLs on PostgreSQL)."""
    db = sweeper.db
    with db.write() as session:
        stale, current = Timer(11, 2, 3, None), Timer(1, 3, 1, None)
        write_timers(session, [stale, current], postgres=not db.is_sqlite)
    _, _, timers = writes(db, 0)
    assert timers[10] == TIMERS[10]
    assert timers[0] == (1, 1, None, 4)


def test_a_tick_locks_its_tasks_and_not_their_leads(sweeper: TaskSweeper) -> None:
    """PostgreSQL: a task another transaction holds is left to a later tick (SKIP LOCKED), and a
    lead another one reads under FOR SHARE does not keep its task from the tick: only the
    tasks are locked (`FOR UPDATE OF tasks`), as when the leads were read apart."""
    db = sweeper.db
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: there is nothing to skip")
    with db.read() as session:
        since = session.scalar(select(func.max(OutboxMessage.id))) or 0
    with db.engine.connect() as other:
        other.execute(select(Task.id).where(Task.id == 3).with_for_update())
        other.execute(select(Lead.id).where(Lead.id == 1).with_for_update(read=True))
        assert sweeper.sweep() == 8  # task 3 is Alice's held card
        other.rollback()
    assert sweeper.sweep() == 1
    outbox, events, timers = writes(db, since)
    held = [row for row in OUTBOX if row[0] == 3]
    assert (outbox, events, timers) == ([r for r in OUTBOX if r[0] != 3] + held, EVENTS, TIMERS)


def test_a_persons_zone_is_asked_of_the_config_in_force(sweeper: TaskSweeper) -> None:
    """`Agenda.zone` keeps `Config.tz_for`'s answers while the config is the same object."""
    agenda = sweeper.agenda
    assert agenda.zone("U0ALICE").key == "Europe/Berlin"
    assert agenda.zone("U0NOBODY").key == "America/New_York"  # not a person: the default
    moved = [{**REPS[0], "timezone": "Asia/Tokyo"}, *REPS[1:]]
    agenda.config = make_config(reps=moved, tiers=TIERS)
    assert agenda.zone("U0ALICE").key == "Asia/Tokyo"
