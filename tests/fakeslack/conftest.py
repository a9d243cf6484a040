"""Shared by the fake Slack tests: the fake, the real WebClient pointed at it, block builders."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient

from bot.fakeslack.server import FakeSlack

TOKEN = "xoxb-test"


@pytest.fixture
def fake(fake_slack: FakeSlack) -> FakeSlack:
    """The shared running `fake_slack`, under the short name these tests use."""
    return fake_slack


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    """The real slack_sdk WebClient, with a bot token, talking to `fake` over HTTP."""
    return WebClient(token=TOKEN, base_url=fake.url, timeout=5)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str, action_id: str = "claim") -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id}
