"""`leadbot templates check` (bot/cli.py): the starter set and the admin's directory rendered
with the sample leads, one line per problem, a count, and the exit code a script can test."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli

GOOD = (
    "---\nchannel: call\ndescription: A call about pricing.\n---\n"
    'Hi {{ lead.first_name | default("there") }}\n'
)


@pytest.fixture(autouse=True)
def _in_a_clean_place(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # main() sets up logging for a real process; in-process it would change pytest's loggers.
    monkeypatch.setattr(cli, "configure_logging", lambda: None)
    monkeypatch.delenv("LEADBOT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no leadbot.yml here unless a test writes one


def templates(tmp_path: Path, files: dict[str, str], under: str = "templates") -> Path:
    directory = tmp_path / under
    directory.mkdir(parents=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def run(*args: str) -> int:
    return cli.main(["templates", "check", *args])


def test_a_good_directory_passes_with_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `intro` overrides the starter's: seven templates in use, not eight.
    templates(tmp_path, {"pitch.md.j2": GOOD, "intro.md.j2": "Hi {{ owner.first_name }}"})
    assert run("--dir", "templates") == 0
    assert capsys.readouterr().out == "7 templates, 0 errors, 0 warnings\n"


def test_a_syntax_error_names_file_and_line_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = "---\nchannel: email\n---\nHi,\n\n{{ lead.company }\n"
    templates(tmp_path, {"intro.md.j2": broken, "pitch.md.j2": GOOD})
    assert run("--dir", "templates") == 1
    assert capsys.readouterr().out.splitlines() == [
        "templates/intro.md.j2:6: unexpected '}'",
        "7 templates, 1 error, 0 warnings",
    ]


def test_warnings_alone_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    templates(tmp_path, {"pitch.md.j2": "Hi {{ leed }}"})
    assert run("--dir", "templates") == 0
    assert capsys.readouterr().out.splitlines() == [
        "templates/pitch.md.j2:1: warning: 'leed' is not a value leadbot provides",
        "7 templates, 0 errors, 1 warning",
    ]


@pytest.mark.parametrize(
    ("make", "says"), [(False, "no such directory"), (True, "not a directory")]
)
def test_a_missing_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: bool, says: str
) -> None:
    if make:
        (tmp_path / "nope").write_text("a file")
    assert run("--dir", "nope") == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"leadbot: nope: {says}\n")


def test_list_shows_each_template_in_use_with_its_channel_and_description(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates(tmp_path, {"pitch.md.j2": GOOD, "value.md.j2": "Hi {{ owner.first_name }}"})
    assert run("--dir", "templates", "--list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "breakup      email     The last email of the cadence; leaves the door open.  [starter]",
        "call_script  call      A short talk track for a follow-up call, with a voicemail to "
        "leave.  [starter]",
        "case_study   email     Day 7 email with a customer story and a low-effort next step."
        "  [starter]",
        "connect      linkedin  Day 10 LinkedIn connection note; LinkedIn caps these at 300 "
        "characters.  [starter]",
        "intro        email     Day 1 reply to a new enquiry; asks for a short call.  [starter]",
        "pitch        call      A call about pricing.  [templates/pitch.md.j2]",
        "value        email     (no description)  [templates/value.md.j2]",
        "7 templates, 0 errors, 0 warnings",
    ]


def test_the_starter_set_alone_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert run() == 0  # no --dir, no leadbot.yml: only the built-in templates
    assert capsys.readouterr().out == "6 templates, 0 errors, 0 warnings\n"


def test_the_directory_comes_from_the_config_relative_to_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    templates(tmp_path, {"intro.md.j2": "{% if %}"}, under="site/outreach")
    config = tmp_path / "site" / "leadbot.yml"
    config.write_text("channels: {queue: C0QUEUE}\nfollowup: {templates: outreach}\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert run("--config", str(config)) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'site' / 'outreach' / 'intro.md.j2'}:1: ")
    assert lines[-1] == "6 templates, 1 error, 0 warnings"
    monkeypatch.setenv("LEADBOT_CONFIG", str(config))  # found the way `config check` finds it
    assert run() == 1


def test_a_named_config_that_is_missing_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADBOT_CONFIG", "team.yml")
    assert run() == 2
    assert capsys.readouterr().err == "leadbot: team.yml: file not found\n"
