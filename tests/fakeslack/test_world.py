"""Slack's side of the fake (bot/fakeslack/world.py), through the real WebClient: messages and
their history, DM channels, views and users."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack.server import FakeSlack, dm_channel_id
from tests.fakeslack.conftest import button, section


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


def test_views_publish_open_update(fake: FakeSlack, client: WebClient) -> None:
    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("hi")]})
    assert home["view"]["id"].startswith("V")
    assert fake.home("U1") == home["view"]
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Snooze"}, "blocks": []}
    opened = client.views_open(trigger_id="t1", view=modal)["view"]
    updated = client.views_update(view_id=opened["id"], view=modal, hash=opened["hash"])
    assert updated["view"]["id"] == opened["id"]
    assert fake.problems() == []


def test_users_info(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U1", "ana", "Ana Lima", tz="Europe/Lisbon")
    user = client.users_info(user="U1")["user"]
    assert (user["name"], user["real_name"], user["tz"]) == ("ana", "Ana Lima", "Europe/Lisbon")
    assert client.users_info(user="U2")["user"]["id"] == "U2"
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="C1")
    assert err.value.response["error"] == "user_not_found"
