"""What the escalation actions do (bot/escalation/actions.py), through the fake Slack with a
virtual clock: quiet hours hold reminders until morning, urgent tiers break through, a snooze
pauses reminders but not the manager, reassign, channel alerts and repeated queue reminders."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack, RecordedCall
from storage.models import LeadEvent
from tests.conftest import MakeBot, make_config
from tests.escalation.conftest import lead, tick

# 20:30 in Berlin on Monday 23 November 2026 (CET, UTC+1).
EVENING_BERLIN = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)
ALICE_ONLY = [
    {"id": "U0ALICE", "name": "Alice", "timezone": "Europe/Berlin", "manager": "U0MAYA",
     "quiet_hours": "20:00-08:00"},
]  # fmt: skip
REMINDERS_ONLY = [
    {"after": "30m", "do": ["remind_owner"], "tone": "gentle"},
    {"after": "2h", "do": ["remind_owner"], "tone": "direct"},
]


def ok_posts(fake: FakeSlack) -> list[RecordedCall]:
    return [c for c in fake.calls("chat.postMessage") if c.response.get("ok")]


def test_reminders_in_quiet_hours_wait_for_morning_as_one_message(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    clock = FixedClock(EVENING_BERLIN)
    config = make_config(reps=ALICE_ONLY, escalation=REMINDERS_ONLY, channels={"queue": "C0QUEUE"})
    bot = make_bot(config, clock=clock)
    bot.app.services.leads.receive(lead(1))
    bot.app.services.leads.receive(lead(2))
    bot.settle()
    for hours in (0.5, 2, 6, 11.4):  # up to 07:54 Berlin the next morning
        tick(bot, clock, EVENING_BERLIN + timedelta(hours=hours))
    # Neither the two new-lead cards nor the four reminders due reach her at night.
    assert ok_posts(fake_slack) == []
    tick(bot, clock, datetime(2026, 11, 24, 7, 0, tzinfo=UTC))  # 08:00 Berlin
    morning = ok_posts(fake_slack)
    assert [call.args["text"][:13] for call in morning] == [
        "🌤 Warm lead #",
        "🌤 Warm lead #",
        "🌅 <@U0ALICE>,",
    ]
    digest = morning[2]
    text = str(digest.args["blocks"])
    assert digest.args["text"].startswith("🌅 <@U0ALICE>, 4 reminders came in")
    assert text.count("Lead 1") == 2 and text.count("Lead 2") == 2
    tick(bot, clock, datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert len(ok_posts(fake_slack)) == 3  # each delivered once


def test_an_urgent_tier_breaks_through_quiet_hours(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    clock = FixedClock(EVENING_BERLIN)
    tiers = [{"name": "hot", "respond_within": "5m", "urgent": True},
             {"name": "warm", "respond_within": "1h"}]  # fmt: skip
    config = make_config(reps=ALICE_ONLY, tiers=tiers, escalation=REMINDERS_ONLY)
    bot = make_bot(config, clock=clock)
    bot.app.services.leads.receive(lead(1, tier="hot"))
    bot.settle()
    tick(bot, clock, EVENING_BERLIN + timedelta(minutes=30))
    reminder = ok_posts(fake_slack)[-1]
    assert reminder.args["text"].startswith("👋 <@U0ALICE>")


def test_snooze_pauses_reminders_but_not_the_manager_past_max_delay(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    clock = FixedClock(start)
    bot = make_bot(clock=clock)
    services = bot.app.services
    services.leads.receive(lead(1))
    bot.settle()
    cards = len(ok_posts(fake_slack))
    clock.set(start + timedelta(minutes=10))
    assert services.leads.snooze(1, "U0ALICE", start + timedelta(days=2)).ok
    for minutes in (30, 120, 240, 359):
        tick(bot, clock, start + timedelta(minutes=minutes))
    assert len(ok_posts(fake_slack)) == cards  # reminders wait; the manager step waits 2h
    tick(bot, clock, start + timedelta(hours=6))  # original 4h + max_delay 2h
    targets = sorted(c.args["channel"] for c in ok_posts(fake_slack)[cards:])
    assert targets == sorted(["C0QUEUE", bot.dm_channel("U0MAYA")])
    with services.db.read() as session:
        kinds = session.scalars(select(LeadEvent.kind).order_by(LeadEvent.id)).all()
    assert kinds[-2:] == ["manager_notified", "queued"]
    assert "reminded" not in kinds


def test_reassign_channel_alert_and_repeated_queue_reminders(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    clock = FixedClock(start)
    chain = [
        {"after": "15m", "do": ["reassign"]},
        {"after": "30m", "do": ["notify_channel"], "channel": "C0ALERTS"},
        {"after": "1h", "do": ["move_to_queue"], "repeat": 2, "every": "1h"},
    ]
    bot = make_bot(make_config(escalation=chain), clock=clock)
    bot.app.services.leads.receive(lead(1))
    bot.settle()
    tick(bot, clock, start + timedelta(minutes=15))
    bo_card = bot.dm_card("U0BO", 1)
    assert "Claim" in str(bo_card.args["blocks"])
    alice_card = bot.dm_card("U0ALICE", 1)
    alice_now = fake_slack.message(alice_card.response["channel"], alice_card.response["ts"])
    assert alice_now is not None
    assert "Reassigned to <@U0BO> after 15m without a claim" in str(alice_now["blocks"])
    tick(bot, clock, start + timedelta(minutes=30))
    alert = ok_posts(fake_slack)[-1]
    assert alert.args["channel"] == "C0ALERTS"
    assert alert.args["text"].startswith("⚠️ *Lead 1* (Acme) #1 is unclaimed after 30m")
    for hours in (1, 2, 3, 4, 5):
        tick(bot, clock, start + timedelta(hours=hours))
    queue = [c for c in ok_posts(fake_slack) if c.args["channel"] == "C0QUEUE"]
    assert len(queue) == 3  # the card, then two reminders an hour apart
    assert all(c.args["text"].startswith("📥 Still unclaimed: *Lead 1*") for c in queue[1:])


def test_a_template_that_fails_on_one_lead_stops_nothing(
    make_bot: MakeBot, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """It passes the config check (nothing unsafe, and the sample lead is not hot), then fails
    on a hot lead: that reminder goes out in the built-in words, the log names the lead, the
    admins are told, and the other lead's reminder is the admin's."""
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    clock = FixedClock(start)
    gentle = "{% if tier == 'hot' %}{{ 1 // 0 }}{% endif %}Psst {{ owner }}: {{ lead }}"
    config = make_config(escalation=REMINDERS_ONLY, templates={"remind_owner_gentle": gentle})
    bot = make_bot(config, clock=clock)
    bot.app.services.leads.receive(lead(1, tier="hot"))
    bot.app.services.leads.receive(lead(2, tier="warm"))
    tick(bot, clock, start + timedelta(minutes=31))
    texts = [c.args["text"] for c in ok_posts(fake_slack)]
    reminders = [t for t in texts if "#" in t and not t.startswith("⚠️")][-2:]
    assert sorted(reminders) == [
        "Psst <@U0BO>: *Lead 2* (Acme) #2",
        "👋 <@U0ALICE>, *Lead 1* (Acme) #1 has been waiting 31m."
        " The SLA is 5m: could you claim it?",
    ]
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.getMessage().startswith("template remind_owner_gentle failed for lead 1")
    told = [c.args["text"] for c in ok_posts(fake_slack) if c.args["text"].startswith("⚠️")]
    assert told == [
        "⚠️ The template `remind_owner_gentle` in leadbot.yml failed for lead #1"
        " (ZeroDivisionError: integer division or modulo by zero): leadbot used its built-in"
        " words. Fix the template, then check it with `leadbot config check`."
    ]
