"""A step's cards redraw once its message is delivered, not in the tick (bot/escalation/sweep.py,
bot/delivery/log.py): the card says only what went out, and a tick writes one row a lead. A
message that is never delivered (given up, or held for quiet hours) still gets its redraw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack
from storage.models import OutboxMessage
from tests.conftest import MakeBot, make_config
from tests.escalation.conftest import lead
from tests.fakes.harness import Harness

MONDAY_9_NY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def _rows(bot: Harness, kind: str) -> list[tuple[str, str | None]]:
    with bot.app.services.db.read() as session:
        rows = session.execute(
            select(OutboxMessage.status, OutboxMessage.lane)
            .where(OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        ).all()
    return [(status, lane) for status, lane in rows]


def _card_now(bot: Harness, fake_slack: FakeSlack, rep: str) -> str:
    card = bot.dm_card(rep, 1)
    shown = fake_slack.message(card.response["channel"], card.response["ts"])
    assert shown is not None
    return str(shown["blocks"])


def test_the_cards_redraw_after_the_reminder_went_out_not_before(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    clock = FixedClock(MONDAY_9_NY)
    bot = make_bot(clock=clock)
    bot.app.services.dispatcher.stop()  # each delivery pass by hand
    bot.app.services.leads.receive(lead(1))
    bot.app.services.dispatcher.run_once()  # the DM card and the #leads copy
    clock.set(MONDAY_9_NY + timedelta(minutes=30))
    assert bot.app.services.escalator.sweep().steps == 1
    assert _rows(bot, "update_card") == []  # the tick wrote the reminder only
    assert "reminded" not in _card_now(bot, fake_slack, "U0ALICE")
    bot.app.services.dispatcher.run_once()  # the reminder, then the redraws it queued
    bot.app.services.dispatcher.run_once()
    assert [status for status, _ in _rows(bot, "update_card")] == ["sent", "sent"]
    calls = [c for c in fake_slack.calls() if c.method.startswith("chat.")]
    # The card, the #leads copy and the reminder; then both copies redrawn.
    assert [c.method for c in calls] == ["chat.postMessage"] * 3 + ["chat.update"] * 2
    assert "👋" in calls[2].args["text"]
    assert "reminded" in _card_now(bot, fake_slack, "U0ALICE")


def test_a_step_message_slack_refuses_for_good_still_redraws_the_cards(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    """The alert to an archived channel is given up: nothing else would redraw the card, which
    must still show the step (and the SLA breach) that ran."""
    clock = FixedClock(MONDAY_9_NY)
    chain = [{"after": "2h", "do": ["notify_channel"], "channel": "C0ALERTS"}]
    bot = make_bot(make_config(escalation=chain), clock=clock)
    bot.app.services.dispatcher.stop()
    bot.app.services.leads.receive(lead(1))
    bot.app.services.dispatcher.run_once()
    clock.set(MONDAY_9_NY + timedelta(hours=2))
    assert bot.app.services.escalator.sweep().steps == 1
    assert _rows(bot, "update_card") == []
    fake_slack.fail_next("chat.postMessage", error="is_archived")
    bot.app.services.dispatcher.run_once()  # the alert fails for good
    bot.app.services.dispatcher.run_once()  # the admins' alert, and the redraws
    assert _rows(bot, "message")[0] == ("failed", "C0ALERTS")
    assert [status for status, _ in _rows(bot, "update_card")] == ["sent", "sent"]
    assert "overdue" in _card_now(bot, fake_slack, "U0ALICE").lower()


def test_a_manager_alert_held_for_quiet_hours_does_not_hold_the_redraw(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    """Alice's manager is Bo, whose quiet hours hold his DM until the evening; the card
    redraws in the tick."""
    clock = FixedClock(MONDAY_9_NY)
    chain = [{"after": "1h", "do": ["notify_manager"]}]
    reps = [
        {"id": "U0ALICE", "name": "Alice", "timezone": "Europe/Berlin", "manager": "U0BO"},
        {"id": "U0BO", "name": "Bo", "timezone": "America/New_York", "quiet_hours": "08:00-20:00"},
    ]
    managers = [{"id": "U0MAYA", "name": "Maya"}, {"id": "U0BO", "name": "Bo"}]
    config = make_config(escalation=chain, reps=reps, managers=managers)
    bot = make_bot(config, clock=clock)
    bot.app.services.dispatcher.stop()
    bot.app.services.leads.receive(lead(1))
    bot.app.services.dispatcher.run_once()
    clock.set(MONDAY_9_NY + timedelta(hours=1))
    assert bot.app.services.escalator.sweep().steps == 1
    assert [status for status, _ in _rows(bot, "update_card")] == ["pending", "pending"]
    bot.app.services.dispatcher.run_once()
    assert _rows(bot, "message") == [("pending", "U0BO")]  # held until 20:00
    assert [status for status, _ in _rows(bot, "update_card")] == ["sent", "sent"]
