"""The morning agenda (#12): at the opening of each rep's working day, on their clock, one DM
with today's tasks and the overdue ones, oldest first; never on a day off or while away; once
per day however often the sweep runs. `/leads today` shows the same, through signed Bolt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from blocks import ids
from bot.clock import FixedClock
from bot.fakeslack.requests import block_action, post_signed
from bot.fakeslack.server import FakeSlack, RecordedCall
from tests.conftest import make_config
from tests.fakes.app_home import open_home, published
from tests.fakes.harness import Harness

HOURS = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 16:00 in Berlin: Alice claims
TUESDAY_9 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
LEAD = {"external_id": "a-1", "name": "Dana Whitfield", "email": "dana@northwind.test"}


@pytest.fixture
def clock_start() -> datetime:
    return MONDAY


@pytest.fixture
def bot_config() -> Any:
    return make_config(business_hours=HOURS)


def agendas(fake: FakeSlack) -> list[RecordedCall]:
    return [c for c in fake.calls("chat.postMessage") if c.args["text"].startswith("🗓")]


def at(bot: Harness, clock: FixedClock, moment: datetime) -> None:
    bot.settle()
    clock.set(moment)
    bot.app.services.task_sweeper.sweep()
    bot.app.services.dispatcher.wake()
    bot.settle()


def claim(bot: Harness) -> None:
    assert bot.post_lead(LEAD)[0] == 201
    assert bot.click(ids.CLAIM, 1, "U0ALICE", bot.dm_card("U0ALICE", 1))[0] == 200
    bot.settle()


def test_the_agenda_comes_at_the_opening_of_the_reps_day_once(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim(timed_bot)
    at(timed_bot, clock, MONDAY)  # the Day 1 card; Monday's agenda goes now (it is working time)
    monday = agendas(fake_slack)
    assert [c.args["text"] for c in monday] == ["🗓 Your follow-ups for Mon 23 Nov: 1 task(s)"]
    at(timed_bot, clock, TUESDAY_9 - timedelta(minutes=1))  # 08:59 in Berlin
    assert len(agendas(fake_slack)) == 1
    at(timed_bot, clock, TUESDAY_9)
    at(timed_bot, clock, TUESDAY_9 + timedelta(minutes=5))  # a later tick sends nothing more
    [_, tuesday] = agendas(fake_slack)
    assert tuesday.args["channel"] == timed_bot.dm_channel("U0ALICE")
    # Day 1 was not done: overdue (Day 2 waits for it). The first contact is due at 10:00
    # (2 h of business time from Monday 16:00), so not on the list yet.
    assert tuesday.args["text"] == "🗓 Your follow-ups for Tue 24 Nov: 1 task(s), 1 overdue"
    sections = [b["text"]["text"] for b in tuesday.args["blocks"] if b["type"] == "section"]
    assert sections[0].startswith("*Day 1 of 6 · ✉️ Email + 📞 Call*\nDana Whitfield #1 · ")
    assert "⚠️ overdue since <!date^1795446000^" in sections[0]


def test_no_agenda_on_a_day_off_or_while_away(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim(timed_bot)
    at(timed_bot, clock, MONDAY)
    saturday_9 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    at(timed_bot, clock, saturday_9)
    assert len(agendas(fake_slack)) == 1  # Monday's only
    timed_bot.command("away 3d", "U0ALICE")
    timed_bot.settle()
    at(timed_bot, clock, TUESDAY_9)  # clock moved back: a Tuesday while she is away
    assert len(agendas(fake_slack)) == 1


def test_leads_today_shows_the_agenda_on_demand(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim(timed_bot)
    at(timed_bot, clock, MONDAY)
    assert timed_bot.command("today", "U0ALICE")[0] == 200
    answer = fake_slack.wait_for("response_url")[-1]
    assert answer.args["text"] == "🗓 Your follow-ups for Mon 23 Nov: 1 task(s)"
    select = answer.args["blocks"][1]["accessory"]
    assert select["action_id"] == ids.TASK_DONE
    assert [o["value"].split(":")[1] for o in select["options"]][:4] == [
        "email_sent",
        "call_connected",
        "call_voicemail",
        "call_no_answer",
    ]
    assert timed_bot.command("today", "U0BO")[0] == 200
    empty = fake_slack.wait_for("response_url", count=2)[-1]
    assert empty.args["text"] == "🗓 Your follow-ups for Mon 23 Nov: 0 task(s)"


def test_the_app_home_lists_todays_follow_ups(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim(timed_bot)
    at(timed_bot, clock, MONDAY)
    open_home(timed_bot, "U0ALICE")
    view = published(timed_bot, "U0ALICE")
    assert "*Follow-ups today* (1), oldest first" in view
    assert "*Day 1 of 6 · ✉️ Email + 📞 Call*" in view and '"action_id": "task_done"' in view


def test_a_late_first_contact_is_on_the_agenda_with_every_channels_results(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim(timed_bot)
    at(timed_bot, clock, MONDAY)
    # 2 h of business time from Monday 16:00 in Berlin: Tuesday 10:00; by 11:00 it is late.
    clock.set(TUESDAY_9 + timedelta(hours=2))
    assert timed_bot.command("today", "U0ALICE")[0] == 200
    answer = fake_slack.wait_for("response_url")[-1]
    lines = [b for b in answer.args["blocks"] if b["type"] == "section"]
    assert lines[0]["text"]["text"].startswith("*Day 1 of 6")
    assert lines[1]["text"]["text"].startswith("*First contact*\nDana Whitfield #1 · ⚠️ overdue")
    results = [o["value"].split(":")[1] for o in lines[1]["accessory"]["options"]]
    assert results[:3] == ["email_sent", "call_connected", "call_voicemail"]


def test_done_on_the_agenda_redraws_the_agenda_without_that_task(
    timed_bot: Harness, fake_slack: FakeSlack, clock: FixedClock
) -> None:
    claim(timed_bot)
    at(timed_bot, clock, MONDAY)
    assert timed_bot.command("today", "U0ALICE")[0] == 200
    row = fake_slack.wait_for("response_url")[-1].args["blocks"][1]
    task = row["accessory"]["options"][0]["value"]  # "<task id>:email_sent"
    body = block_action(
        ids.TASK_DONE, "", user_id="U0ALICE", channel_id=timed_bot.dm_channel("U0ALICE"),
        message_ts="1700000000.000100", selected=task, element="static_select",
        block_id=row["block_id"], response_url=fake_slack.response_url("agenda"),
    )  # fmt: skip
    assert post_signed(f"{timed_bot.base}/slack/events", timed_bot.signing_secret, body)[0] == 200
    redrawn = fake_slack.wait_for("response_url", count=2)[-1]
    assert redrawn.args["replace_original"] is True
    assert redrawn.args["text"] == "🗓 Your follow-ups for Mon 23 Nov: 0 task(s)"
