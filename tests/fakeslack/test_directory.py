"""The fake workspace's people, user groups and channels, read with the real WebClient."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack.pacing import RateLimits, SlackPacing
from bot.fakeslack.server import FakeSlack


def test_users_info_shows_profiles_bots_and_deactivated_accounts(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.add_user("U1", "ana", "Ana Lima", tz="Europe/Lisbon", email="ana@acme.test")
    fake.add_user("U2", "deploy", "Deploy", tz=None, is_bot=True)
    fake.add_user("U3", "old", "Old Hand")
    fake.deactivate("U3")
    ana = client.users_info(user="U1")["user"]
    assert ana["profile"]["email"] == "ana@acme.test"
    assert (ana["real_name"], ana["tz"], ana["deleted"], ana["is_bot"]) == (
        "Ana Lima",
        "Europe/Lisbon",
        False,
        False,
    )
    bot = client.users_info(user="U2")["user"]
    assert bot["is_bot"] is True and "tz" not in bot
    assert client.users_info(user="U3")["user"]["deleted"] is True


def test_usergroups_list_and_their_members(fake: FakeSlack, client: WebClient) -> None:
    group_id = fake.add_usergroup("sales", ["U1", "U2"], name="Sales team")
    listed = client.usergroups_list()["usergroups"]
    assert [(g["id"], g["handle"], g["name"]) for g in listed] == [
        (group_id, "sales", "Sales team")
    ]
    assert "users" not in listed[0] and "user_count" not in listed[0]
    full = client.usergroups_list(include_users=True, include_count=True)["usergroups"][0]
    assert (full["users"], full["user_count"]) == (["U1", "U2"], 2)
    assert client.usergroups_users_list(usergroup=group_id)["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError) as err:
        client.usergroups_users_list(usergroup="S0NOPE")
    assert err.value.response["error"] == "no_such_subteam"


def test_conversations_list_and_members_page_with_cursors(
    fake: FakeSlack, client: WebClient
) -> None:
    public = fake.add_channel("sales", [f"U{n}" for n in range(5)])
    secret = fake.add_channel("deals", ["U1"], private=True)
    assert [c["id"] for c in client.conversations_list()["channels"]] == [public]
    both = client.conversations_list(types="public_channel,private_channel")["channels"]
    assert {c["id"]: c["is_private"] for c in both} == {public: False, secret: True}
    pages, cursor = [], None
    while cursor != "":
        answer = client.conversations_members(channel=public, limit=2, cursor=cursor)
        pages.append(answer["members"])
        cursor = answer["response_metadata"]["next_cursor"]
    assert pages == [["U0", "U1"], ["U2", "U3"], ["U4"]]
    with pytest.raises(SlackApiError) as err:
        client.conversations_members(channel="C0NOPE")
    assert err.value.response["error"] == "channel_not_found"
    assert fake.problems() == []


def test_tier_2_methods_have_the_smallest_budget() -> None:
    pacing = SlackPacing(RateLimits(tier2_per_min=6))  # one every 10 s, a burst of 1
    assert pacing.check("usergroups.list", None, 0.0) is None
    assert pacing.check("usergroups.list", None, 1.0) == 9
    assert pacing.check("conversations.members", None, 1.0) is None  # Tier 4, its own budget
