"""The fake Slack Web API, driven by the real slack_sdk.WebClient over real HTTP."""

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock

from bot.fakeslack.server import FakeSlack, dm_channel_id

TOKEN = "xoxb-test"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.url, timeout=5)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str, action_id: str = "claim") -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id}


def test_url_is_a_webclient_base_url(fake: FakeSlack) -> None:
    assert fake.url == f"http://127.0.0.1:{fake.port}/api/"
    assert fake.port > 0


def test_auth_test(client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["user_id"] == "UBOT"
    assert (answer["team"], answer["team_id"], answer["bot_id"]) == ("Acme", "T0TEAM", "B0BOT")


def test_post_update_and_history(fake: FakeSlack, client: WebClient) -> None:
    blocks = [section("*New lead*"), {"type": "actions", "elements": [button("Claim")]}]
    posted = client.chat_postMessage(channel="C0LEADS", text="New lead", blocks=blocks)
    assert posted["channel"] == "C0LEADS"
    assert posted["message"]["blocks"] == blocks
    ts = posted["ts"]

    updated = client.chat_update(channel="C0LEADS", ts=ts, text="Claimed", blocks=[section("x")])
    assert (updated["channel"], updated["ts"], updated["text"]) == ("C0LEADS", ts, "Claimed")

    message = fake.message("C0LEADS", ts)
    assert message is not None
    assert (message["text"], message["blocks"]) == ("Claimed", [section("x")])
    assert [(v["text"], v["blocks"]) for v in message["history"]] == [("New lead", blocks)]
    assert [m["ts"] for m in fake.messages("C0LEADS")] == [ts]
    assert fake.problems() == []


def test_update_keeps_fields_it_leaves_out(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="C1", text="a", blocks=[section("a")])
    client.chat_update(channel="C1", ts=posted["ts"], text="b")
    message = fake.message("C1", posted["ts"])
    assert message is not None
    assert (message["text"], message["blocks"]) == ("b", [section("a")])


def test_update_of_unknown_message_fails(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts="1.000001", text="x")
    assert err.value.response["error"] == "message_not_found"


def test_user_id_posts_to_the_same_dm_as_conversations_open(
    fake: FakeSlack, client: WebClient
) -> None:
    opened = client.conversations_open(users="U123")["channel"]["id"]
    posted = client.chat_postMessage(channel="U123", text="hi")
    assert opened.startswith("D")
    assert posted["channel"] == opened == dm_channel_id("U123")
    assert client.conversations_open(users="U123")["channel"]["id"] == opened
    assert client.conversations_open(users="U9")["channel"]["id"] != opened
    assert fake.message(opened, posted["ts"]) is not None


def test_conversations_open_without_users(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.api_call("conversations.open", params={})  # the SDK itself refuses no args
    assert err.value.response["error"] == "users_list_not_supplied"


def test_sdk_models_are_accepted(fake: FakeSlack, client: WebClient) -> None:
    blocks = [
        SectionBlock(text="*Acme* wants a demo", block_id="lead"),
        ActionsBlock(elements=[ButtonElement(text="Claim", action_id="claim", value="7")]),
    ]
    client.chat_postMessage(channel="C1", text="Acme wants a demo", blocks=blocks)
    call = fake.wait_for("chat.postMessage")[0]
    assert call.args["blocks"][1]["elements"][0]["value"] == "7"
    assert fake.problems() == []


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([{"type": "actions", "elements": [button("x" * 80)]}], "button text is 80 chars"),
        ([section(f"{i}") for i in range(51)], "51 blocks exceed the limit of 50"),
        ([{"type": "section", "block_id": "b"}], "text or fields attribute must be specified"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "limit 150"),
        ([section("x" * 3001)], "limit 3000"),
        ([{**section("x"), "acessory": button("Claim")}], "/acessory dropped"),
        ([{"type": "no_such_block"}], "unknown block type"),
    ],
)
def test_invalid_blocks_are_rejected(
    fake: FakeSlack, client: WebClient, blocks: list[dict[str, Any]], expected: str
) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    assert err.value.response["error"] == "invalid_blocks"
    assert any(expected in problem for problem in fake.problems()), fake.problems()
    assert all(p.startswith("chat.postMessage: ") for p in fake.problems())
    assert fake.calls("chat.postMessage")[0].problems
    assert fake.messages() == []


def test_form_encoded_blocks_are_decoded(fake: FakeSlack, client: WebClient) -> None:
    # api_call with params= sends a form body with blocks as a JSON string, like older callers.
    blocks = [section("form")]
    client.api_call(
        "chat.postMessage", params={"channel": "C1", "text": "t", "blocks": json.dumps(blocks)}
    )
    call = fake.wait_for("chat.postMessage")[0]
    assert call.args["blocks"] == blocks
    assert call.token == TOKEN


def test_missing_fallback_text_is_a_problem_but_succeeds(
    fake: FakeSlack, client: WebClient
) -> None:
    with pytest.warns(UserWarning):  # slack_sdk warns too
        answer = client.chat_postMessage(channel="C1", blocks=[section("no fallback")])
    assert answer["ok"]
    assert fake.problems() == [
        "chat.postMessage: missing fallback text: send a non-empty `text` with `blocks`"
    ]


def test_views_publish_open_update(fake: FakeSlack, client: WebClient) -> None:
    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("hi")]})
    assert home["view"]["id"].startswith("V")
    assert fake.home("U1") == home["view"]
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Snooze"}, "blocks": []}
    opened = client.views_open(trigger_id="t1", view=modal)["view"]
    updated = client.views_update(view_id=opened["id"], view=modal, hash=opened["hash"])
    assert updated["view"]["id"] == opened["id"]
    assert fake.problems() == []


def test_invalid_view_is_rejected(fake: FakeSlack, client: WebClient) -> None:
    title = {"type": "plain_text", "text": "t" * 25}
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="t", view={"type": "modal", "title": title, "blocks": []})
    assert err.value.response["error"] == "invalid_arguments"
    assert fake.problems() == ["views.open: modal title is 25 chars, limit 24"]


def test_users_info(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U1", "ana", "Ana Lima", tz="Europe/Lisbon")
    user = client.users_info(user="U1")["user"]
    assert (user["name"], user["real_name"], user["tz"]) == ("ana", "Ana Lima", "Europe/Lisbon")
    assert client.users_info(user="U2")["user"]["id"] == "U2"
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="C1")
    assert err.value.response["error"] == "user_not_found"


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
