"""Socket Mode (bot/socket_mode.py): the real slack_sdk client against the fake Slack's websocket
over loopback; envelopes reach the real Bolt dispatch and are acked, and the connection comes
back after an abrupt drop or Slack's `disconnect`. Waits are generous ceilings, never timings."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from blocks import ids
from bot.app import create_app
from bot.fakeslack.requests import block_action, slash_command
from bot.fakeslack.server import FakeSlack
from bot.fakeslack.socket_mode import DropKind, FakeSocketMode, envelope_payload
from bot.settings import Settings
from bot.socket_mode import SocketMode
from tests.conftest import FAST_RETRY, INTAKE_TOKEN, bot_settings, make_config
from tests.fakes.harness import PATIENCE, Harness

ROOT = Path(__file__).resolve().parents[1]
APP_TOKEN = "xapp-1-test"
LEAD = {"external_id": "sm-1", "source": "website", "name": "Dana", "company": "Northwind"}


@dataclass
class SocketBot:
    bot: Harness
    connection: SocketMode
    slack: FakeSocketMode  # the fake's Socket Mode side

    def command(self, text: str, user_id: str = "U0ALICE", name: str = "cmd") -> str:
        """`/leads <text>` over the socket; its response_url is named `name`."""
        body = slash_command(
            text,
            user_id=user_id,
            channel_id="C0LEADS",
            response_url=self.bot.fake.response_url(name),
        )
        return self.slack.send("slash_commands", envelope_payload(body))

    def answers(self, name: str) -> list[str]:
        """What was said through the response_url named `name`."""
        calls = self.bot.fake.calls("response_url")
        return [str(c.args.get("text")) for c in calls if c.path == f"/response/{name}"]


@pytest.fixture
def socket_bot(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[SocketBot]:
    """The real app with every worker running, reached by Slack over Socket Mode only."""
    settings = bot_settings(
        fake_slack, sqlite_url, slack_signing_secret=None, slack_app_token=APP_TOKEN
    )
    app = create_app(settings, make_config(), retry=FAST_RETRY, socket_mode=True)
    app.start_workers()
    app.serve_in_thread()
    connection = SocketMode(app.bolt, APP_TOKEN, fake_slack.url)
    try:
        connection.connect()
        fake_slack.socket_mode.wait_for_hellos(1)
        yield SocketBot(
            Harness(app, fake_slack, "", INTAKE_TOKEN), connection, fake_slack.socket_mode
        )
    finally:
        connection.close()
        app.stop()


def test_a_click_over_the_socket_is_acked_and_claims_the_lead(socket_bot: SocketBot) -> None:
    bot = socket_bot.bot
    assert bot.post_lead(LEAD)[0] == 201
    card = bot.dm_card("U0ALICE", 1)
    body = block_action(
        ids.CLAIM,
        "1",
        user_id="U0ALICE",
        channel_id=card.response["channel"],
        message_ts=card.response["ts"],
        response_url=bot.fake.response_url("claim"),
    )
    envelope = socket_bot.slack.send("interactive", envelope_payload(body))
    ack = socket_bot.slack.wait_for_ack(envelope, PATIENCE)
    assert ack.payload is None  # a click's ack carries nothing
    bot.lead_status(1, "claimed")
    bot.fake.wait_for("chat.update", where=lambda u: u.args["ts"] == card.response["ts"])
    assert socket_bot.slack.problems() == []
    assert bot.fake.problems() == []


def test_a_slash_command_is_acked_and_answered(socket_bot: SocketBot) -> None:
    envelope = socket_bot.command("help")
    socket_bot.slack.wait_for_ack(envelope, PATIENCE)
    socket_bot.bot.fake.wait_for("response_url", where=lambda c: c.path == "/response/cmd")
    assert "*leadbot commands*" in socket_bot.answers("cmd")[0]


@pytest.mark.parametrize("how", ["silent", "eof", "reset"])
def test_after_an_abrupt_drop_it_reconnects_and_handles_what_came_meanwhile_once(
    socket_bot: SocketBot, how: DropKind, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack, fake = socket_bot.slack, socket_bot.bot.fake
    slack.wait_for_ack(socket_bot.command("help", name="before"), PATIENCE)
    slack.drop(how)
    envelope = socket_bot.command("help", name="during")  # held until the app is back
    first, second = slack.wait_for_hellos(2, PATIENCE)[:2]
    ack = slack.wait_for_ack(envelope, PATIENCE)
    assert ack.link == second.id != first.id
    assert len(fake.wait_for("apps.connections.open", count=2, timeout=PATIENCE)) == 2
    fake.wait_for("response_url", where=lambda c: c.path == "/response/during")
    # An envelope sent later, once handled, shows that the first was not handled again.
    later = socket_bot.command("help", name="after")
    slack.wait_for_ack(later, PATIENCE)
    fake.wait_for("response_url", where=lambda c: c.path == "/response/after")
    assert len(slack.acks(envelope)) == 1
    assert len(socket_bot.answers("during")) == 1
    lines = [(r.levelno, r.name, r.getMessage()) for r in caplog.records]
    ours = [line for line in lines if line[1].startswith("leadbot.socket_mode")]
    warnings = [line for line in ours if line[0] == logging.WARNING]
    assert [w[2] for w in warnings] == ["Socket Mode connection to Slack lost: reconnecting"]
    assert not [line for line in lines if line[0] >= logging.ERROR]
    assert any("reconnected to Slack in Socket Mode" in line[2] for line in ours)


@pytest.mark.parametrize(
    ("failure", "level"),
    [({"status": 503}, logging.INFO), ({"error": "invalid_auth"}, logging.ERROR)],
    ids=["slack-down", "token-revoked"],
)
def test_while_slack_cannot_be_reached_it_says_so_once_and_tries_again(
    socket_bot: SocketBot,
    caplog: pytest.LogCaptureFixture,
    failure: dict[str, Any],
    level: int,
) -> None:
    """Slack is down (or refuses the token) when the app reconnects: the drop is a WARNING, the
    failed attempt an INFO (an ERROR if a person must act), and the next attempt succeeds."""
    caplog.set_level(logging.INFO)
    slack, fake = socket_bot.slack, socket_bot.bot.fake
    fake.fail_next("apps.connections.open", **failure)
    slack.drop("eof")
    slack.wait_for_ack(socket_bot.command("help"), PATIENCE)  # back, and past its hello
    opened = fake.calls("apps.connections.open")
    assert [c.ok for c in opened] == [True, False, True]
    ours = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "leadbot.socket_mode"]
    said = [(lvl, text.split(":")[0]) for lvl, text in ours if lvl >= logging.INFO]
    assert said[:2] == [
        (logging.WARNING, "Socket Mode connection to Slack lost"),
        (level, "cannot reopen Socket Mode (" + (failure.get("error") or "HTTP 503") + ")"),
    ]
    assert "reconnected to Slack in Socket Mode" in said[2][1]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == (1 if level == logging.ERROR else 0)


def test_a_disconnect_message_makes_it_reconnect_cleanly(
    socket_bot: SocketBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    slack = socket_bot.slack
    slack.retire_after = 10 * PATIENCE  # the app must leave on its own, Slack does not push
    slack.disconnect("refresh_requested")
    first, second = slack.wait_for_hellos(2, PATIENCE)[:2]
    envelope = socket_bot.command("help")
    assert slack.wait_for_ack(envelope, PATIENCE).link == second.id
    slack.wait_until(lambda: [first] if first.state == "closed" else [], PATIENCE)
    assert first.state == "closed"  # the app closed the old connection itself
    assert [link.state for link in slack.links()] == ["closed", "open"]
    # A routine rotation: nothing worth a WARNING.
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert slack.problems() == []


def test_a_refused_app_token_fails_connect_at_once(fake_slack: FakeSlack, sqlite_url: str) -> None:
    settings = Settings(
        slack_bot_token="xoxb-test", slack_api_url=fake_slack.url, database_url=sqlite_url
    )
    app = create_app(settings, make_config(), socket_mode=True)
    try:
        fake_slack.fail_next("apps.connections.open", error="invalid_auth")
        with pytest.raises(SlackApiError) as err:
            SocketMode(app.bolt, APP_TOKEN, fake_slack.url).connect()
        assert err.value.response["error"] == "invalid_auth"
        with pytest.raises(SlackApiError) as err:  # a bot token cannot open a socket
            SocketMode(app.bolt, "xoxb-test", fake_slack.url).connect()
        assert err.value.response["error"] == "not_allowed_token_type"
        assert fake_slack.socket_mode.links() == []
    finally:
        app.stop()


def _serve(tmp_path: Path, fake_slack: FakeSlack) -> subprocess.Popen[str]:
    """`leadbot serve --socket-mode` in its own process, as deployed."""
    (tmp_path / "leadbot.yml").write_text(
        "channels: {queue: C0QUEUE}\nreps: [{id: U0A, name: A}]\n"
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_APP_TOKEN": APP_TOKEN,
        "LEADBOT_INTAKE_TOKEN": INTAKE_TOKEN,
        "LEADBOT_CONFIG": str(tmp_path / "leadbot.yml"),
        "SLACK_API_URL": fake_slack.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEADBOT_"))}
    command = ["-m", "bot.cli", "serve", "--socket-mode", "--host", "127.0.0.1", "--port"]
    return subprocess.Popen(
        [sys.executable, *command, str(port)],
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_in_socket_mode_answers_over_the_socket_and_stops_on_sigterm(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    process = _serve(tmp_path, fake_slack)
    try:
        slack = fake_slack.socket_mode
        slack.wait_for_hellos(1, PATIENCE)
        body = slash_command(
            "help", user_id="U0A", channel_id="C0QUEUE", response_url=fake_slack.response_url()
        )
        slack.wait_for_ack(slack.send("slash_commands", envelope_payload(body)), PATIENCE)
        slack.drop("eof")
        slack.wait_for_hellos(2, PATIENCE)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=PATIENCE)
    assert process.returncode == 0, stderr
    assert "connected to Slack in Socket Mode" in stderr
    assert " ERROR " not in stderr and "Traceback" not in stderr, stderr
    assert stderr.count(" WARNING ") == 1, stderr  # the drop, once
    assert slack.links()[-1].state == "closed"  # closed on the way out, not left hanging


def test_serve_says_in_one_line_that_slack_refused_the_app_token(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("apps.connections.open", error="invalid_auth")
    process = _serve(tmp_path, fake_slack)
    _, stderr = process.communicate(timeout=PATIENCE)
    assert process.returncode == 2
    failure = [line for line in stderr.splitlines() if line.startswith("leadbot:")]
    assert failure == [
        "leadbot: Socket Mode refused SLACK_APP_TOKEN (invalid_auth): "
        "see README.md, section 'Set up a Slack app'"
    ], stderr
    assert "Traceback" not in stderr


def test_the_benchmark_still_starts() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "socket_bench.py"), "--help"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
