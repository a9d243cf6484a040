"""The escalation chain end to end, on a virtual clock with real posting to the fake Slack:
every step fires in order, once, and a claim between steps stops the rest."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from blocks import ids
from bot.clock import FixedClock
from storage.models import Lead, LeadEvent
from tests.escalation.test_sweep import LEAD, MONDAY_9_NY, posts
from tests.fakes.harness import Harness


@pytest.fixture
def clock_start() -> datetime:
    """Monday 09:00 in New York: the chain starts in office hours."""
    return MONDAY_9_NY


def step_to(bot: Harness, clock: FixedClock, after: timedelta) -> None:
    # Let deliveries finish first: on PostgreSQL the sweep skips rows another transaction holds.
    bot.settle()
    clock.set(MONDAY_9_NY + after)
    bot.app.services.escalator.sweep()


def test_unclaimed_lead_walks_the_whole_chain_in_order(
    timed_bot: Harness, clock: FixedClock
) -> None:
    bot = timed_bot
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


def test_a_claim_between_steps_stops_the_rest(timed_bot: Harness, clock: FixedClock) -> None:
    bot = timed_bot
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


def _wait_for_card(bot: Harness, channel: str, text: str) -> None:
    bot.fake.wait_for(
        "chat.update",
        where=lambda c: c.args["channel"] == channel and text in json.dumps(c.args["blocks"]),
    )
