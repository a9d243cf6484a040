"""Poison rows (bot/delivery/failures.py): a card or message Slack refuses for good is given up
at once, holds up nothing, is counted, the admins are told what to fix, and the lead moves on."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from blocks.nudges import message_blocks
from bot.app import create_app
from bot.delivery.cards import card_renderer
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.failures import FailureHandler
from bot.fakeslack.server import FakeSlack, RecordedCall
from bot.leads.input import parse_lead
from bot.services import Deps
from bot.settings import Settings
from storage.models import Lead, OutboxMessage
from tests.conftest import MakeBot, make_config
from tests.fakes.harness import Harness

ALERTS = "C0ALERTS"
LEAD = {"source": "website", "name": "Dana", "company": "Northwind"}


def posts_to(fake: FakeSlack, channel: str) -> list[RecordedCall]:
    return fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == channel)


def rows(bot: Harness) -> list[OutboxMessage]:
    with bot.app.services.db.read() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def lead_one(bot: Harness) -> Lead:
    with bot.app.services.db.read() as session:
        lead = session.get(Lead, 1)
        assert lead is not None
        return lead


def test_a_deactivated_owner_is_told_to_the_admins_and_the_lead_goes_to_the_queue(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    fake_slack.deactivate("U0ALICE")
    bot = make_bot(make_config(channels={"leads": "C0LEADS", "queue": "C0QUEUE", "alerts": ALERTS}))
    assert bot.post_lead(LEAD)[0] == 201
    alert = posts_to(fake_slack, ALERTS)[0].args["text"]
    assert alert == (
        "⚠️ leadbot could not deliver the card for lead #1 (Dana) to <@U0ALICE>: Slack said "
        "`user_disabled`. To fix it: <@U0ALICE> is deactivated: take them out of leadbot.yml,"
        " reassign their leads."
    )
    queue_card = posts_to(fake_slack, "C0QUEUE")[0]
    assert "Dana" in str(queue_card.args["blocks"])
    told = fake_slack.wait_for(
        "chat.postMessage", where=lambda c: "could not reach" in c.args["text"]
    )
    assert told[0].response["channel"] != ALERTS  # Maya, Alice's manager, in a DM
    bot.settle()
    dm = next(row for row in rows(bot) if row.copy_kind == "dm" and row.target == "U0ALICE")
    assert (dm.status, dm.attempts, dm.last_error) == ("failed", 1, "user_disabled")
    assert (lead_one(bot).status, lead_one(bot).owner_id) == ("queued", None)
    [channel_copy] = fake_slack.messages("C0LEADS")  # as it is now: posted, maybe redrawn
    assert "could not reach <@U0ALICE>" in str(channel_copy["blocks"])
    metrics = bot.get("/metrics")[1]
    assert 'leadbot_outbox_given_up_total{error="user_disabled"} 1.0' in metrics


def test_a_channel_leadbot_is_not_in_is_told_with_the_fix(
    make_bot: MakeBot, fake_slack: FakeSlack
) -> None:
    fake_slack.leave("C0LEADS")
    bot = make_bot(make_config(channels={"leads": "C0LEADS", "queue": "C0QUEUE"}))
    assert bot.post_lead(LEAD)[0] == 201
    bot.dm_card("U0ALICE", 1)  # the owner's card arrives anyway
    alert = fake_slack.wait_for("chat.postMessage", where=lambda c: "⚠️" in c.args["text"])
    text = alert[0].args["text"]
    assert "to <#C0LEADS>: Slack said `not_in_channel`" in text
    assert "invite leadbot there: /invite @leadbot in <#C0LEADS>" in text
    assert alert[0].response["channel"].startswith("D")  # no alerts channel: the admin's DM
    bot.settle()
    assert (lead_one(bot).status, lead_one(bot).owner_id) == ("assigned", "U0ALICE")


def test_the_same_failure_is_told_once_and_an_alert_that_fails_is_only_logged(
    make_bot: MakeBot, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.leave("C0LEADS")
    fake_slack.leave(ALERTS)
    bot = make_bot(make_config(channels={"leads": "C0LEADS", "queue": "C0QUEUE", "alerts": ALERTS}))
    for n in range(3):
        assert bot.post_lead({**LEAD, "external_id": f"f-{n}"})[0] == 201
    bot.settle()
    alerts = [row for row in rows(bot) if (row.payload or {}).get("alert")]
    assert len(alerts) == 1 and alerts[0].status == "failed"  # one alert, and it failed too
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(message.startswith(f"an alert to {ALERTS} failed too") for message in logged)


def test_a_message_that_cannot_be_drawn_fails_at_once_and_holds_up_nothing(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    settings = Settings(
        slack_bot_token="xoxb-test", slack_api_url=fake_slack.url, database_url=sqlite_url
    )
    app = create_app(settings, make_config(channels={"queue": "C0QUEUE"}))
    services = app.services
    real_render = card_renderer(services.clock)

    def broken_for_lead_one(
        lead: Lead, copy_kind: str, recipient: str | None, nudges: tuple[Any, ...]
    ):
        if lead.id == 1:
            raise ValueError("a bug in a builder")
        return real_render(lead, copy_kind, recipient, nudges)

    dispatcher = Dispatcher(
        services.db, services.client, services.clock, broken_for_lead_one, message_blocks
    )
    dispatcher.log.on_give_up = FailureHandler(
        Deps.create(services.db, services.config, services.clock)
    ).gave_up
    try:
        for n in range(2):
            services.leads.receive(parse_lead({**LEAD, "external_id": f"r-{n}"}, ["warm"]))
        dispatcher.run_once()
        dispatcher.run_once()  # the alert written meanwhile
        with services.db.read() as session:
            failed = session.scalars(select(OutboxMessage).where(OutboxMessage.lead_id == 1)).all()
        card = next(row for row in failed if row.kind == "post_card")
        assert (card.status, card.attempts, card.last_error) == ("failed", 1, "render_error")
        assert "Dana" in str(fake_slack.wait_for("chat.postMessage")[0].args["blocks"])  # lead 2
        alert = fake_slack.wait_for("chat.postMessage", where=lambda c: "⚠️" in c.args["text"])
        assert "`render_error`" in alert[0].args["text"] and "lead #1" in alert[0].args["text"]
    finally:
        app.stop()
