"""The delivery worker's alarm (bot/delivery/alarm.py): the admins hear in Slack that delivery
stopped, at most once an hour, and that it recovered; Slack failing to take the message is a
warning, never an exception in the watcher."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from slack_sdk import WebClient

from bot.delivery.alarm import WorkerAlarm
from bot.fakeslack.server import FakeSlack
from tests.conftest import make_config


class Hands:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _alarm(url: str, hands: Hands, **channels: str) -> WorkerAlarm:
    config = make_config(channels={"queue": "C0QUEUE", **channels})
    client = WebClient(
        token="xoxb-1", base_url=url, logger=logging.getLogger("bot.delivery.alarm.sdk")
    )
    return WorkerAlarm(client, config, monotonic=hands)


def _texts(fake: FakeSlack, count: int) -> list[str]:
    return [c.args["text"] for c in fake.wait_for("chat.postMessage", count)]


def test_a_dead_worker_is_announced_once_an_hour_with_the_deaths_between(
    fake_slack: FakeSlack,
) -> None:
    hands = Hands()
    alarm = _alarm(fake_slack.url, hands, alerts="C0ALERTS")
    assert alarm.down(-9, 0.5)
    [first] = _texts(fake_slack, 1)
    assert "delivery worker stopped (exit code -9)" in first
    assert "restarts it in 0.5 s" in first
    hands.now += 60
    assert not alarm.down(1, 1.0)  # a minute later: counted, not posted
    hands.now += 3600
    assert alarm.down(1, 2.0)
    second = _texts(fake_slack, 2)[1]
    assert "(2 times since the last message)" in second
    assert {c.args["channel"] for c in fake_slack.calls("chat.postMessage")} == {"C0ALERTS"}


def test_recovery_follows_an_announced_death_only(fake_slack: FakeSlack) -> None:
    hands = Hands()
    alarm = _alarm(fake_slack.url, hands, alerts="C0ALERTS")
    assert not alarm.up()  # nothing was announced: nothing to take back
    alarm.down(-9, 0.5)
    assert alarm.up()
    assert not alarm.up()
    assert "running again" in _texts(fake_slack, 2)[1]


def test_without_an_alerts_channel_each_admin_hears_in_a_dm(fake_slack: FakeSlack) -> None:
    alarm = _alarm(fake_slack.url, Hands())
    alarm.down(-9, 0.5)
    [opened] = fake_slack.wait_for("conversations.open")
    assert opened.args["users"] == "U0MAYA"  # conftest's only admin
    [posted] = fake_slack.wait_for("chat.postMessage")
    assert posted.args["channel"] == opened.response["channel"]["id"]


def test_a_slack_that_refuses_or_cannot_be_reached_is_a_warning(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.deactivate("U0MAYA")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/api/"
    with caplog.at_level(logging.WARNING, logger="bot.delivery.alarm"):
        _alarm(fake_slack.url, Hands()).down(-9, 0.5)
        _alarm(closed, Hands()).down(-9, 0.5)
        deadline = time.monotonic() + 30
        while len(caplog.records) < 2:
            assert time.monotonic() < deadline, caplog.text
            time.sleep(0.02)
    reasons = sorted(r.getMessage() for r in caplog.records)
    assert reasons[0].startswith("could not tell U0MAYA that delivery stopped: ")
    assert any(r.endswith("user_disabled") for r in reasons)
    assert all(r.levelno == logging.WARNING for r in caplog.records)
