"""A step's message is drawn when it is sent (bot/escalation/words.py), with the words of its
step: the sweep's tick stores the template's name, and the delivery fills it in from the lead
at the step's moment, however late Slack takes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.clock import FixedClock
from bot.config.load import default_config
from bot.escalation.due import DueLead
from bot.escalation.words import StepWords
from bot.fakeslack.server import FakeSlack
from storage.models import OutboxMessage
from tests.conftest import MakeBot
from tests.escalation.conftest import lead

MONDAY_9_NY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
WORDS = StepWords(default_config())


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


@given(name=st.text(max_size=80), company=st.none() | st.text(max_size=80))
def test_a_leads_own_text_never_becomes_markup_in_a_steps_words(
    name: str, company: str | None
) -> None:
    """Drawn at send time from whatever the lead holds: `<`, `>` and `&` from the lead are
    escaped, so the owner's mention is the only markup, and no template fails on it."""
    received = MONDAY_9_NY - timedelta(minutes=30)
    row = DueLead(id=42, status="assigned", owner_id="U0ALICE", tier="warm", name=name,
                  email=None, phone=None, company=company, received_at=received,
                  sla_due_at=None, sla_breached_at=None, escalation_started_at=received,
                  escalation_step=0, snoozed_until=None, next_action_at=None, version=1,
                  steps=())  # fmt: skip
    words, problem = WORDS.say("remind_owner_gentle", row, MONDAY_9_NY, "U0ALICE")
    assert problem is None
    assert words.count("<") == words.count(">") == 1 and "<@U0ALICE>" in words
