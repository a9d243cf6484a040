"""bot/delivery/slack.py: one Slack call per row, and the DM channel cache it keeps."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from bot.config.delivery import DeliverySettings
from bot.delivery.outbox import RenderedMessage
from bot.delivery.pacing import Pacer
from bot.delivery.plan import Send
from bot.delivery.slack import SlackSender
from bot.fakeslack.server import FakeSlack
from bot.vocabulary import CopyKind
from storage.db import Database
from storage.models import DmChannel

PEOPLE = ["U0ALICE", "U0BO", "U0CHEN", "U0MAYA"]
FAST = DeliverySettings(post_per_channel=1000, post_per_minute=60000, tier3_per_minute=60000)
T = TypeVar("T")


def dm(user: str, row: int, *, maybe_sent: bool = False) -> Send:
    rendered = RenderedMessage(text=f"hello {row}", blocks=[], lead_version=1)
    return Send(
        row,
        "message",
        rendered,
        user,
        None,
        CopyKind.DM,
        user,
        None,
        None,
        lane=user,
        maybe_sent=maybe_sent,
        created_at=datetime.now(UTC),
    )


def with_sender(db: Database, fake: FakeSlack, work: Callable[[SlackSender], Awaitable[T]]) -> T:
    """Run `work` with a SlackSender on a loop of its own, as the dispatcher does."""

    async def run() -> T:
        async with aiohttp.ClientSession() as session:
            client = AsyncWebClient(token="xoxb-test", base_url=fake.url, session=session)
            return await work(SlackSender(db, client, Pacer(FAST)))

    return asyncio.run(run())


def test_senders_opening_the_same_dms_at_once_all_deliver(
    database_url: str, fake_slack: FakeSlack
) -> None:
    """Two instances (or two sender threads) opening the same person's DM at once both stored
    the channel: the second insert failed (`UniqueViolation … dm_channels_pkey`) and with it
    that send. The cache is written with an upsert."""
    db = Database(database_url)
    db.upgrade()
    barrier = threading.Barrier(6)
    failures: list[BaseException] = []

    def sender(number: int) -> None:
        async def send_all(slack: SlackSender) -> None:
            barrier.wait()
            for row, user in enumerate(PEOPLE * 3):
                try:
                    await slack.send(dm(user, number * 100 + row))
                except BaseException as err:
                    failures.append(err)

        with_sender(db, fake_slack, send_all)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(fake_slack.calls("chat.postMessage")) == 6 * len(PEOPLE) * 3
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(DmChannel)) == len(PEOPLE)
    db.dispose()


def test_a_row_that_may_have_been_posted_is_looked_up_not_posted_again(
    sqlite_url: str, fake_slack: FakeSlack
) -> None:
    """chat.postMessage has no idempotency key: every post names its outbox row in Slack's
    message metadata, and a row whose first attempt may have landed is looked up first."""
    db = Database(sqlite_url)
    db.upgrade()
    first = with_sender(db, fake_slack, lambda slack: slack.send(dm("U0BO", 7)))
    metadata = fake_slack.calls("chat.postMessage")[0].args["metadata"]
    assert metadata == {
        "event_type": "leadbot_outbox",
        "event_payload": {"outbox_id": 7, "lead_id": None},
    }
    for n in range(3):  # other posts since, in the same DM
        with_sender(db, fake_slack, lambda slack, n=n: slack.send(dm("U0BO", 20 + n)))

    again = with_sender(db, fake_slack, lambda slack: slack.send(dm("U0BO", 7, maybe_sent=True)))
    assert (again.channel, again.ts, again.found) == (first.channel, first.ts, True)
    assert len(fake_slack.calls("chat.postMessage")) == 4  # not posted twice
    history = fake_slack.calls("conversations.history")
    assert history[0].args["include_all_metadata"] in (True, "true", "1")

    fresh = with_sender(db, fake_slack, lambda slack: slack.send(dm("U0BO", 8, maybe_sent=True)))
    assert not fresh.found  # not in Slack: posted now
    assert len(fake_slack.calls("chat.postMessage")) == 5
    db.dispose()
