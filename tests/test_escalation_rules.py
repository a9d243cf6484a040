"""Quiet hours, snooze, catch-up and snapshots, through the fake Slack with a virtual clock."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack, RecordedCall
from bot.leads.input import parse_lead
from bot.settings import Settings
from storage.models import LeadEvent, OutboxMessage
from tests.conftest import BASE_CONFIG, make_config, start_bot
from tests.fakes.harness import Harness

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


def lead(n: int, **extra: object):
    data = {"external_id": f"q-{n}", "name": f"Lead {n}", "company": "Acme", **extra}
    return parse_lead(data, ["hot", "warm", "cold"])


def tick(bot: Harness, clock: FixedClock, moment: datetime) -> None:
    bot.settle()
    clock.set(moment)
    bot.app.services.escalator.sweep()
    bot.settle()


def test_reminders_in_quiet_hours_wait_for_morning_as_one_message(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    clock = FixedClock(EVENING_BERLIN)
    config = make_config(reps=ALICE_ONLY, escalation=REMINDERS_ONLY, channels={"queue": "C0QUEUE"})
    bot = start_bot(fake_slack, sqlite_url, config, clock=clock)
    try:
        bot.app.services.leads.receive(lead(1))
        bot.app.services.leads.receive(lead(2))
        bot.settle()
        cards = len(ok_posts(fake_slack))
        for hours in (0.5, 2, 6, 11.4):  # up to 07:54 Berlin the next morning
            tick(bot, clock, EVENING_BERLIN + timedelta(hours=hours))
        assert len(ok_posts(fake_slack)) == cards  # four reminders due, none sent at night
        tick(bot, clock, datetime(2026, 11, 24, 7, 0, tzinfo=UTC))  # 08:00 Berlin
        morning = ok_posts(fake_slack)[cards:]
        assert len(morning) == 1
        text = str(morning[0].args["blocks"])
        assert morning[0].args["text"].startswith("🌅 <@U0ALICE>, 4 reminders came in")
        assert text.count("Lead 1") == 2 and text.count("Lead 2") == 2
        tick(bot, clock, datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
        assert len(ok_posts(fake_slack)) == cards + 1  # delivered once
    finally:
        bot.app.stop()


def test_an_urgent_tier_breaks_through_quiet_hours(fake_slack: FakeSlack, sqlite_url: str) -> None:
    clock = FixedClock(EVENING_BERLIN)
    tiers = [{"name": "hot", "respond_within": "5m", "urgent": True},
             {"name": "warm", "respond_within": "1h"}]  # fmt: skip
    config = make_config(reps=ALICE_ONLY, tiers=tiers, escalation=REMINDERS_ONLY)
    bot = start_bot(fake_slack, sqlite_url, config, clock=clock)
    try:
        bot.app.services.leads.receive(lead(1, tier="hot"))
        bot.settle()
        tick(bot, clock, EVENING_BERLIN + timedelta(minutes=30))
        reminder = ok_posts(fake_slack)[-1]
        assert reminder.args["text"].startswith("👋 <@U0ALICE>")
    finally:
        bot.app.stop()


def test_snooze_pauses_reminders_but_not_the_manager_past_max_delay(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    clock = FixedClock(start)
    bot = start_bot(fake_slack, sqlite_url, make_config(), clock=clock)
    try:
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
    finally:
        bot.app.stop()


def test_after_downtime_each_overdue_step_runs_once_and_late_ones_are_logged(
    fake_slack: FakeSlack, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    clock = FixedClock(start)
    bot = start_bot(fake_slack, sqlite_url, make_config(), clock=clock)
    try:
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
    finally:
        bot.app.stop()


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


def test_reassign_channel_alert_and_repeated_queue_reminders(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    start = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    clock = FixedClock(start)
    chain = [
        {"after": "15m", "do": ["reassign"]},
        {"after": "30m", "do": ["notify_channel"], "channel": "C0ALERTS"},
        {"after": "1h", "do": ["move_to_queue"], "repeat": 2, "every": "1h"},
    ]
    bot = start_bot(fake_slack, sqlite_url, make_config(escalation=chain), clock=clock)
    try:
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
    finally:
        bot.app.stop()


def test_leads_snooze_command(fake_slack: FakeSlack, sqlite_url: str) -> None:
    bot = start_bot(fake_slack, sqlite_url)
    try:
        bot.post_lead({"external_id": "c-1", "name": "Dana"})
        answers = []
        for text, user_id in [
            ("snooze #1 90m", "U0ALICE"),
            ("snooze 1 soon", "U0ALICE"),
            ("snooze 1", "U0ALICE"),
            ("snooze 1 1h", "U0BO"),
        ]:
            bot.command(text, user_id)
            answers.append(fake_slack.wait_for("response_url", count=len(answers) + 1)[-1])
        answers = [call.args["text"] for call in answers]
        assert answers[0].startswith("💤 Lead #1 snoozed until <!date^")
        assert answers[1] == (
            "'soon' is not a duration: use a number and a unit s, m, h or d, e.g. 90s, 15m, "
            "1h30m (usage: `/leads snooze <lead> <duration>`, e.g. `/leads snooze 42 1h` or "
            "`tomorrow`)"
        )
        assert answers[2].startswith("usage: `/leads snooze <lead> <duration>`")
        assert answers[3] == "Only the lead's owner (<@U0ALICE>) or a manager can snooze lead #1."
    finally:
        bot.app.stop()
