"""Follow-up end to end (#12): a claim plans the first-contact SLA and the cadence's Day 1 task;
the task sweep posts the task card (template rendered, context, buttons); Done through signed
Bolt dispatch logs a touch, redraws the card and plans the next step, whose card says what was
tried. On SQLite and PostgreSQL, on a virtual clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from blocks import ids
from bot.clock import FixedClock, as_utc
from bot.fakeslack.requests import block_action, post_signed, view_submission
from bot.fakeslack.server import FakeSlack, RecordedCall
from storage.followup import Task, Touch
from storage.models import Lead, LeadEvent
from tests.conftest import make_config
from tests.fakes.harness import Harness

LEAD = {
    "external_id": "f-1",
    "source": "website",
    "name": "Dana Whitfield",
    "email": "dana@northwind.test",
    "company": "Northwind",
    "message": "We need a demo before Thursday.",
}
CLAIMED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 16:00 in Berlin (Alice)
DAY_2 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Berlin


@pytest.fixture
def bot_config() -> Any:
    # Reps in their own zones, business hours "always": every day is a business day, and a
    # day's step is due at 09:00 on the rep's clock.
    return make_config()


def shown(blocks: object) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def claim_as_alice(bot: Harness) -> None:
    status, body = bot.post_lead(LEAD)
    assert status == 201 and body["owner"] == "U0ALICE"
    card = bot.dm_card("U0ALICE", 1)
    assert bot.click(ids.CLAIM, 1, "U0ALICE", card)[0] == 200
    bot.settle()


def tasks(bot: Harness) -> list[tuple[int, str, str, datetime]]:
    with bot.app.services.db.read() as session:
        rows = session.execute(
            select(Task.step, Task.status, Task.template, Task.due_at).order_by(Task.step)
        ).all()
    return [(step, status, template, as_utc(due)) for step, status, template, due in rows]


def task_cards(fake: FakeSlack) -> list[RecordedCall]:
    return [
        call
        for call in fake.calls("chat.postMessage")
        if call.response.get("ok")
        and "task_card" in shown(call.args.get("blocks"))
        and not call.args["text"].startswith("🗓")  # the agenda lists them too
    ]


def click_done(bot: Harness, card: RecordedCall, task_id: int, result: str) -> int:
    body = block_action(
        ids.TASK_DONE, "", user_id="U0ALICE", channel_id=card.response["channel"],
        message_ts=card.response["ts"], selected=f"{task_id}:{result}",
        element="static_select", block_id=f"{ids.TASK_BLOCK_PREFIX}_{task_id}",
    )  # fmt: skip
    status, _ = post_signed(f"{bot.base}/slack/events", bot.signing_secret, body)
    return status


def sweep_tasks(bot: Harness, clock: FixedClock, moment: datetime) -> int:
    bot.settle()
    clock.set(moment)
    ran = bot.app.services.task_sweeper.sweep()
    bot.app.services.dispatcher.wake()
    bot.settle()
    return ran


def test_a_claim_plans_the_first_contact_and_day_1_then_done_plans_day_2(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim_as_alice(timed_bot)
    # Warm: a first contact is due 2 h after the claim; Day 1 (email + call) is due now.
    assert tasks(timed_bot) == [
        (0, "open", None, CLAIMED + timedelta(hours=2)),
        (1, "open", "intro", CLAIMED),
    ]
    assert sweep_tasks(timed_bot, clock, CLAIMED) == 1
    [card] = task_cards(fake_slack)
    drawn = shown(card.args["blocks"])
    assert card.args["text"] == "Day 1 of 6 · ✉️ Email + 📞 Call: Dana Whitfield"
    with timed_bot.app.services.db.read() as session:  # written once Slack took the card
        due = session.scalars(select(LeadEvent.detail).where(LeadEvent.kind == "task_due")).all()
    assert due == [{"task": _task_id(timed_bot, step=1), "step": 1}]
    assert card.args["channel"] == timed_bot.dm_channel("U0ALICE")
    assert "Hi Dana" in drawn and "We need a demo before Thursday." in drawn
    assert "mailto:dana@northwind.test?subject=" in drawn
    assert "Tried so far:* nothing yet" in drawn
    task_id = _task_id(timed_bot, step=1)
    assert click_done(timed_bot, card, task_id, "call_no_answer") == 200
    timed_bot.settle()
    redrawn = fake_slack.message(card.response["channel"], card.response["ts"])
    assert redrawn is not None
    assert "✅ Done: 📞 Call: no answer by <@U0ALICE>" in shown(redrawn["blocks"])
    assert "task_done" not in shown(redrawn["blocks"])  # no buttons on a closed task
    # The touch is a first contact: the SLA task is done, and Day 2 is due Tuesday 09:00.
    assert tasks(timed_bot) == [
        (0, "done", None, CLAIMED + timedelta(hours=2)),
        (1, "done", "intro", CLAIMED),
        (2, "open", "value", DAY_2),
    ]
    with timed_bot.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        touches = session.execute(select(Touch.channel, Touch.template, Touch.result)).all()
    assert lead is not None and lead.first_contact_by == "U0ALICE"
    assert touches == [("call", "intro", "call_no_answer")]
    assert sweep_tasks(timed_bot, clock, DAY_2 - timedelta(seconds=1)) == 0
    assert sweep_tasks(timed_bot, clock, DAY_2) == 1
    day_2 = task_cards(fake_slack)[-1]
    assert day_2.args["text"].startswith("Day 2 of 6 · ✉️ Email")
    assert "📞 Call: no answer (`intro`)" in shown(day_2.args["blocks"])


def test_no_contact_logged_after_a_claim_reminds_the_owner_then_the_manager(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim_as_alice(timed_bot)
    sweep_tasks(timed_bot, clock, CLAIMED)  # the Day 1 card
    before = len(fake_slack.calls("chat.postMessage"))
    assert sweep_tasks(timed_bot, clock, CLAIMED + timedelta(hours=2)) == 1
    reminder = fake_slack.calls("chat.postMessage")[before]
    assert reminder.args["channel"] == timed_bot.dm_channel("U0ALICE")
    assert reminder.args["text"].startswith("⏰ <@U0ALICE>, you claimed *Dana Whitfield*")
    before = len(fake_slack.calls("chat.postMessage"))
    # 4 h: the manager hears of the first contact; the Day 1 card is 4 h old: its own reminder.
    assert sweep_tasks(timed_bot, clock, CLAIMED + timedelta(hours=4)) == 2
    posted = fake_slack.calls("chat.postMessage")[before:]
    told = {call.args["channel"]: call.args["text"] for call in posted}
    assert told[timed_bot.dm_channel("U0MAYA")].startswith(
        "📣 <@U0ALICE> has not done the first contact for *Dana Whitfield* (Northwind) #1"
    )
    assert told[timed_bot.dm_channel("U0ALICE")] == (
        "⏰ <@U0ALICE>, Day 1 of the cadence (email + call) for *Dana Whitfield* (Northwind) #1 "
        "is 4h overdue."
    )


def test_a_contact_logged_in_time_stops_the_first_contact_chain(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim_as_alice(timed_bot)
    card = timed_bot.dm_card("U0ALICE", 1)
    clock.set(CLAIMED + timedelta(minutes=40))
    assert timed_bot.click(ids.LOG_CONTACT, 1, "U0ALICE", card, selected="1:email")[0] == 200
    timed_bot.settle()
    sweep_tasks(timed_bot, clock, CLAIMED + timedelta(hours=5))
    texts = [c.args.get("text", "") for c in fake_slack.calls("chat.postMessage")]
    assert not any("you claimed" in text or "has not done" in text for text in texts)
    assert tasks(timed_bot)[0][:2] == (0, "done")


def test_a_meeting_booked_stops_the_cadence_and_the_final_step_ends_it(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim_as_alice(timed_bot)
    sweep_tasks(timed_bot, clock, CLAIMED)
    [card] = task_cards(fake_slack)
    assert click_done(timed_bot, card, _task_id(timed_bot, step=1), "meeting_booked") == 200
    timed_bot.settle()
    assert [(step, status) for step, status, _, _ in tasks(timed_bot)] == [(0, "done"), (1, "done")]
    with timed_bot.app.services.db.read() as session:
        stopped = session.scalars(
            select(LeadEvent.detail).where(LeadEvent.kind == "cadence_stopped")
        ).all()
    assert stopped == [{"cadence": "default", "outcome": "meeting_booked"}]


def test_skip_with_a_reason_and_reschedule_to_the_next_business_day(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim_as_alice(timed_bot)
    sweep_tasks(timed_bot, clock, CLAIMED)
    [card] = task_cards(fake_slack)
    task_id = _task_id(timed_bot, step=1)
    empty = {ids.TASK_SKIP_REASON_BLOCK: {ids.TASK_SKIP_REASON: {"value": "  "}}}
    status, answer = _submit(timed_bot, ids.TASK_SKIP_MODAL, str(task_id), empty)
    assert status == 200 and "Say why you skip it" in answer
    reason = {ids.TASK_SKIP_REASON_BLOCK: {ids.TASK_SKIP_REASON: {"value": "no phone number"}}}
    assert _submit(timed_bot, ids.TASK_SKIP_MODAL, str(task_id), reason) == (200, "")
    timed_bot.settle()
    redrawn = fake_slack.message(card.response["channel"], card.response["ts"])
    assert redrawn is not None and "⏭ Skipped (no phone number)" in shown(redrawn["blocks"])
    day_2 = _task_id(timed_bot, step=2)
    body = block_action(
        ids.TASK_RESCHEDULE, "", user_id="U0ALICE", channel_id=card.response["channel"],
        message_ts=card.response["ts"], selected=f"{day_2}:next_day",
    )  # fmt: skip
    assert post_signed(f"{timed_bot.base}/slack/events", timed_bot.signing_secret, body)[0] == 200
    assert tasks(timed_bot)[2][3] == DAY_2  # +1 business day from Monday: Tuesday 09:00


def test_planning_twice_creates_each_task_once(timed_bot: Harness, clock: FixedClock) -> None:
    claim_as_alice(timed_bot)
    services = timed_bot.app.services
    with services.db.write() as session:
        lead = session.get(Lead, 1)
        assert lead is not None
        services.tasks.planner.on_claim(session, lead, "U0ALICE", clock.now())
    assert [step for step, _, _, _ in tasks(timed_bot)] == [0, 1]
    assert services.task_sweeper.sweep() == 1
    assert services.task_sweeper.sweep() == 0  # the card is queued once


def _task_id(bot: Harness, *, step: int) -> int:
    with bot.app.services.db.read() as session:
        found = session.scalar(select(Task.id).where(Task.step == step))
    assert found is not None
    return found


def _submit(bot: Harness, callback: str, metadata: str, values: dict[str, Any]) -> tuple[int, str]:
    body = view_submission(callback, metadata, values, user_id="U0ALICE")
    return post_signed(f"{bot.base}/slack/events", bot.signing_secret, body)


def test_a_call_step_waits_for_the_prospects_morning(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    """Alice (Berlin) claims at 16:00 her time a lead in Los Angeles (07:00 there): Day 1 has a
    call, so it is due at 08:00 in Los Angeles, 17:00 in Berlin, still her Monday."""
    assert timed_bot.post_lead({**LEAD, "timezone": "America/Los_Angeles"})[0] == 201
    card = timed_bot.dm_card("U0ALICE", 1)
    assert timed_bot.click(ids.CLAIM, 1, "U0ALICE", card)[0] == 200
    timed_bot.settle()
    assert tasks(timed_bot)[1] == (1, "open", "intro", datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    with timed_bot.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        assert lead is not None and lead.fields == {"timezone": "America/Los_Angeles"}
    bad = timed_bot.post_lead({**LEAD, "external_id": "f-2", "timezone": "Mars/Olympus"})
    assert bad == (
        422,
        {"errors": [{"field": "timezone", "message": "'Mars/Olympus' is not a time zone: use an "
                     "IANA name such as America/Chicago"}]},
    )  # fmt: skip


def test_a_snooze_pauses_the_follow_up_and_a_manager_can_stop_it(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    """The prospect asks to be called after the weekend: Alice snoozes the claimed lead, and
    its Day 1 card waits; later Maya stops the follow-up from the #leads copy."""
    claim_as_alice(timed_bot)
    assert timed_bot.command("snooze 1 2d", "U0ALICE")[0] == 200
    timed_bot.settle()
    assert sweep_tasks(timed_bot, clock, CLAIMED) == 0
    assert task_cards(fake_slack) == []
    # The snooze is over: the Day 1 card, and the first-contact reminder that waited too.
    assert sweep_tasks(timed_bot, clock, CLAIMED + timedelta(days=2)) == 2
    assert len(task_cards(fake_slack)) == 1
    channel_copy = next(
        c for c in fake_slack.calls("chat.postMessage") if c.args["channel"] == "C0LEADS"
    )
    status, _ = timed_bot.click(
        ids.LEAD_MENU, 1, "U0ALICE", channel_copy, selected="stop_followup:1"
    )
    assert status == 200
    told = fake_slack.wait_for("chat.postEphemeral")[-1]
    assert told.args["text"] == "Only managers can stop a lead's follow-up."
    timed_bot.click(ids.LEAD_MENU, 1, "U0MAYA", channel_copy, selected="stop_followup:1")
    told = fake_slack.wait_for("chat.postEphemeral", count=2)[-1]
    assert told.args["text"] == "The follow-up of lead #1 is stopped."
    timed_bot.settle()
    assert [status for _, status, _, _ in tasks(timed_bot)] == ["cancelled", "cancelled"]
    [card] = task_cards(fake_slack)
    redrawn = fake_slack.message(card.response["channel"], card.response["ts"])
    assert redrawn is not None and "✖️ Cancelled: stopped by Maya" in shown(redrawn["blocks"])
