"""A manager reassigns a claimed lead (#12 "reassigning a lead moves its open tasks to the new
owner with a note"): the lead stays claimed, the new owner gets its card and its open tasks, the
old owner's task card says where the task went. Signed Bolt dispatch, both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from blocks import ids
from bot.clock import FixedClock, as_utc
from bot.fakeslack.requests import block_action, post_signed
from bot.fakeslack.server import FakeSlack, RecordedCall
from storage.followup import Task
from storage.models import Lead, LeadEvent
from tests.e2e.test_claim import reassign_to
from tests.fakes.harness import Harness
from tests.followup.test_task_flow import CLAIMED, claim_as_alice, shown, sweep_tasks, task_cards

MOVED = "Moved from Alice to Bo by Maya"


def channel_copy(fake: FakeSlack) -> RecordedCall:
    return next(c for c in fake.calls("chat.postMessage") if c.args["channel"] == "C0LEADS")


def done_as(bot: Harness, user_id: str, card: RecordedCall, task_id: int) -> None:
    body = block_action(
        ids.TASK_DONE, "", user_id=user_id, channel_id=card.response["channel"],
        message_ts=card.response["ts"], selected=f"{task_id}:email_sent",
        element="static_select", block_id=f"{ids.TASK_BLOCK_PREFIX}_{task_id}",
    )  # fmt: skip
    assert post_signed(f"{bot.base}/slack/events", bot.signing_secret, body)[0] == 200


def reassign_to_bo(bot: Harness, fake: FakeSlack) -> None:
    copy = channel_copy(fake)
    now_shown = fake.message(copy.response["channel"], copy.response["ts"])
    assert now_shown is not None
    menu = [o["value"] for o in menu_of(now_shown["blocks"])]
    assert menu == ["reassign:1", "stop_followup:1", "won:1", "lost:1"]
    bot.click(ids.LEAD_MENU, 1, "U0MAYA", copy, selected="reassign:1")
    modal = fake.wait_for("views.open")[0].args["view"]
    assert modal["private_metadata"] == "1"
    assert bot.submit_view(ids.REASSIGN_MODAL, "1", reassign_to("U0BO"), "U0MAYA") == (200, "")
    bot.settle()


def menu_of(blocks: list[dict]) -> list[dict]:
    return next(
        element["options"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id") == ids.LEAD_MENU
    )


def test_a_claimed_lead_changes_hands_with_its_tasks(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim_as_alice(timed_bot)
    assert sweep_tasks(timed_bot, clock, CLAIMED) == 1  # Alice's Day 1 card
    [alice_task] = task_cards(fake_slack)
    clock.set(CLAIMED + timedelta(hours=1))
    timed_bot.settle()
    fake_slack.wait_for("chat.update", where=lambda c: c.args["channel"] == "C0LEADS")
    reassign_to_bo(timed_bot, fake_slack)

    with timed_bot.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        moved = session.execute(
            select(Task.step, Task.owner_id, Task.due_at, Task.note, Task.card_ts).order_by(
                Task.step
            )
        ).all()
        event = session.scalars(select(LeadEvent).where(LeadEvent.kind == "reassigned")).one()
        assigned = select(LeadEvent.detail).where(LeadEvent.kind == "assigned")
        assigned_to = [
            detail["owner"] for detail in session.scalars(assigned.order_by(LeadEvent.id))
        ]
    assert lead is not None
    assert (lead.status, lead.owner_id, lead.claimed_by) == ("claimed", "U0BO", "U0ALICE")
    assert event.detail == {"owner": "U0BO", "previous_owner": "U0ALICE", "claimed": True}
    assert assigned_to == ["U0ALICE", "U0BO"]  # routing's, then the handover's (daily_cap)
    # Day 1 was due already: due now for Bo, so his overdue chain starts from now. The first
    # contact (due two hours after the claim) keeps its deadline.
    assert [(s, o, as_utc(d), n, ts) for s, o, d, n, ts in moved] == [
        (0, "U0BO", CLAIMED + timedelta(hours=2), MOVED, None),
        (1, "U0BO", CLAIMED + timedelta(hours=1), MOVED, None),
    ]
    old = fake_slack.message(alice_task.response["channel"], alice_task.response["ts"])
    assert old is not None and f"↪️ {MOVED}: nothing to do here" in shown(old["blocks"])
    assert "task_done" not in shown(old["blocks"])
    bo_card = timed_bot.dm_card("U0BO", 1)
    assert "Now with <@U0BO>" in shown(bo_card.args["blocks"])
    alice_card = timed_bot.dm_card("U0ALICE", 1)
    redrawn = fake_slack.message(alice_card.response["channel"], alice_card.response["ts"])
    assert redrawn is not None and "Now with <@U0BO>" in shown(redrawn["blocks"])

    # The next sweep posts Day 1 to Bo, saying where it came from; Bo's Done counts.
    assert sweep_tasks(timed_bot, clock, CLAIMED + timedelta(hours=1)) == 1
    bo_task = task_cards(fake_slack)[-1]
    assert bo_task.args["channel"] == timed_bot.dm_channel("U0BO")
    assert f"↪️ {MOVED}" in shown(bo_task.args["blocks"])
    done_as(timed_bot, "U0ALICE", bo_task, 2)  # no longer hers
    told = fake_slack.wait_for("chat.postEphemeral")[-1]
    assert "<@U0BO>" in told.args["text"]
    done_as(timed_bot, "U0BO", bo_task, 2)
    timed_bot.settle()
    with timed_bot.app.services.db.read() as session:
        day_1 = session.scalars(select(Task).where(Task.step == 1)).one()
    assert (day_1.status, day_1.done_by) == ("done", "U0BO")


def test_pending_reminders_about_the_old_owner_are_dropped(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    """Alice's first-contact reminder is queued but not sent when Maya hands the lead to Bo:
    it would scold Alice for a lead that is no longer hers."""
    claim_as_alice(timed_bot)
    sweep_tasks(timed_bot, clock, CLAIMED)
    timed_bot.app.services.dispatcher.stop()  # the reminder stays in the outbox
    clock.set(CLAIMED + timedelta(hours=2))
    assert timed_bot.app.services.task_sweeper.sweep() == 1
    with timed_bot.app.services.db.read() as session:
        first = session.scalars(select(Task).where(Task.step == 0)).one()
    assert first.overdue_step == 1
    assert timed_bot.app.services.leads.reassign(1, "U0MAYA", "U0BO").ok
    timed_bot.app.services.dispatcher.start()
    timed_bot.settle()
    reminders = [
        c for c in fake_slack.calls("chat.postMessage") if "no contact is logged" in c.args["text"]
    ]
    assert reminders == []
