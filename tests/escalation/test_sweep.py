"""The sweep (bot/escalation/sweep.py) on a virtual clock: a nudge queued before a claim or a
pass is never sent, racing sweepers never double-send, overdue steps run once after downtime,
and a lead keeps the chain it started with."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from bot.app import create_app
from bot.clock import FixedClock, as_utc
from bot.escalation.sweep import Escalator
from bot.fakeslack.server import FakeSlack, RecordedCall
from bot.leads.input import LeadIn
from bot.services import Deps
from bot.settings import Settings
from storage.models import LeadEvent, OutboxMessage
from tests.conftest import BASE_CONFIG, MakeBot, make_config
from tests.escalation.conftest import lead, tick

MONDAY_9_NY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
LEAD = {"external_id": "e-1", "source": "website", "name": "Dana", "company": "Northwind"}


@pytest.fixture
def clock_start() -> datetime:
    """Monday 09:00 in New York: the chain starts in office hours."""
    return MONDAY_9_NY


def posts(fake: FakeSlack) -> list[RecordedCall]:
    return [c for c in fake.calls("chat.postMessage") if c.response.get("ok")]


def test_a_nudge_written_before_a_claim_is_never_sent_after_it(
    make_bot: MakeBot, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    """The step committed, then the claim: the dispatcher's guard drops the stale reminder."""
    bot = make_bot(clock=clock)
    bot.app.services.dispatcher.stop()  # hold delivery so both commits land first
    bot.app.services.leads.receive(_lead_in())
    bot.app.services.dispatcher.run_once()
    clock.set(MONDAY_9_NY + timedelta(minutes=30))
    assert bot.app.services.escalator.sweep().steps == 1
    assert bot.app.services.leads.claim(1, "U0ALICE").ok
    bot.app.services.dispatcher.run_once()
    assert not any("👋" in c.args.get("text", "") for c in posts(fake_slack))
    with bot.app.services.db.read() as session:
        statuses = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.kind == "message")
        ).all()
        dropped = session.scalars(
            select(LeadEvent.detail).where(LeadEvent.kind == "nudge_dropped")
        ).all()
    assert statuses == ["cancelled"]
    # The card said "reminded @Alice" although she never was: now it says only what went out.
    assert dropped == [{"to": "U0ALICE", "reason": "lead claimed"}]
    for card in posts(fake_slack):  # each copy as it reads now
        shown = fake_slack.message(card.response["channel"], card.response["ts"])
        assert shown is not None and "reminded" not in str(shown["blocks"])


def test_racing_sweeps_never_double_send(
    make_bot: MakeBot, database_url: str, clock: FixedClock
) -> None:
    bot = make_bot(url=database_url, clock=clock)
    for i in range(30):
        bot.app.services.leads.receive(_lead_in(f"race-{i}"))
    # Cards first: recording a posted card locks its lead for a moment, and a sweep skips locked
    # leads (SKIP LOCKED; the next tick takes them). The race here is between the sweepers.
    bot.settle()
    clock.set(MONDAY_9_NY + timedelta(minutes=31))
    services = bot.app.services
    sweepers = [
        Escalator(Deps.create(services.db, services.config, clock, services.dispatcher.wake))
        for _ in range(4)
    ]
    gate = threading.Barrier(len(sweepers))

    def run(sweeper: Escalator) -> None:
        gate.wait()
        sweeper.sweep()

    threads = [threading.Thread(target=run, args=(s,)) for s in sweepers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with services.db.read() as session:
        reminded = session.scalar(
            select(func.count()).select_from(LeadEvent).where(LeadEvent.kind == "reminded")
        )
        messages = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "message")
        )
    assert (reminded, messages) == (30, 30)


def _lead_in(external_id: str = "e-1") -> LeadIn:
    from bot.leads.input import parse_lead

    return parse_lead({**LEAD, "external_id": external_id}, ["hot", "warm", "cold"])


def test_a_reminder_for_a_rep_who_passed_the_lead_is_dropped_at_send_time(
    make_bot: MakeBot, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    bot = make_bot(clock=clock)
    bot.app.services.dispatcher.stop()
    bot.app.services.leads.receive(_lead_in())
    bot.app.services.dispatcher.run_once()
    clock.set(MONDAY_9_NY + timedelta(minutes=30))
    assert bot.app.services.escalator.sweep().steps == 1  # a reminder for Alice is queued
    assert bot.app.services.leads.pass_lead(1, "U0ALICE").ok  # ... and she passes first
    bot.app.services.dispatcher.run_once()
    assert not any("👋" in c.args.get("text", "") for c in posts(fake_slack))
    with bot.app.services.db.read() as session:
        statuses = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.kind == "message")
        ).all()
        dropped = session.scalars(
            select(LeadEvent.detail).where(LeadEvent.kind == "nudge_dropped")
        ).all()
    assert statuses == ["cancelled"]
    # The card said "reminded @Alice" although she never was: now it says only what went out.
    assert dropped == [{"to": "U0ALICE", "reason": "lead moved on"}]
    for card in posts(fake_slack):  # each copy as it reads now
        shown = fake_slack.message(card.response["channel"], card.response["ts"])
        assert shown is not None and "reminded" not in str(shown["blocks"])


def test_after_downtime_overdue_steps_run_one_at_a_time_and_each_reaches_its_person(
    make_bot: MakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Back after five hours down, the three overdue steps used to run in one tick: the queue
    step overtook both owner reminders, which were dropped unsent while the card said the rep
    had been reminded. Now they run 30 s apart, and each goes out."""
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    clock = FixedClock(start)
    bot = make_bot(clock=clock)
    bot.app.services.leads.receive(lead(1))
    bot.settle()
    caplog.set_level(logging.WARNING, logger="bot.escalation")
    back = start + timedelta(hours=5)
    for seconds in (0, 10, 30, 60, 90):
        tick(bot, clock, back + timedelta(seconds=seconds))
    with bot.app.services.db.read() as session:
        events = session.execute(
            select(LeadEvent.kind, LeadEvent.at)
            .where(LeadEvent.kind.in_(["reminded", "manager_notified"]))
            .order_by(LeadEvent.id)
        ).all()
        messages = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.kind == "message")
        ).all()
    after_back = [(kind, as_utc(at) - back) for kind, at in events]
    assert after_back == [
        ("reminded", timedelta(0)),
        ("reminded", timedelta(seconds=30)),
        ("manager_notified", timedelta(seconds=60)),
    ]
    assert messages == ["sent", "sent", "sent"]  # every reminder reached the owner
    late = [r.getMessage() for r in caplog.records if "late" in r.getMessage()]
    assert late == [
        "lead 1: step 1 is 4h 30m late (after a restart?); running it once now",
        "lead 1: step 2 is 3h late (after a restart?); running it once now",  # 3h 30s, shown in m
        "lead 1: step 3 is 1h 1m late (after a restart?); running it once now",
    ]


def test_leads_in_flight_keep_the_chain_they_started_with(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    clock = FixedClock(start)
    settings = Settings(
        slack_bot_token="xoxb-t", slack_api_url=fake_slack.url, database_url=sqlite_url
    )
    first = create_app(settings, make_config(), clock=clock)
    first.services.leads.receive(lead(1))
    first.stop()
    edited = {**BASE_CONFIG, "escalation": [{"after": "10m", "do": ["notify_manager"]}]}
    second = create_app(settings, make_config(**edited), clock=clock)
    try:
        clock.set(start + timedelta(minutes=15))
        assert second.services.escalator.sweep().steps == 0  # the new 10m step is not this lead's
        clock.set(start + timedelta(minutes=30))
        assert second.services.escalator.sweep().steps == 1
        with second.services.db.read() as session:
            assert "reminded" in session.scalars(select(LeadEvent.kind)).all()
    finally:
        second.stop()


def test_the_tick_writes_its_leads_by_primary_key_not_by_walking_the_open_ones(
    make_bot: MakeBot, clock: FixedClock
) -> None:
    """With `status IN (open)` in the guard, SQLite's planner walked ix_leads_status_owner over
    every open lead (bench/sweep_bench.py: 2.4 ms of a tick at 10,000 open, growing with the
    backlog). The plan of the tick's one write of its leads, as the sweep sends it, must use
    the primary key."""
    bot = make_bot(clock=clock)
    if not bot.app.services.db.is_sqlite:
        pytest.skip("SQLite's planner")
    bot.app.services.dispatcher.stop()  # no cards needed: only the sweep's statements
    for i in range(100):  # the planner weighs the length of the `id IN` list
        bot.app.services.leads.receive(_lead_in(f"plan-{i}"))
    guards: list[tuple[str, object]] = []

    def capture(*args: object) -> None:  # conn, cursor, statement, parameters, context, many
        statement = str(args[2])
        if statement.startswith("UPDATE leads SET version"):
            guards.append((statement, args[3]))

    engine = bot.app.services.db.engine
    event.listen(engine, "before_cursor_execute", capture)
    clock.set(MONDAY_9_NY + timedelta(minutes=31))
    try:
        assert bot.app.services.escalator.sweep().steps == 100
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    [(statement, params)] = guards  # one statement for the tick: an executemany of 100 rows
    assert isinstance(params, list) and len(params) == 100
    with engine.connect() as conn:
        explained = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params[0])
        plan = " ".join(str(row[-1]) for row in explained)
    assert "PRIMARY KEY" in plan, plan
    assert "ix_leads_status" not in plan, plan
