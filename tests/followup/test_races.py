"""Exactly once (#12): four sweepers racing over the same due tasks (threads, and on
PostgreSQL `FOR UPDATE SKIP LOCKED`) queue each task card once, and planning a claim's tasks
twice in racing transactions creates each task once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from blocks import ids
from bot.clock import FixedClock
from bot.followup.sweep import TaskSweeper
from bot.services import Deps
from storage.followup import Task
from storage.models import Lead, OutboxMessage
from tests.conftest import MakeBot

MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def race(count: int, work: Callable[[int], object]) -> None:
    gate = threading.Barrier(count)

    def run(n: int) -> None:
        gate.wait()
        work(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_racing_task_sweepers_queue_each_card_once(make_bot: MakeBot, database_url: str) -> None:
    clock = FixedClock(MONDAY)
    bot = make_bot(url=database_url, clock=clock)
    services = bot.app.services
    for i in range(12):
        assert bot.post_lead({"external_id": f"r-{i}", "name": f"Lead {i}"})[0] == 201
    bot.settle()
    for i in range(1, 13):
        with services.db.read() as session:
            lead = session.get(Lead, i)
            assert lead is not None
            owner = lead.owner_id
        assert owner is not None and services.leads.claim(i, owner).ok
    sweepers = [
        TaskSweeper(Deps.create(services.db, services.config, clock, services.dispatcher.wake))
        for _ in range(4)
    ]
    race(len(sweepers), lambda n: sweepers[n].sweep())
    for sweeper in sweepers:  # whatever a sweeper skipped (locked) is taken by a later tick
        sweeper.sweep()
    with services.db.read() as session:
        cards = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "task_card")
        )
        due = session.scalar(
            select(func.count()).select_from(Task).where(Task.step == 1, Task.due_at <= MONDAY)
        )
    # Chen's four are not due yet: 23:00 in Singapore, outside the call's window (08-20).
    assert (cards, due) == (8, 8)


def test_racing_plans_of_one_claim_create_each_task_once(
    make_bot: MakeBot, database_url: str
) -> None:
    clock = FixedClock(MONDAY)
    bot = make_bot(url=database_url, clock=clock)
    assert bot.post_lead({"external_id": "r-1", "name": "Lead"})[0] == 201
    assert bot.click(ids.CLAIM, 1, "U0ALICE", bot.dm_card("U0ALICE", 1))[0] == 200
    services = bot.app.services

    def plan(_: int) -> None:
        with services.db.write() as session:
            lead = session.get(Lead, 1)
            assert lead is not None
            services.tasks.planner.on_claim(session, lead, "U0ALICE", clock.now() + timedelta())

    race(4, plan)
    with services.db.read() as session:
        steps = session.scalars(select(Task.step).order_by(Task.step)).all()
    assert steps == [0, 1]
