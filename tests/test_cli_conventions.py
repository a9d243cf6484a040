"""What every `leadbot` command shares: help that shows each option's default and the variables
the command reads, `--version` from the package's metadata, and one exit code per kind of
problem (`ExitCode`), the database's trouble included: one line, no password, no traceback."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

import bot.cli
from bot.cli import _parser, main
from bot.tools.cli_help import ENVIRONMENT, EXIT_CODES
from bot.vocabulary import ExitCode
from tests.test_cli import ROOT, leadbot

SECRET = "Zq9PWsecret"
EXPORT = ROOT / "tests" / "review" / "exports" / "hubspot.csv"
CONFIG = "channels: {queue: C0QUEUE}\nreps:\n  - {id: U0ALICE, name: Alice}\n"


def _commands(
    parser: argparse.ArgumentParser, path: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command that runs something (`db upgrade`, not `db`), with its parser."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for action in subs:
        for name, child in action.choices.items():
            yield from _commands(child, f"{path} {name}".strip())


COMMANDS = dict(_commands(_parser()))


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"leadbot {version('leadbot')}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_shows_its_default_and_every_command_its_environment(command: str) -> None:
    parser = COMMANDS[command]
    for action in parser._actions:
        assert action.help, f"{command} {action.dest}: no help"
        shown = action.default not in (None, False, [], argparse.SUPPRESS)
        if action.option_strings and shown:
            assert "default" in str(action.help), f"{command} {action.option_strings}"
    assert command in ENVIRONMENT, f"say in bot/tools/cli_help.py what `{command}` reads"
    text = parser.format_help()
    assert "environment" in text
    for name in ENVIRONMENT[command]:
        assert name in text


def test_the_top_help_has_the_exit_codes_and_the_dotenv() -> None:
    text = _parser().format_help()
    for code, meaning in EXIT_CODES.items():
        assert f"  {int(code):<3}  {meaning}" in text
    assert "./.env" in text


def test_ctrl_c_is_130_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(_args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(bot.cli, "_db_upgrade", interrupted)
    assert main(["db", "upgrade"]) == ExitCode.INTERRUPTED


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "leadbot.yml").write_text(CONFIG)
    (tmp_path / "leads.csv").write_text("name,email\nDana,dana@northwind.test\n")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["db", "upgrade"],
        ["route", "leads.csv"],
        ["import", "leads.csv"],
        ["quarantine", "list"],
        ["lead", "42"],
        ["simulate", "leadbot.yml"],
        ["audit", str(EXPORT), "--preset", "hubspot", "--tz", "UTC", "--config", "leadbot.yml",
         "--compare"],
    ],
    ids=lambda args: " ".join(args[:2]) if args[0] != "audit" else "audit --compare",
)  # fmt: skip
def test_an_unreachable_database_is_one_line_and_exit_3_everywhere(
    args: list[str],
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("LEADBOT_CONFIG", raising=False)
    monkeypatch.setenv("DATABASE_URL", _unreachable())
    assert main(args) == ExitCode.DATABASE
    out, err = capsys.readouterr()
    _assert_unreachable_said_once(err)
    assert SECRET not in out + err


def test_serve_with_an_unreachable_database_is_one_line_and_exit_3(workdir: Path) -> None:
    env = {"DATABASE_URL": _unreachable(), "SLACK_BOT_TOKEN": "xoxb-1",
           "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "http://127.0.0.1:9/api/"}  # fmt: skip
    result = leadbot("serve", env=env, cwd=workdir)
    assert result.returncode == ExitCode.DATABASE, result.stderr
    _assert_unreachable_said_once(result.stderr)
    assert SECRET not in result.stdout + result.stderr


def _unreachable() -> str:
    return f"postgres://leadbot:{SECRET}@127.0.0.1:{_closed_port()}/leadbot"


def _assert_unreachable_said_once(stderr: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("leadbot: cannot reach the PostgreSQL server at 127.0.0.1:")
    assert lines[0].endswith(": connection refused (DATABASE_URL)")


def test_a_bad_database_url_is_exit_3_and_config_check_does_not_open_it(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("DATABASE_URL", f"mysql://leadbot:{SECRET}@db/leadbot")
    assert main(["db", "upgrade"]) == ExitCode.DATABASE
    err = capsys.readouterr().err
    assert err.startswith("leadbot: DATABASE_URL names a database leadbot does not support")
    assert SECRET not in err
    assert main(["config", "check", "leadbot.yml"]) == ExitCode.OK


def test_unknown_ids_are_exit_4_in_the_quarantine(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'leadbot.db'}")
    monkeypatch.setenv("LEADBOT_CONFIG", str(workdir / "leadbot.yml"))
    for verb in (["show", "99"], ["retry", "99"], ["dismiss", "99", "--reason", "spam"]):
        assert main(["quarantine", *verb]) == ExitCode.NOT_FOUND
        assert capsys.readouterr().err == "nothing in the quarantine has id 99\n"


def test_leadbot_runs_as_a_module_with_the_same_codes(workdir: Path) -> None:
    """`python -m bot.cli` is `leadbot`: a usage error from argparse is 2 as well."""
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "lead", "not-a-number"],
        cwd=workdir,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == ExitCode.USAGE
    assert "is not a lead number" in result.stderr
