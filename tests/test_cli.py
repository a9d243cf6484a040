"""The `leadbot` command as a user runs it: a real subprocess, a real environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_db_upgrade_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    for _ in range(2):
        result = leadbot("db", "upgrade", env={"DATABASE_URL": url})
        assert result.returncode == 0, result.stderr
        assert "database is up to date" in result.stdout
