"""The fake Slack's rate limits (bot/fakeslack/pacing.py), latency, keep-alive, message metadata
and conversations.history, driven by the real slack_sdk WebClient over HTTP."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack.pacing import Bucket, RateLimits, SlackPacing
from bot.fakeslack.server import FakeSlack
from tests.fakeslack.conftest import TOKEN


@pytest.fixture
def limited(fake: FakeSlack) -> Iterator[FakeSlack]:
    fake.set_limits(RateLimits())
    yield fake
    fake.set_limits(None)


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    bucket = Bucket(rate=1.0, capacity=3)
    assert [bucket.take(10.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(10.0) == pytest.approx(1.0)
    assert bucket.take(10.5) == pytest.approx(0.5)  # a refused take spends nothing
    assert bucket.take(11.0) == 0.0


def test_posts_to_one_channel_beyond_the_burst_are_answered_429(
    limited: FakeSlack, client: WebClient
) -> None:
    for n in range(3):
        client.chat_postMessage(channel="C1", text=f"burst {n}")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="one too many")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    assert limited.ratelimited == 1
    client.chat_postMessage(channel="C2", text="another channel is not held")
    client.chat_postMessage(channel="U1", text="nor a DM")
    assert len(limited.messages("C1")) == 3  # the refused post was not stored


def test_a_refused_post_spends_no_workspace_budget() -> None:
    pacing = SlackPacing(RateLimits(post_per_workspace_per_min=6))  # 0.1/s, burst of 1
    assert pacing.check("chat.postMessage", "C1", 0.0) is None
    assert pacing.check("chat.postMessage", "C2", 0.0) == 10
    assert pacing.check("chat.postMessage", "C1", 10.0) is None


def test_tier_3_methods_share_a_per_minute_budget() -> None:
    pacing = SlackPacing(RateLimits(tier3_per_min=6))  # one every 10 s, a burst of 1
    assert pacing.check("chat.update", "C1", 0.0) is None
    assert pacing.check("chat.update", "C2", 1.0) == 9
    assert pacing.check("conversations.open", None, 1.0) is None  # a budget per method
    assert pacing.check("chat.update", "C2", 10.0) is None


def test_scale_multiplies_every_rate() -> None:
    pacing = SlackPacing(RateLimits(scale=20))
    answers = [pacing.check("chat.postMessage", "C1", n / 20) for n in range(40)]
    assert answers == [None] * 40  # 20 a second per channel, as scaled


def test_latency_delays_every_answer(fake: FakeSlack, client: WebClient) -> None:
    fake.latency = 0.2
    try:
        started = time.monotonic()
        client.auth_test()
        took = time.monotonic() - started
    finally:
        fake.latency = 0.0
    assert took >= 0.2


def test_connections_are_kept_alive(fake: FakeSlack) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    for n in range(3):
        conn.request("POST", "/api/auth.test", body=json.dumps({"n": n}), headers=headers)
        response = conn.getresponse()
        assert json.loads(response.read())["ok"] is True
        assert not response.will_close
    conn.close()


def test_history_returns_metadata_only_when_asked(fake: FakeSlack, client: WebClient) -> None:
    metadata = {"event_type": "leadbot_outbox", "event_payload": {"outbox_id": 7}}
    first = client.chat_postMessage(channel="C1", text="one", metadata=metadata)
    second = client.chat_postMessage(channel="C1", text="two")
    plain = client.conversations_history(channel="C1")["messages"]
    assert [m["ts"] for m in plain] == [second["ts"], first["ts"]]  # newest first
    assert "metadata" not in plain[1]
    full = client.conversations_history(channel="C1", include_all_metadata=True)
    assert full["messages"][1]["metadata"] == metadata


def test_history_pages_and_honours_oldest(fake: FakeSlack, client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="C1", text=str(n))["ts"] for n in range(5)]
    page = client.conversations_history(channel="C1", limit=2, oldest=stamps[0])
    assert [m["text"] for m in page["messages"]] == ["4", "3"] and page["has_more"]
    rest = client.conversations_history(
        channel="C1", limit=5, oldest=stamps[0], cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["2", "1"]  # oldest is exclusive
    assert not rest["has_more"]


def test_malformed_metadata_is_refused(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x", metadata={"event_payload": {}})
    assert err.value.response["error"] == "invalid_metadata_format"
    assert fake.messages("C1") == []
