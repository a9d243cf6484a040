"""The fake Socket Mode endpoint (bot/fakeslack/socket_mode.py), driven by aiohttp's websocket
client over real loopback sockets: Slack's messages, acks, pings, the abrupt drops and
`disconnect`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack.requests import block_action, event_callback, slash_command
from bot.fakeslack.server import FakeSlack
from bot.fakeslack.socket_mode import DropKind, envelope_payload

WS = aiohttp.ClientWebSocketResponse
PATIENCE = 30.0


def open_url(fake: FakeSlack, token: str = "xapp-1-test") -> str:
    """A new connection's URL, asked for as slack_sdk does (the token in a header)."""
    return str(WebClient(base_url=fake.url).apps_connections_open(app_token=token)["url"])


def run(fake: FakeSlack, talk: Callable[[WS], Awaitable[None]], url: str | None = None) -> None:
    """Open a websocket to the fake (to a fresh URL unless `url`) and `talk` over it."""

    async def main() -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url or open_url(fake), autoping=False) as ws,
        ):
            await talk(ws)

    asyncio.run(main())


async def receive_json(ws: WS) -> dict[str, Any]:
    message = await ws.receive(timeout=PATIENCE)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    return dict(json.loads(message.data))


def test_apps_connections_open_takes_an_app_level_token_only(fake_slack: FakeSlack) -> None:
    assert open_url(fake_slack).startswith(f"ws://127.0.0.1:{fake_slack.socket_mode.port}/link/")
    with pytest.raises(SlackApiError) as err:
        open_url(fake_slack, token="xoxb-test")
    assert err.value.response["error"] == "not_allowed_token_type"
    assert fake_slack.problems() == []


def test_hello_then_envelopes_acks_and_pongs(fake_slack: FakeSlack) -> None:
    slack = fake_slack.socket_mode
    event = envelope_payload(event_callback({"type": "app_home_opened", "user": "U1"}))

    async def talk(ws: WS) -> None:
        hello = await receive_json(ws)
        assert hello["type"] == "hello"
        assert hello["num_connections"] == 1
        assert hello["connection_info"] == {"app_id": "A0APP"}
        await ws.ping(b"are you there")
        pong = await ws.receive(timeout=PATIENCE)
        assert (pong.type, pong.data) == (aiohttp.WSMsgType.PONG, b"are you there")
        envelope_id = slack.send("events_api", event)
        envelope = await receive_json(ws)
        assert envelope == {
            "envelope_id": envelope_id,
            "payload": event,
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        await ws.send_str(json.dumps({"envelope_id": envelope_id, "payload": {"text": "ok"}}))
        ack = await asyncio.to_thread(slack.wait_for_ack, envelope_id, PATIENCE)
        assert (ack.payload, ack.link) == ({"text": "ok"}, 1)

    run(fake_slack, talk)
    assert slack.links()[0].pings == 1
    assert slack.problems() == []


def test_a_url_apps_connections_open_did_not_give_is_refused(fake_slack: FakeSlack) -> None:
    url = open_url(fake_slack).split("?")[0] + "?ticket=forged"
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        run(fake_slack, lambda ws: asyncio.sleep(0), url)
    assert err.value.status == 401
    assert "did not give" in fake_slack.socket_mode.problems()[0]


def test_envelopes_wait_for_the_next_connection(fake_slack: FakeSlack) -> None:
    slack = fake_slack.socket_mode
    url = open_url(fake_slack)  # the endpoint listens, nobody is connected
    payload = envelope_payload(
        slash_command("help", user_id="U1", channel_id="C1", response_url="https://x.test/r")
    )
    envelope_id = slack.send("slash_commands", payload)

    async def talk(ws: WS) -> None:
        assert (await receive_json(ws))["type"] == "hello"
        envelope = await receive_json(ws)
        assert envelope["envelope_id"] == envelope_id
        assert envelope["accepts_response_payload"] is True  # a command may answer in its ack
        assert envelope["payload"]["command"] == "/leads"

    run(fake_slack, talk, url)


def test_a_silent_drop_answers_nothing_and_ends_nothing(fake_slack: FakeSlack) -> None:
    slack = fake_slack.socket_mode

    async def talk(ws: WS) -> None:
        await receive_json(ws)  # hello
        slack.drop("silent")
        await ws.ping(b"anyone?")
        envelope_id = slack.send("events_api", {"type": "event_callback"})
        with pytest.raises(asyncio.TimeoutError):  # no pong, no envelope, no close, no EOF
            await ws.receive(timeout=1.0)
        assert not ws.closed
        assert envelope_id not in [a.envelope_id for a in slack.acks()]

    run(fake_slack, talk)
    assert [link.state for link in slack.links()] == ["silent"]


@pytest.mark.parametrize("how", ["eof", "reset"])
def test_an_eof_or_reset_ends_the_stream_without_a_close_frame(
    fake_slack: FakeSlack, how: DropKind
) -> None:
    async def talk(ws: WS) -> None:
        await receive_json(ws)  # hello
        fake_slack.socket_mode.drop(how)
        message = await ws.receive(timeout=PATIENCE)
        assert message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)

    run(fake_slack, talk)
    assert [link.state for link in fake_slack.socket_mode.links()] == ["dropped"]


def test_disconnect_is_said_first_and_the_connection_closed_later(fake_slack: FakeSlack) -> None:
    slack = fake_slack.socket_mode
    slack.retire_after = 0.2

    async def talk(ws: WS) -> None:
        await receive_json(ws)  # hello
        slack.disconnect("warning")
        notice = await receive_json(ws)
        assert notice["type"] == "disconnect"
        assert notice["reason"] == "warning"
        envelope_id = slack.send("events_api", {"type": "event_callback"})  # for the next one
        close = await ws.receive(timeout=PATIENCE)
        assert (close.type, close.data) == (aiohttp.WSMsgType.CLOSE, 1001)
        assert slack.acks(envelope_id) == []

    run(fake_slack, talk)


def test_envelope_payload_is_what_slack_sends_over_the_socket() -> None:
    command = slash_command("mine", user_id="U1", channel_id="C1", response_url="https://x/r")
    assert envelope_payload(command)["text"] == "mine"
    click = block_action("lead_claim", "7", user_id="U1", channel_id="C1", message_ts="1.2")
    assert envelope_payload(click)["actions"][0]["value"] == "7"
    event = event_callback({"type": "app_home_opened", "user": "U1"})
    assert envelope_payload(event)["event"]["user"] == "U1"
