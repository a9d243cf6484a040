"""Roles from leadbot.yml: reps act on their own leads, managers and admins on anyone's, and
`queue.open_to_all` lets the rest of the workspace claim from the shared queue. Every refusal
is an ephemeral explanation and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from blocks import ids
from bot.fakeslack.server import RecordedCall
from storage.models import Lead
from tests.conftest import BASE_CONFIG, MakeBot, make_config
from tests.fakes.harness import Harness

LEAD = {"source": "website", "name": "Dana", "company": "Northwind"}
ALWAYS_AWAY = [{"from": "2000-01-01", "to": "2099-12-31"}]


@pytest.fixture
def open_queue(make_bot: MakeBot, database_url: str) -> Harness:
    """Alice takes every lead unless she is away; anyone may claim from the queue."""
    config = make_config(reps=[BASE_CONFIG["reps"][0]], queue={"open_to_all": True})
    return make_bot(config, url=database_url)


@pytest.fixture
def admin_bot(make_bot: MakeBot, database_url: str) -> Harness:
    """Ada is an admin but not a manager."""
    return make_bot(make_config(admins=["U0ADA"]), url=database_url)


def copy_in(bot: Harness, channel: str, lead_id: int) -> RecordedCall:
    return bot.fake.wait_for(
        "chat.postMessage",
        where=lambda c: c.args["channel"] == channel and f"#{lead_id}:" in c.args["text"],
    )[0]


def told(bot: Harness, user_id: str, count: int = 1) -> str:
    calls = bot.fake.wait_for(
        "chat.postEphemeral", count=count, where=lambda c: c.args["user"] == user_id
    )
    return str(calls[count - 1].args["text"])


def owner_and_status(bot: Harness, lead_id: int) -> tuple[str | None, str]:
    with bot.app.services.db.read() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead.owner_id, lead.status


def test_with_open_to_all_anyone_claims_from_the_queue_but_not_an_offered_lead(
    open_queue: Harness,
) -> None:
    open_queue.post_lead({**LEAD, "external_id": "r-1"})  # offered to Alice
    open_queue.command("away", "U0ALICE")
    open_queue.fake.wait_for("response_url")
    open_queue.post_lead({**LEAD, "external_id": "r-2"})  # nobody left: the shared queue
    offered = copy_in(open_queue, "C0LEADS", 1)
    open_queue.click(ids.CLAIM, 1, "U0GUEST", offered)
    assert told(open_queue, "U0GUEST") == (
        "Lead #1 is offered to <@U0ALICE>. People not set up in leadbot.yml can claim only"
        " from the shared queue."
    )
    assert owner_and_status(open_queue, 1) == ("U0ALICE", "assigned")
    open_queue.click(ids.CLAIM, 2, "U0GUEST", copy_in(open_queue, "C0QUEUE", 2))
    queue_card = copy_in(open_queue, "C0QUEUE", 2)
    open_queue.fake.wait_for(
        "chat.update",
        where=lambda c: (
            c.args["ts"] == queue_card.response["ts"] and "Claimed by <@U0GUEST>" in str(c.args)
        ),
    )
    assert owner_and_status(open_queue, 2) == ("U0GUEST", "claimed")


def test_without_open_to_all_strangers_cannot_claim_from_the_queue(
    make_bot: MakeBot, database_url: str
) -> None:
    reps = [{**rep, "away": ALWAYS_AWAY} for rep in BASE_CONFIG["reps"]]
    bot = make_bot(make_config(reps=reps), url=database_url)
    bot.post_lead({**LEAD, "external_id": "r-3"})
    bot.click(ids.CLAIM, 1, "U0GUEST", copy_in(bot, "C0QUEUE", 1))
    assert told(bot, "U0GUEST") == ("You are not set up in leadbot.yml, so you can't claim leads.")
    assert owner_and_status(bot, 1) == (None, "queued")
    bot.command("snooze 1 1h", "U0BO")  # a rep, but the lead is nobody's yet
    answer = bot.fake.wait_for("response_url")[0].args["text"]
    assert answer == "Lead #1 is in the shared queue: only a manager can snooze it."


def test_an_admin_who_is_not_a_manager_may_reassign_and_act_on_any_lead(
    admin_bot: Harness,
) -> None:
    admin_bot.post_lead({**LEAD, "external_id": "r-4"})
    card = admin_bot.dm_card("U0ALICE", 1)
    admin_bot.click(ids.LEAD_MENU, 1, "U0ADA", card, selected="reassign:1")
    assert admin_bot.fake.wait_for("views.open")[0].args["view"]["callback_id"] == (
        ids.REASSIGN_MODAL
    )
    admin_bot.command("snooze 1 1h", "U0ADA")
    answer = admin_bot.fake.wait_for("response_url")[0].args["text"]
    assert answer.startswith("💤 Lead #1 snoozed until")


def test_a_rep_cannot_snooze_someone_elses_lead_from_the_command(bot: Harness) -> None:
    bot.post_lead({**LEAD, "external_id": "r-5"})
    bot.command("snooze 1 1h", "U0BO")
    answer = bot.fake.wait_for("response_url")[0].args
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == "Only the lead's owner (<@U0ALICE>) or a manager can snooze lead #1."
    with bot.app.services.db.read() as session:
        assert session.scalars(select(Lead.snoozed_until)).one() is None


def test_away_is_for_reps(bot: Harness) -> None:
    bot.command("away", "U0MAYA")
    answer = bot.fake.wait_for("response_url")[0].args
    assert answer["text"] == "You are not a rep in leadbot.yml: no leads come to you."


def test_a_rep_cannot_pass_or_log_from_the_leads_channel_for_someone_else(bot: Harness) -> None:
    bot.post_lead({**LEAD, "external_id": "r-6"})
    channel_copy = copy_in(bot, "C0LEADS", 1)
    bot.click(ids.LOG_CONTACT, 1, "U0CHEN", channel_copy, selected="1:call")
    assert told(bot, "U0CHEN") == (
        "Only the lead's owner (<@U0ALICE>) or a manager can log a contact for lead #1."
    )
    bot.click(ids.PASS, 1, "U0CHEN", channel_copy)
    assert told(bot, "U0CHEN", 2) == (
        "Only the lead's owner (<@U0ALICE>) or a manager can pass on lead #1."
    )
    assert owner_and_status(bot, 1) == ("U0ALICE", "assigned")
