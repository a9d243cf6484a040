"""The fake Slack Web API server (bot/fakeslack/server.py), driven by the real
slack_sdk.WebClient over real HTTP: its URL, failures on demand, waiting for calls, auth,
response URLs and reset."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack.server import FakeSlack
from tests.fakeslack.conftest import TOKEN


def test_url_is_a_webclient_base_url(fake: FakeSlack) -> None:
    assert fake.url == f"http://127.0.0.1:{fake.port}/api/"
    assert fake.port > 0


def test_unknown_method_is_a_problem(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.api_call("chat.scheduleMessage", json={"channel": "C1", "text": "x"})
    assert err.value.response["error"] == "unknown_method"
    assert fake.problems() == [
        "chat.scheduleMessage: unknown method: the fake does not implement it"
    ]


def test_set_down_gives_503_and_recovers(fake: FakeSlack, client: WebClient) -> None:
    fake.set_down(True)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 503
    assert fake.calls()[0].response == {"ok": False, "error": "http_503"}
    fake.set_down(False)
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert len(fake.wait_for("chat.postMessage")) == 1  # only ok calls count


def test_fail_next_429_has_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]  # only the next one failed


def test_fail_next_error_and_http_status(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.update", times=2, error="cant_update_message")
    fake.fail_next("auth.test", status=500)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            client.chat_update(channel="C1", ts="1.1", text="x")
        assert err.value.response["error"] == "cant_update_message"
    with pytest.raises(SlackApiError) as err:
        client.auth_test()
    assert err.value.response.status_code == 500
    assert client.auth_test()["ok"]


def test_wait_for_timeout_lists_calls(fake: FakeSlack, client: WebClient) -> None:
    client.conversations_open(users="U1")
    started = time.monotonic()
    with pytest.raises(AssertionError) as err:
        fake.wait_for("chat.postMessage", timeout=0.2)
    assert time.monotonic() - started >= 0.2
    assert "chat.postMessage" in str(err.value)
    assert 'conversations.open [ok] {"users": "U1"}' in str(err.value)


def test_wait_for_wakes_up_on_a_call_from_another_thread(
    fake: FakeSlack, client: WebClient
) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="later"))
    timer.start()
    calls = fake.wait_for("chat.postMessage", where=lambda c: c.args["text"] == "later")
    assert calls[0].response["channel"] == "C1"
    timer.join()


def test_concurrent_posts_get_unique_increasing_ts(fake: FakeSlack) -> None:
    def post(n: int) -> None:
        client = WebClient(token=TOKEN, base_url=fake.url, timeout=10)
        for i in range(5):
            client.chat_postMessage(channel=f"C{n}", text=f"{n}-{i}")

    threads = [threading.Thread(target=post, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    calls = fake.wait_for("chat.postMessage", count=120)
    stamps = [c.response["ts"] for c in calls]
    assert len(set(stamps)) == 120
    assert stamps == sorted(stamps, key=float)  # arrival order, ts increasing
    assert len(fake.messages()) == 120


def test_not_authed_and_invalid_auth(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=fake.url).chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as err:
        WebClient(token="bad-token", base_url=fake.url).auth_test()
    assert err.value.response["error"] == "invalid_auth"
    assert fake.calls()[0].token is None


def test_response_url_records_posts(fake: FakeSlack) -> None:
    url = fake.response_url("click-1")
    payload = {"text": "Claimed", "replace_original": True}
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.read() == b"ok"
    call = fake.wait_for("response_url")[0]
    assert (call.args, call.path) == (payload, "/response/click-1")


def test_reset_clears_state_but_keeps_ts_unique(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="x")["ts"]
    fake.fail_next("auth.test")
    fake.reset()
    assert (fake.calls(), fake.messages(), fake.problems()) == ([], [], [])
    assert client.auth_test()["ok"]
    assert float(client.chat_postMessage(channel="C1", text="x")["ts"]) > float(first)
