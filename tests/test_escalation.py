"""End to end through the fake Slack with a virtual clock: the chain fires in order, once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from blocks import ids
from bot.clock import FixedClock
from bot.escalation.sweep import Escalator
from bot.fakeslack.server import FakeSlack, RecordedCall
from bot.services import Deps
from storage.models import Lead, LeadEvent, OutboxMessage
from tests.conftest import make_config, start_bot
from tests.fakes.harness import Harness

MONDAY_9_NY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
LEAD = {"external_id": "e-1", "source": "website", "name": "Dana", "company": "Northwind"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_9_NY)


@pytest.fixture
def slow_bot(fake_slack: FakeSlack, database_url: str, clock: FixedClock) -> Iterator[Harness]:
    harness = start_bot(fake_slack, database_url, make_config(), clock=clock)
    yield harness
    harness.app.stop()


def posts(fake: FakeSlack) -> list[RecordedCall]:
    return [c for c in fake.calls("chat.postMessage") if c.response.get("ok")]


def step_to(bot: Harness, clock: FixedClock, after: timedelta) -> None:
    # Let deliveries finish first: on PostgreSQL the sweep skips rows another transaction holds.
    bot.settle()
    clock.set(MONDAY_9_NY + after)
    bot.app.services.escalator.sweep()


def test_unclaimed_lead_walks_the_whole_chain_in_order(
    slow_bot: Harness, clock: FixedClock
) -> None:
    bot = slow_bot
    bot.post_lead(LEAD)
    bot.card_posts(2)
    alice_dm = bot.dm_channel("U0ALICE")

    step_to(bot, clock, timedelta(minutes=29))
    assert len(posts(bot.fake)) == 2  # nothing is due before 30 minutes

    step_to(bot, clock, timedelta(minutes=30))
    gentle = bot.card_posts(3)[2]
    assert gentle.response["channel"] == alice_dm
    assert gentle.args["text"].startswith(
        "👋 <@U0ALICE>, *Dana* (Northwind) #1 has been waiting 30m"
    )
    assert [e["action_id"] for e in gentle.args["blocks"][1]["elements"]] == [ids.CLAIM, ids.SNOOZE]

    step_to(bot, clock, timedelta(hours=2))
    direct = bot.card_posts(4)[3]
    assert direct.response["channel"] == alice_dm
    assert direct.args["text"].startswith("⏰ <@U0ALICE>, *Dana* (Northwind) #1 has waited 2h")

    step_to(bot, clock, timedelta(hours=4))
    later = bot.card_posts(6)[4:]
    manager_dm = bot.dm_channel("U0MAYA")
    assert sorted(c.response["channel"] for c in later) == sorted([manager_dm, "C0QUEUE"])
    to_manager = next(c for c in later if c.response["channel"] == manager_dm)
    assert "still unclaimed after 4h" in to_manager.args["text"]
    assert "Owner: <@U0ALICE>" in to_manager.args["text"]

    step_to(bot, clock, timedelta(hours=9))
    assert len(posts(bot.fake)) == 6  # the chain is over: nothing more, however long it waits
    _wait_for_card(bot, alice_dm, "Moved to the shared queue")
    with bot.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        assert lead is not None
        assert (lead.status, lead.owner_id, lead.escalation_step) == ("queued", None, 3)
        assert lead.sla_breached_at is not None
        kinds = session.scalars(select(LeadEvent.kind).order_by(LeadEvent.id)).all()
    assert kinds == [
        "received",
        "assigned",
        "reminded",
        "sla_breached",
        "reminded",
        "manager_notified",
        "queued",
    ]
    assert bot.fake.problems() == []


def test_a_claim_between_steps_stops_the_rest(slow_bot: Harness, clock: FixedClock) -> None:
    bot = slow_bot
    bot.post_lead(LEAD)
    bot.card_posts(2)
    step_to(bot, clock, timedelta(minutes=30))
    bot.card_posts(3)
    clock.set(MONDAY_9_NY + timedelta(minutes=45))
    bot.click(ids.CLAIM, 1, "U0ALICE", bot.dm_card("U0ALICE", 1))
    bot.fake.wait_for("chat.update", where=lambda c: "Claimed by" in json.dumps(c.args["blocks"]))
    for hours in (2, 4, 8):
        step_to(bot, clock, timedelta(hours=hours))
    assert len(posts(bot.fake)) == 3
    with bot.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        assert lead is not None
        assert lead.next_action_at is None
        assert (lead.claim_wait_seconds, lead.claim_business_wait_seconds) == (2700.0, 2700.0)


def test_a_nudge_written_before_a_claim_is_never_sent_after_it(
    fake_slack: FakeSlack, sqlite_url: str, clock: FixedClock
) -> None:
    """The step committed, then the claim: the dispatcher's guard drops the stale reminder."""
    bot = start_bot(fake_slack, sqlite_url, make_config(), clock=clock)
    try:
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
    finally:
        bot.app.stop()


def test_racing_sweeps_never_double_send(
    fake_slack: FakeSlack, database_url: str, clock: FixedClock
) -> None:
    bot = start_bot(fake_slack, database_url, make_config(), clock=clock)
    try:
        for i in range(30):
            bot.app.services.leads.receive(_lead_in(f"race-{i}"))
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
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "message")
            )
        assert (reminded, messages) == (30, 30)
    finally:
        bot.app.stop()


def _lead_in(external_id: str = "e-1"):
    from bot.leads.input import parse_lead

    return parse_lead({**LEAD, "external_id": external_id}, ["hot", "warm", "cold"])


def _wait_for_card(bot: Harness, channel: str, text: str) -> None:
    bot.fake.wait_for(
        "chat.update",
        where=lambda c: c.args["channel"] == channel and text in json.dumps(c.args["blocks"]),
    )


def test_a_reminder_for_a_rep_who_passed_the_lead_is_dropped_at_send_time(
    fake_slack: FakeSlack, sqlite_url: str, clock: FixedClock
) -> None:
    bot = start_bot(fake_slack, sqlite_url, make_config(), clock=clock)
    try:
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
    finally:
        bot.app.stop()
