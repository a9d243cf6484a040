"""The log as operators read it (bot/ops/logs.py): LOG_LEVEL, and LOG_FORMAT=json|text, one
record a line either way, through `leadbot serve` as deployed."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from bot.fakeslack.server import FakeSlack
from bot.ops.logs import JsonFormatter, log_settings
from bot.settings import SettingsError
from tests.fakes.serving import served, wait_until
from tests.test_cli import leadbot

CONFIG = "channels: {queue: C0QUEUE}\nreps: [{id: U0ALICE, name: Alice}]\nscheduler: {tick: 1s}\n"


def test_the_defaults_and_what_is_accepted() -> None:
    assert log_settings({}) == ("INFO", "text")
    assert log_settings({"LOG_LEVEL": " debug ", "LOG_FORMAT": "JSON"}) == ("DEBUG", "json")
    with pytest.raises(SettingsError, match="LOG_LEVEL must be one of DEBUG, INFO, WARNING, "):
        log_settings({"LOG_LEVEL": "verbose"})
    with pytest.raises(SettingsError, match="LOG_FORMAT must be text or json, not 'yaml'"):
        log_settings({"LOG_FORMAT": "yaml"})


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("bot.x", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_a_json_record_is_one_line_with_its_extra_keys() -> None:
    record = _record("lead %s from %s", 7, "web\nERROR forged", lead_id=7, actor="leadbot")
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "lead 7 from web\nERROR forged"  # escaped on the line, whole here
    assert (entry["level"], entry["logger"], entry["lead_id"], entry["actor"]) == (
        "WARNING", "bot.x", 7, "leadbot",
    )  # fmt: skip
    assert entry["time"].endswith("+00:00")
    assert "ValueError: boom" in entry["exception"]


def test_serve_logs_json_lines_with_each_change(tmp_path: Path, fake_slack: FakeSlack) -> None:
    env = {"LOG_FORMAT": "json"}
    with served(tmp_path, fake_slack, CONFIG, env) as server:
        server.post_lead({"name": "Dana Secretname", "email": "dana@northwind.test"})
        wait_until(lambda: _card(fake_slack), "Dana's card")
        wait_until(lambda: "delivery worker started" in server.stderr(), "the worker's line")
    lines = [line for line in server.stderr().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    received = [e for e in entries if e.get("event") == "received"]
    assert received and received[0]["lead_id"] == 1 and received[0]["actor"] == "intake"
    assert {"time", "level", "logger", "message"} <= set(received[0])
    assert any(e["message"].startswith("delivery worker started") for e in entries)  # the worker
    assert "Secretname" not in server.stderr() and "dana@" not in server.stderr()


def test_serve_at_warning_says_nothing_of_routine(tmp_path: Path, fake_slack: FakeSlack) -> None:
    with served(tmp_path, fake_slack, CONFIG, {"LOG_LEVEL": "WARNING"}) as server:
        server.post_lead({"name": "Dana"})
        wait_until(lambda: _card(fake_slack), "Dana's card")
    assert " INFO " not in server.stderr()


def test_a_mistyped_log_setting_is_one_line(tmp_path: Path) -> None:
    result = leadbot("config", "check", env={"LOG_FORMAT": "pretty"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "leadbot: LOG_FORMAT must be text or json, not 'pretty'\n"


def _card(fake_slack: FakeSlack) -> bool:
    return any(call.ok for call in fake_slack.calls("chat.postMessage"))
