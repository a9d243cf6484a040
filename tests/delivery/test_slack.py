"""bot/delivery/slack.py: one Slack call per row, and the DM channel cache it keeps."""

from __future__ import annotations

import threading

from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.delivery.outbox import RenderedMessage
from bot.delivery.plan import Send
from bot.delivery.slack import SlackSender
from bot.fakeslack.server import FakeSlack
from bot.vocabulary import CopyKind
from storage.db import Database
from storage.models import DmChannel

PEOPLE = ["U0ALICE", "U0BO", "U0CHEN", "U0MAYA"]


def dm(user: str, row: int) -> Send:
    rendered = RenderedMessage(text=f"hello {row}", blocks=[], lead_version=1)
    return Send(row, "message", rendered, user, None, CopyKind.DM, user, None, None)


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
        slack = SlackSender(db, WebClient(token="xoxb-test", base_url=fake_slack.url))
        barrier.wait()
        for row, user in enumerate(PEOPLE * 3):
            try:
                slack.send(dm(user, number * 100 + row))
            except BaseException as err:
                failures.append(err)

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
