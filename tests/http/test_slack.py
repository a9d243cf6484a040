"""POST /slack/events over real HTTP, checked before Bolt sees it (bot/http/slack.py): the body
cap, the signature on the raw bytes, replays, malformed payloads, Socket Mode."""

from __future__ import annotations

import hashlib
import hmac
import logging
import socket
import time
import urllib.error
import urllib.request

import pytest

from bot.app import create_app
from bot.fakeslack.requests import slash_command
from bot.fakeslack.server import FakeSlack
from bot.settings import Settings
from tests.conftest import make_config
from tests.fakes.harness import PATIENCE, Harness

# -- POST /slack/events: checked before Bolt sees it -------------------------------------------


def slack_post(
    bot: Harness, body: bytes, headers: dict[str, str], content_type: str = "form"
) -> tuple[int, str]:
    kinds = {"form": "application/x-www-form-urlencoded", "json": "application/json"}
    request = urllib.request.Request(
        f"{bot.base}/slack/events",
        data=body,
        headers={"Content-Type": kinds[content_type], **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


def signed(secret: str, body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp if stamp is not None else str(int(time.time()))
    mac = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + mac.hexdigest()}


COMMAND = b"command=%2Fleads&text=help&user_id=U0ALICE&channel_id=C0LEADS&team_id=T0TEAM"


@pytest.mark.parametrize("stamp", ["abc", "1e3", "", "\u00b2", "-1", "9" * 5000])
def test_a_bad_timestamp_header_gets_401(
    bot: Harness, stamp: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {**signed(bot.signing_secret, COMMAND), "X-Slack-Request-Timestamp": stamp}
    assert slack_post(bot, COMMAND, headers)[0] == 401
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_unsigned_stale_or_forged_requests_get_401(bot: Harness) -> None:
    six_minutes_ago = str(int(time.time()) - 360)
    assert slack_post(bot, COMMAND, {})[0] == 401
    assert slack_post(bot, COMMAND, signed(bot.signing_secret, COMMAND, six_minutes_ago))[0] == 401
    assert slack_post(bot, COMMAND, signed("", COMMAND))[0] == 401  # the empty key
    assert slack_post(bot, COMMAND, signed(bot.signing_secret, COMMAND))[0] == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xfe not utf-8", "form"),
        (b"payload=%7Bnot-json", "form"),
        (b"{not json", "json"),
    ],
)
def test_a_signed_but_malformed_request_gets_400(
    bot: Harness, body: bytes, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    status, _ = slack_post(bot, body, signed(bot.signing_secret, body), content_type)
    assert status == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_huge_slack_body_is_refused_before_it_is_read(bot: Harness) -> None:
    """Declared 16 MiB, of which only the first KiB is sent: the answer comes anyway."""
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(16 * 1024 * 1024).encode() + b"\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", bot.app.port), timeout=PATIENCE) as conn:
        conn.sendall(head + b"x" * 1024)
        status_line = conn.recv(4096).split(b"\r\n", 1)[0]
    assert status_line.split()[1] == b"413"


@pytest.mark.parametrize("secret", [None, "s3cret"])
def test_in_socket_mode_slack_events_are_not_served_at_all(
    fake_slack: FakeSlack, sqlite_url: str, secret: str | None
) -> None:
    """Slack reaches a Socket Mode bot over its websocket: over HTTP, even a request signed
    with the empty key (or the real one) finds nothing."""
    settings = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=secret,
        slack_api_url=fake_slack.url,
        database_url=sqlite_url,
    )
    app = create_app(settings, make_config(), socket_mode=True)
    bot = Harness(app, fake_slack, secret or "", "")
    try:
        app.serve_in_thread()
        assert slack_post(bot, COMMAND, signed(secret or "", COMMAND))[0] == 404
    finally:
        app.stop()


def test_without_a_signing_secret_slack_events_are_not_served(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    settings = Settings(
        slack_bot_token="xoxb-test", slack_api_url=fake_slack.url, database_url=sqlite_url
    )
    app = create_app(settings, make_config())
    try:
        app.serve_in_thread()
        assert slack_post(Harness(app, fake_slack, "", ""), COMMAND, signed("", COMMAND))[0] == 404
    finally:
        app.stop()


def test_a_replayed_request_is_answered_and_ignored(bot: Harness) -> None:
    """Slack signs every delivery anew; the same signature twice is someone replaying a
    request they saw. `/leads away 1h` replayed used to run twice."""
    body = slash_command(
        "away 1h", user_id="U0ALICE", channel_id="C0LEADS", response_url=bot.fake.response_url("a")
    ).encode()
    headers = signed(bot.signing_secret, body)
    assert slack_post(bot, body, headers)[0] == 200
    bot.fake.wait_for("response_url")
    assert slack_post(bot, body, headers) == (200, "")
    again = slash_command(
        "away 1h", user_id="U0ALICE", channel_id="C0LEADS", response_url=bot.fake.response_url("b")
    ).encode()
    assert slack_post(bot, again, signed(bot.signing_secret, again))[0] == 200  # a new request
    answers = bot.fake.wait_for("response_url", count=2)
    assert [call.path for call in answers] == ["/response/a", "/response/b"]
