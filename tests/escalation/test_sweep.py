"""The sweep (bot/escalation/sweep.py) on a virtual clock: a nudge queued before a claim or a
pass is never sent, racing sweepers never double-send, overdue steps run once after downtime,
and a lead keeps the chain it started with."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.clock import FixedClock
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
    assert statuses == ["cancelled"]


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
    assert statuses == ["cancelled"]


def test_after_downtime_each_overdue_step_runs_once_and_late_ones_are_logged(
    make_bot: MakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    clock = FixedClock(start)
    bot = make_bot(clock=clock)
    bot.app.services.leads.receive(lead(1))
    bot.settle()
    caplog.set_level(logging.WARNING, logger="bot.escalation")
    tick(bot, clock, start + timedelta(hours=5))  # back after five hours down
    tick(bot, clock, start + timedelta(hours=5, minutes=1))
    with bot.app.services.db.read() as session:
        kinds = session.scalars(select(LeadEvent.kind).order_by(LeadEvent.id)).all()
        messages = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.kind == "message")
        ).all()
    assert kinds.count("reminded") == 2 and kinds.count("manager_notified") == 1
    # The owner reminders were written, but the lead had moved to the queue by send time.
    assert sorted(messages) == ["cancelled", "cancelled", "sent"]
    late = [r.getMessage() for r in caplog.records if "late" in r.getMessage()]
    assert late == [
        "lead 1: step 1 is 4h 30m late (after a restart?); running it once now",
        "lead 1: step 2 is 3h late (after a restart?); running it once now",
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
