"""Quiet hours cover every notification leadbot sends a person (#12): a new-lead card waits for
morning like a reminder does, goes only if the lead is still theirs then, and a manager told
about a rep asleep through every step hears that the rep was not reminded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from blocks import ids
from bot.clock import FixedClock
from bot.fakeslack.server import FakeSlack, RecordedCall
from storage.models import LeadEvent
from tests.conftest import MakeBot, make_config
from tests.escalation.conftest import lead, tick
from tests.fakes.harness import Harness

# Friday 27 November 2026, 11:00 UTC: 22:00 in Sydney (AEDT, UTC+11), 06:00 in New York.
SYDNEY_NIGHT = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
SYDNEY_MORNING = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 07:00 Saturday in Sydney
REPS = [
    {"id": "U0ALICE", "name": "Alice", "timezone": "Australia/Sydney", "manager": "U0MAYA",
     "quiet_hours": "21:30-07:00"},
    {"id": "U0BO", "name": "Bo", "timezone": "America/New_York", "manager": "U0MAYA"},
]  # fmt: skip


def to_alice(fake: FakeSlack, bot_dm: str) -> list[RecordedCall]:
    return [
        c
        for c in fake.calls("chat.postMessage")
        if c.response.get("ok") and c.args["channel"] == bot_dm
    ]


def opened_for(fake: FakeSlack, user_id: str) -> list[RecordedCall]:
    return [c for c in fake.calls("conversations.open") if c.args.get("users") == user_id]


def events(bot: Harness, kind: str) -> list[dict[str, object]]:
    with bot.app.services.db.read() as session:
        rows = session.scalars(
            select(LeadEvent).where(LeadEvent.kind == kind).order_by(LeadEvent.id)
        ).all()
        return [dict(row.detail or {}) for row in rows]


def test_a_rep_asleep_through_every_step_is_named_in_the_managers_alert(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    clock = FixedClock(SYDNEY_NIGHT)
    bot = make_bot(make_config(reps=REPS[:1]), clock=clock)
    received = bot.app.services.leads.receive(lead(1))
    assert received.owner_id == "U0ALICE"
    bot.settle()
    # The channel copy goes now: the team sees the lead. Alice's card waits for 07:00.
    posted = [c.args["channel"] for c in fake_slack.calls("chat.postMessage")]
    assert posted == ["C0LEADS"]
    assert events(bot, "assigned")[0]["card_held_until"] == SYDNEY_MORNING.isoformat()
    for hours in (0.5, 2, 4):  # gentle, direct, then the manager and the queue at 03:00 Sydney
        tick(bot, clock, SYDNEY_NIGHT + timedelta(hours=hours))
    manager = [c for c in fake_slack.calls("chat.postMessage") if c.args["text"].startswith("📣")]
    assert len(manager) == 1
    assert "<@U0ALICE> has not been reminded: it is their quiet hours" in manager[0].args["text"]
    assert f"<!date^{int(SYDNEY_MORNING.timestamp())}^" in manager[0].args["text"]
    tick(bot, clock, SYDNEY_MORNING)
    # At 07:00 the lead is in the queue: neither its card nor the reminders reach Alice now,
    # and the record says the reminders were dropped, not sent.
    assert opened_for(fake_slack, "U0ALICE") == []
    dropped = events(bot, "nudge_dropped")
    assert [d["to"] for d in dropped] == ["U0ALICE", "U0ALICE"]


def test_a_held_card_is_not_posted_once_someone_else_took_the_lead(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    clock = FixedClock(SYDNEY_NIGHT)
    bot = make_bot(make_config(reps=REPS), clock=clock)
    assert bot.app.services.leads.receive(lead(1)).owner_id == "U0ALICE"
    bot.settle()
    channel_copy = fake_slack.calls("chat.postMessage")[0]
    status, _ = bot.click(ids.CLAIM, 1, "U0BO", channel_copy)
    assert status == 200
    tick(bot, clock, SYDNEY_MORNING)
    assert opened_for(fake_slack, "U0ALICE") == []


def test_a_held_card_goes_at_the_end_of_quiet_hours_and_an_urgent_one_at_once(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    clock = FixedClock(SYDNEY_NIGHT)
    tiers = [{"name": "hot", "respond_within": "5m", "urgent": True},
             {"name": "warm", "respond_within": "1h"}]  # fmt: skip
    bot = make_bot(make_config(reps=REPS[:1], tiers=tiers), clock=clock)
    bot.app.services.leads.receive(lead(1, tier="hot"))
    bot.app.services.leads.receive(lead(2, tier="warm"))
    bot.settle()
    alice = bot.dm_channel("U0ALICE")
    assert [c.args["text"][:9] for c in to_alice(fake_slack, alice)] == ["🔥 Hot lea"]
    clock.set(SYDNEY_MORNING - timedelta(seconds=1))
    bot.app.services.dispatcher.run_once()
    assert len(to_alice(fake_slack, alice)) == 1  # 06:59:59 in Sydney: still quiet
    clock.set(SYDNEY_MORNING)
    bot.app.services.dispatcher.wake()
    bot.settle()
    cards = to_alice(fake_slack, alice)
    assert [c.args["text"][:10] for c in cards] == ["🔥 Hot lead", "🌤 Warm lea"]
    assert cards[1].args["metadata"]["event_payload"]["lead_id"] == 2
