"""`.env`: `leadbot` reads the working directory's, the real environment wins over it, values
are never printed; and `.env.example` documents every variable leadbot reads, one comment each."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_env_file
from tests.test_cli import ROOT, leadbot

EXAMPLE = ROOT / ".env.example"
# How leadbot's code reads a variable: os.environ.get("X"), os.getenv("X"), env.get("X"),
# os.environ["X"].
READS = re.compile(r"""(?:environ\.get|getenv|\benv\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
                   r"""|environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]""")  # fmt: skip
# Read by leadbot, but set by it for a library, not a setting: Selenium's, while `make pictures`
# screenshots (bot/tools/screenshot.py).
NOT_SETTINGS = {"SE_OFFLINE"}


def test_the_file_fills_in_what_the_environment_does_not_set(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# a comment\n"
        "DATABASE_URL=sqlite:///from-file.db\n"
        "export SLACK_BOT_TOKEN='xoxb-from-file'  # trailing comment\n"
        'LEADBOT_INTAKE_TOKEN="pa$$word #1"\n'
        "SLACK_APP_TOKEN=\n"
        "LEADBOT_CONFIG=from-file.yml\n",
        encoding="utf-8",
    )
    env = {"LEADBOT_CONFIG": "real.yml"}
    added = load_env_file(dotenv, env)
    assert sorted(added) == ["DATABASE_URL", "LEADBOT_INTAKE_TOKEN", "SLACK_BOT_TOKEN"]
    assert env == {
        "LEADBOT_CONFIG": "real.yml",  # the real environment wins
        "DATABASE_URL": "sqlite:///from-file.db",
        "SLACK_BOT_TOKEN": "xoxb-from-file",
        "LEADBOT_INTAKE_TOKEN": "pa$$word #1",  # taken literally: no ${VAR}, no $$ games
    }  # SLACK_APP_TOKEN= (empty) is left out: unset, as blank always means


def test_no_file_is_nothing_and_an_unreadable_one_is_one_line(tmp_path: Path) -> None:
    assert load_env_file(tmp_path / ".env", {}) == []
    (tmp_path / ".env").write_bytes(b"DATABASE_URL=caf\xe9\n")
    with pytest.raises(SettingsError, match=r"\.env: cannot be read \(not UTF-8 text\)"):
        load_env_file(tmp_path / ".env", {})


def test_leadbot_reads_the_working_directory_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite:///{tmp_path / 'from-env.db'}\n")
    result = leadbot("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-env.db").is_file()
    real = leadbot("db", "upgrade", env={"DATABASE_URL": "sqlite:///real.db"}, cwd=tmp_path)
    assert real.returncode == 0, real.stderr
    assert (tmp_path / "real.db").is_file()


def test_a_secret_in_the_env_file_is_never_printed(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=postgres://leadbot:Zq9PWsecret@127.0.0.1:1/x\n")
    result = leadbot("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 3
    assert "Zq9PWsecret" not in result.stdout + result.stderr


def _variables_read() -> set[str]:
    found: set[str] = set()
    for top in ("bot", "handlers", "blocks", "storage"):
        for path in (ROOT / top).rglob("*.py"):
            for match in READS.finditer(path.read_text(encoding="utf-8")):
                found.add(match.group(1) or match.group(2))
    return found


def _documented() -> dict[str, str]:
    """Each variable of .env.example and the comment line right above it."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    return {
        line.split("=", 1)[0]: lines[n - 1]
        for n, line in enumerate(lines)
        if re.match(r"[A-Z][A-Z0-9_]*=", line)
    }


def test_env_example_documents_every_variable_leadbot_reads() -> None:
    read = _variables_read() - NOT_SETTINGS
    assert {
        "DATABASE_URL",
        "SLACK_BOT_TOKEN",
        "LEADBOT_DASHBOARD_REFRESH",
    } <= read  # the scan works
    documented = _documented()
    assert read - documented.keys() == set(), "add them to .env.example"
    for name, comment in documented.items():
        assert comment.startswith("# "), f"{name}: no comment right above it"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "secret_env" in text and "token_env" in text  # the sources' own variables


def test_env_example_as_it_is_gives_leadbot_its_defaults() -> None:
    env: dict[str, str] = {}
    load_env_file(EXAMPLE, env)
    assert not env.keys() & _variables_read()  # leadbot's own are blank until filled in
    assert Settings.from_env(env) == Settings(source_secrets=env)
