"""A burst summary's links to each lead's DM card (bot/delivery/permalinks.py): built as Slack's
`chat.getPermalink` answers, never from a part that could end the mrkdwn link, and the
workspace's address asked once (again a minute after a failure, not per summary)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk import WebClient

from bot.delivery.permalinks import RETRY_AFTER, Workspace, permalink
from bot.fakeslack.server import FakeSlack


def test_a_link_is_what_slack_answers_for_the_message(fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.url)
    posted = client.chat_postMessage(channel="U0CHEN", text="card")
    address = Workspace(client).address()
    assert address == "https://acme.slack.com/"
    answer = client.chat_getPermalink(channel=posted["channel"], message_ts=posted["ts"])
    assert permalink(address, posted["channel"], posted["ts"]) == answer["permalink"]


@given(address=st.text(), channel=st.text(), ts=st.text())
def test_no_part_can_end_the_link_it_goes_in(address: str, channel: str, ts: str) -> None:
    link = permalink(address, channel, ts)
    assert link is None or not any(c in link for c in "|<> \n\t")


@given(
    channel=st.from_regex(r"[CDG][A-Z0-9]{8,12}", fullmatch=True),
    ts=st.from_regex(r"[0-9]{10}\.[0-9]{6}", fullmatch=True),
)
def test_a_slack_shaped_message_always_gets_its_link(channel: str, ts: str) -> None:
    assert permalink("https://acme.slack.com/", channel, ts) == (
        f"https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    )


def test_a_failed_auth_test_is_asked_again_a_minute_later_not_per_summary(
    fake_slack: FakeSlack,
) -> None:
    now = [0.0]
    client = WebClient(token="xoxb-test", base_url=fake_slack.url)
    workspace = Workspace(client, monotonic=lambda: now[0])
    fake_slack.fail_next("auth.test", error="invalid_auth")
    assert workspace.address() is None
    now[0] = RETRY_AFTER - 1
    assert workspace.address() is None
    assert len(fake_slack.calls("auth.test")) == 1
    now[0] = RETRY_AFTER
    assert workspace.address() == "https://acme.slack.com/"
    assert workspace.address() == "https://acme.slack.com/"
    assert len(fake_slack.calls("auth.test")) == 2
