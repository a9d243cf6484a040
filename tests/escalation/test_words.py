"""A step's message is drawn when it is sent (bot/escalation/words.py), with the words of its
step: the sweep's tick stores the template's name, and the delivery fills it in from the lead
at the step's moment, however late Slack takes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack
from storage.models import OutboxMessage
from tests.conftest import MakeBot
from tests.escalation.conftest import lead

MONDAY_9_NY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_a_reminder_sent_late_says_what_its_step_said(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    clock = FixedClock(MONDAY_9_NY)
    bot = make_bot(clock=clock)
    bot.app.services.dispatcher.stop()
    bot.app.services.leads.receive(lead(1))
    bot.app.services.dispatcher.run_once()
    clock.set(MONDAY_9_NY + timedelta(minutes=30))
    assert bot.app.services.escalator.sweep().steps == 1
    with bot.app.services.db.read() as session:
        [payload] = session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "message")
        ).all()
    assert payload is not None and payload["text"] == ""  # no words drawn in the tick
    assert payload["say"] == {"template": "remind_owner_gentle", "extra": {}, "owner": "U0ALICE"}
    clock.set(MONDAY_9_NY + timedelta(minutes=41))  # Slack was away for eleven minutes
    bot.app.services.dispatcher.run_once()
    [reminder] = [c for c in fake_slack.calls("chat.postMessage") if "👋" in c.args["text"]]
    assert reminder.args["text"] == (
        "👋 <@U0ALICE>, *Lead 1* (Acme) #1 has been waiting 30m. The SLA is 1h: could you claim it?"
    )
