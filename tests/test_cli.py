"""The `leadbot` command as a user runs it: a real subprocess, a real environment."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.assemble import create_services
from bot.cli import LOG_FORMAT, OneLineFormatter
from bot.config.load import load_config
from bot.fakeslack.server import FakeSlack
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus
from tests.conftest import bot_settings
from tests.fakes.serving import served

ROOT = Path(__file__).resolve().parents[1]


def leadbot(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEADBOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "env", "missing"),
    [
        ([], {}, "SLACK_BOT_TOKEN is not set (HTTP mode needs it)"),
        ([], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set (HTTP mode needs it)"),
        (["--socket-mode"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN is not set"),
    ],
)
def test_serve_names_the_missing_variable_in_one_line(
    args: list[str], env: dict[str, str], missing: str, tmp_path: Path
) -> None:
    result = leadbot("serve", *args, env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert missing in lines[0]
    assert "README.md" in lines[0]
    assert "Traceback" not in result.stderr


def test_serve_with_a_broken_config_reports_the_path(tmp_path: Path) -> None:
    config = tmp_path / "leadbot.yml"
    config.write_text(
        "channels: {queue: C0QUEUE}\n"
        "reps:\n  - {id: U0ALICE, name: Alice, timezone: Europe/Berln}\n"
    )
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "LEADBOT_CONFIG": str(config)}
    result = leadbot("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "reps[0].timezone: unknown time zone 'Europe/Berln'" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_check_accepts_the_example_and_rejects_a_typo(tmp_path: Path) -> None:
    ok = leadbot("config", "check", str(ROOT / "leadbot.example.yml"))
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout
    bad = tmp_path / "leadbot.yml"
    bad.write_text(
        "channels: {queue: C0QUEUE}\nreps:\n  - {id: U0ALICE, name: Alice}\nsheduler: {}\n"
    )
    result = leadbot("config", "check", str(bad))
    assert result.returncode == 1
    assert "sheduler: unknown key (did you mean 'scheduler'?)" in result.stderr


def test_config_check_warns_of_a_source_whose_secret_is_not_set(tmp_path: Path) -> None:
    config = tmp_path / "leadbot.yml"
    config.write_text(
        "channels: {queue: C0QUEUE}\nreps:\n  - {id: U0ALICE, name: Alice}\n"
        "sources:\n  hub: {kind: hubspot, secret_env: HUB_SECRET, token_env: HUB_TOKEN}\n"
    )
    result = leadbot("config", "check", str(config), env={"HUB_SECRET": "set"})
    assert result.returncode == 0, result.stderr
    assert "warning: sources.hub: HUB_TOKEN is not set here" in result.stdout
    assert "HUB_SECRET" not in result.stdout


def test_db_upgrade_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    for _ in range(2):
        result = leadbot("db", "upgrade", env={"DATABASE_URL": url})
        assert result.returncode == 0, result.stderr
        assert "database is up to date" in result.stdout


def test_serve_says_when_slack_is_unreachable(tmp_path: Path) -> None:
    config = tmp_path / "leadbot.yml"
    config.write_text("channels: {queue: C0QUEUE}\nreps:\n  - {id: U0ALICE, name: Alice}\n")
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "LEADBOT_CONFIG": str(config),
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    result = leadbot("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot reach Slack at http://127.0.0.1:9/api/" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_tries_no_card_with_a_token_slack_rejects(tmp_path: Path) -> None:
    """The delivery worker begins before the web app is built (after a crash, that time is
    cards late), but only once Slack has accepted the token: with a revoked one every card
    would be given up for good. A lead waiting in the outbox stays pending and untried. Slack
    answers in 0.3 s here, so a worker begun before the check would post meanwhile."""
    config = tmp_path / "leadbot.yml"
    config.write_text("channels: {queue: C0QUEUE}\nreps:\n  - {id: U0ALICE, name: Alice}\n")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with FakeSlack(latency=0.3) as slow_slack:
        services = create_services(bot_settings(slow_slack, url), load_config(config))
        services.db.upgrade()
        services.intake.receive(services.leads.parse({"name": "Dana", "source": "web"}))
        services.db.dispose()
        env = {
            "SLACK_BOT_TOKEN": "revoked-1",  # not xoxb-: the fake answers invalid_auth
            "SLACK_SIGNING_SECRET": "s",
            "LEADBOT_CONFIG": str(config),
            "SLACK_API_URL": slow_slack.url,
            "DATABASE_URL": url,
        }
        result = leadbot("serve", env=env, cwd=tmp_path)
        tried = slow_slack.calls("chat.postMessage")
    assert result.returncode == 2
    assert "Slack rejected SLACK_BOT_TOKEN (`token` is invalid" in result.stderr
    assert "Traceback" not in result.stderr
    assert tried == []
    database = Database(url)
    with database.read() as session:
        rows = list(session.execute(select(OutboxMessage.status, OutboxMessage.attempts)))
    database.dispose()
    assert rows and set(rows) == {(OutboxStatus.PENDING, 0)}


def test_serve_runs_the_bot_until_stopped(tmp_path: Path, fake_slack: FakeSlack) -> None:
    config = (
        "channels: {queue: C0QUEUE}\nreps:\n  - {id: U0ALICE, name: Alice}\nscheduler: {tick: 1s}\n"
    )
    code, stderr = _serve_one_lead(tmp_path, fake_slack, config, {"name": "Dana"})
    assert code == 0, stderr
    assert "leadbot listening on http://127.0.0.1:" in stderr


def _serve_one_lead(
    tmp_path: Path, fake_slack: FakeSlack, config: str, lead: dict[str, str]
) -> tuple[int, str]:
    """`leadbot serve` in its own process: post `lead`, wait for its card, stop it with
    SIGTERM; its exit code and everything it wrote to stderr."""
    with served(tmp_path, fake_slack, config) as server:
        server.post_lead(lead)
        fake_slack.wait_for("chat.postMessage")
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)
    return server.process.returncode, server.stderr()


def test_route_prints_decisions_and_stores_nothing(tmp_path: Path) -> None:
    config = tmp_path / "leadbot.yml"
    config.write_text(
        "channels: {queue: C0QUEUE}\nreps:\n  - {id: U0ANA, name: Ana}\n  - {id: U0BO, name: Bo}\n"
    )
    leads = tmp_path / "leads.csv"
    leads.write_text("name,email\nDana,d@x.test\nLuis,l@y.test\n")
    env = {"LEADBOT_CONFIG": str(config), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    runs = [leadbot("route", str(leads), "--json", env=env) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0]
    answers = json.loads(runs[0].stdout)
    assert [a["owner"] for a in answers] == ["U0ANA", "U0BO"]
    assert runs[0].stdout == runs[1].stdout
    bad = leadbot("route", str(tmp_path / "nope.json"), env=env)
    assert bad.returncode == 2
    assert bad.stderr.strip() == f"{tmp_path / 'nope.json'}: No such file or directory"


@pytest.mark.parametrize(
    "script", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bench").glob("*_bench.py"))
)
def test_benchmarks_still_start(script: str) -> None:
    """Benchmarks are not tests, but they must keep importing what the code base provides."""
    result = subprocess.run(
        [sys.executable, str(ROOT / script), "--help"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_config_check_refuses_a_template_the_sandbox_refuses(tmp_path: Path) -> None:
    config = tmp_path / "leadbot.yml"
    config.write_text(
        "channels: {queue: C0QUEUE}\nreps: [{id: U0ALICE, name: Alice}]\n"
        "templates:\n  notify_manager: \"{{ ''.__class__.__mro__[1].__subclasses__() }}\"\n"
    )
    result = leadbot("config", "check", str(config))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{config}: templates.notify_manager: refused by the sandbox")


def test_a_newline_in_a_lead_cannot_forge_a_log_line() -> None:
    """`leadbot` logs one line per record whatever a lead's text holds."""
    record = logging.LogRecord(
        "bot.http",
        logging.INFO,
        __file__,
        1,
        "lead %s from %s",
        (1, "web\nERROR forged\r\x1b[31m"),
        None,
    )
    line = OneLineFormatter(LOG_FORMAT).format(record)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert line.endswith("INFO bot.http: lead 1 from web\\nERROR forged\\r\\x1b[31m")


def test_serve_logs_a_forging_lead_on_one_line(tmp_path: Path, fake_slack: FakeSlack) -> None:
    config = "channels: {queue: C0QUEUE}\nreps:\n  - {id: U0ALICE, name: Alice}\n"
    forged = "2026-11-25 09:00:00,000 ERROR bot.http: FORGED"
    lead = {"name": "Dana", "source": f"web\n{forged}"}
    _, stderr = _serve_one_lead(tmp_path, fake_slack, config, lead)
    assert not [line for line in stderr.splitlines() if line.startswith(forged)], stderr
    # The change log's line for the new lead, with the newline shown as \n, not obeyed.
    assert (
        "received by intake (source=web\\n2026-11-25 09:00:00,000 ERROR bot.http: FORGED)" in stderr
    )


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path: Path) -> None:
    """`leadbot audit … --json - | head -1` where the reader has gone before the report comes:
    the write breaks the pipe, and that is one exit code, not a traceback."""
    export = Path(__file__).parent / "review" / "exports" / "hubspot.csv"
    script = "from bot.cli import main; raise SystemExit(main())"
    args = ["audit", str(export), "--preset", "hubspot", "--tz", "UTC", "--json", "-"]
    with subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, cwd=tmp_path) as child:  # fmt: skip
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()  # gone long before the child has imported what it needs
        errors = child.stderr.read().decode()
        code = child.wait(timeout=60)
    assert "Traceback" not in errors, errors
    assert code == 1
