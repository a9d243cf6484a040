"""Slack calls counted by method and result (bot/delivery/slack_calls.py), against the fake
Slack over real HTTP: ok, Slack's error code, 429, an outage page, no answer at all."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.errors import SlackApiError

from bot.delivery.slack_calls import CountedWebClient, counted_async
from bot.fakeslack.server import FakeSlack


def test_each_result_is_told(fake_slack: FakeSlack) -> None:
    seen: list[tuple[str, str]] = []
    client = CountedWebClient(
        token="xoxb-1", base_url=fake_slack.url, on_call=lambda m, r: seen.append((m, r))
    )
    client.auth_test()
    fake_slack.fail_next("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    fake_slack.fail_next("chat.postMessage", error="channel_not_found")
    for _ in range(2):
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C0X", text="hi")
    fake_slack.set_down(True)
    with pytest.raises(SlackApiError):
        client.views_publish(user_id="U0A", view={"type": "home", "blocks": []})
    fake_slack.set_down(False)
    gone = CountedWebClient(
        token="xoxb-1", base_url="http://127.0.0.1:9/api/", retry_handlers=[],
        on_call=lambda m, r: seen.append((m, r)),
    )  # fmt: skip
    with pytest.raises(OSError):
        gone.auth_test()
    assert seen == [
        ("auth.test", "ok"),
        ("chat.postMessage", "429"),
        ("chat.postMessage", "channel_not_found"),
        ("views.publish", "http_503"),
        ("auth.test", "no_answer"),
    ]


def test_the_outboxs_async_client_counts_as_the_sync_one_does(fake_slack: FakeSlack) -> None:
    seen: list[tuple[str, str]] = []
    sync = CountedWebClient(
        token="xoxb-1", base_url=fake_slack.url, on_call=lambda m, r: seen.append((m, r))
    )
    fake_slack.fail_next("conversations.open", error="user_not_found")

    async def calls() -> None:
        client = counted_async(sync, retry_handlers=[])
        await client.chat_postMessage(channel="C0X", text="hi")
        with pytest.raises(SlackApiError):
            await client.conversations_open(users="U0NOPE")

    asyncio.run(calls())
    assert seen == [("chat.postMessage", "ok"), ("conversations.open", "user_not_found")]
