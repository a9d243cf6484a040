"""`leadbot roster sync`: a real leadbot.yml, the fake Slack over HTTP, the real WebClient."""

from __future__ import annotations

import difflib
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from bot.cli import main
from bot.config.load import load_config
from bot.fakeslack.server import FakeSlack
from bot.tools.roster import FIELDS, Options, sync
from bot.tools.roster_slack import Pacer, SlackReader, display_name, make_client
from bot.vocabulary import ExitCode

TOKEN = "xoxb-test"

CONFIG = """\
# Our sales floor: Slack ids, not names.
timezone: America/New_York

channels:
  queue: C0QUEUE   # unclaimed leads wait here

managers:
  - id: U0MAYA
    name: Maya

# The reps who receive leads.
reps:
  - id: U0ALICE        # Alice runs EMEA
    name: Alice
    quiet_hours: "20:00-08:00"
    away: [2026-12-24, {from: 2026-12-28, to: 2027-01-02}]
    manager: U0MAYA
  # Bo is on the partner desk
  - id: U0BO
    name: Bo Brown
    timezone: Europe/Lisbon
  - name: Dee
    email: dee@acme.test   # her id: roster sync fills it in

teams:
  emea: {reps: [U0ALICE, U0BO], strategy: round_robin}

routing:
  default: [U0ALICE,  U0BO]    # aligned by hand

digest:
  leaderboard: on      # YAML 1.1: a boolean
"""


@pytest.fixture
def slack(fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    """The workspace: @sales has Alice, Chen, Dee, a bot, an app and a deactivated account;
    Bo is not in it."""
    fake_slack.add_user("U0ALICE", "alice", "Alice Adams", tz="Europe/Berlin",
                        email="alice@acme.test")  # fmt: skip
    fake_slack.add_user("U0BO", "bo", "Bo Brown", tz="America/Chicago", email="bo@acme.test")
    fake_slack.add_user("U0CHEN", "chen", "Chen Wei", tz="Asia/Singapore", email="chen@acme.test")
    fake_slack.add_user("U0DEE", "dee", "Dee Diaz", tz="America/Denver", email="dee@acme.test")
    fake_slack.add_user("U0BOT", "deploy", "Deploy Bot", tz=None, is_bot=True)
    fake_slack.add_user("U0APP", "helper", "Helper App", is_app_user=True)
    fake_slack.add_user("U0GONE", "gone", "Gone Person")
    fake_slack.deactivate("U0GONE")
    fake_slack.add_usergroup(
        "sales", ["U0ALICE", "U0CHEN", "U0DEE", "U0BOT", "U0APP", "U0GONE"], name="Sales"
    )
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    return fake_slack


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "leadbot.yml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def roster_sync(path: Path, *args: str) -> int:
    return main(["roster", "sync", "--config", str(path), *args])


def removed_and_added(old: str, new: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(old.splitlines(), new.splitlines()))
    return [d[2:] for d in diff if d[:2] == "- "], [d[2:] for d in diff if d[:2] == "+ "]


def test_sync_adds_members_fills_what_is_missing_and_keeps_the_rest_byte_for_byte(
    slack: FakeSlack, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert roster_sync(config_file, "--usergroup", "@sales") == ExitCode.OK
    new = config_file.read_text(encoding="utf-8")
    removed, added = removed_and_added(CONFIG, new)
    # One line was replaced (Dee's entry gets its id first); everything else is additions.
    assert removed == ["  - name: Dee"]
    assert added == [
        "    email: alice@acme.test",
        "    timezone: Europe/Berlin",
        "  - id: U0DEE",
        "    name: Dee",
        "    timezone: America/Denver",
        "  - id: U0CHEN",
        "    name: Chen Wei",
        "    email: chen@acme.test",
        "    timezone: Asia/Singapore",
    ]
    assert "  - id: U0ALICE        # Alice runs EMEA\n    name: Alice\n" in new  # not refreshed
    assert "    email: dee@acme.test   # her id: roster sync fills it in\n" in new
    assert (config_file.parent / "leadbot.yml.bak").read_text(encoding="utf-8") == CONFIG
    config = load_config(config_file)
    assert [rep.id for rep in config.reps] == ["U0ALICE", "U0BO", "U0DEE", "U0CHEN"]
    assert config.tz_for("U0CHEN").key == "Asia/Singapore"
    assert config.rep("U0ALICE").quiet_hours == "20:00-08:00"  # type: ignore[union-attr]
    out = capsys.readouterr().out
    assert "@sales: added 1, updated 2, unchanged 0, skipped 3" in out
    assert "skipped: Deploy Bot (U0BOT) (bot)" in out
    assert "skipped: Gone Person (U0GONE) (deactivated)" in out
    assert "skipped: Helper App (U0APP) (app user)" in out
    assert "not in group: Bo Brown (U0BO) (in leadbot.yml but not in @sales)" in out
    assert "note: Alice (U0ALICE): Slack's name is 'Alice Adams'" in out
    assert "alice@acme.test" not in out  # the summary shows no addresses
    assert slack.problems() == []


def test_a_second_sync_changes_nothing(slack: FakeSlack, config_file: Path) -> None:
    assert roster_sync(config_file, "--usergroup", "sales") == ExitCode.OK
    once = config_file.read_text(encoding="utf-8")
    (config_file.parent / "leadbot.yml.bak").unlink()
    assert roster_sync(config_file, "--usergroup", "sales") == ExitCode.OK
    assert config_file.read_text(encoding="utf-8") == once
    assert not (config_file.parent / "leadbot.yml.bak").exists()


def test_refresh_overwrites_only_the_fields_it_names(slack: FakeSlack, config_file: Path) -> None:
    assert roster_sync(config_file, "--usergroup", "@sales", "--refresh", "name") == 0
    config = load_config(config_file)
    alice, dee = config.rep("U0ALICE"), config.rep("U0DEE")
    assert alice is not None and dee is not None
    assert (alice.name, dee.name) == ("Alice Adams", "Dee Diaz")
    assert alice.timezone == "Europe/Berlin"  # missing, so filled in without being named


def test_dry_run_prints_the_diff_and_writes_nothing(
    slack: FakeSlack, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert roster_sync(config_file, "--usergroup", "@sales", "--dry-run") == ExitCode.OK
    assert config_file.read_text(encoding="utf-8") == CONFIG
    assert not (config_file.parent / "leadbot.yml.bak").exists()
    assert [p.name for p in config_file.parent.iterdir()] == ["leadbot.yml"]  # no temp left
    out = capsys.readouterr().out
    assert f"--- {config_file}\n+++ {config_file} (synced)\n" in out
    assert "+  - id: U0CHEN\n" in out and "-  - name: Dee\n" in out
    assert f"dry run: nothing written to {config_file}" in out


def test_prune_removes_only_reps_nothing_else_names(
    slack: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CONFIG.replace(
        "  - name: Dee\n", "  - id: U0ZED       # left in March\n    name: Zed\n  - name: Dee\n"
    )
    path = tmp_path / "leadbot.yml"
    path.write_text(text, encoding="utf-8")
    assert roster_sync(path, "--usergroup", "@sales", "--prune") == ExitCode.OK
    new = path.read_text(encoding="utf-8")
    assert "U0ZED" not in new and "Zed" not in new
    assert "  # Bo is on the partner desk\n  - id: U0BO\n    name: Bo Brown\n" in new
    assert "removed: Zed (U0ZED)" in (out := capsys.readouterr().out)
    assert "kept: Bo Brown (U0BO) (not in @sales, but teams.emea.reps[1] names them)" in out
    assert [rep.id for rep in load_config(path).reps] == ["U0ALICE", "U0BO", "U0DEE", "U0CHEN"]


def test_missing_scope_is_one_line_and_exit_2(
    slack: FakeSlack, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slack.fail_next("usergroups.users.list", error="missing_scope")
    assert roster_sync(config_file, "--usergroup", "@sales") == ExitCode.USAGE
    assert capsys.readouterr().err == (
        "leadbot roster sync: Slack refused usergroups.users.list: missing_scope (add "
        "usergroups:read to the app's bot scopes in manifest.yml, then reinstall the app)\n"
    )
    assert config_file.read_text(encoding="utf-8") == CONFIG


def test_an_unknown_group_names_the_ones_there_are(
    slack: FakeSlack, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert roster_sync(config_file, "--usergroup", "@sails") == ExitCode.USAGE
    assert capsys.readouterr().err == (
        "leadbot roster sync: no user group @sails in this workspace (there are: @sales)\n"
    )


def test_a_result_that_would_not_load_is_not_written(
    slack: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "leadbot.yml"
    text = "channels: {queue: C0QUEUE}\nreps:\n  - id: U0ZED\n    name: Zed\n"
    path.write_text(text, encoding="utf-8")
    slack.add_usergroup("robots", ["U0BOT"])
    assert roster_sync(path, "--usergroup", "@robots", "--prune") == ExitCode.USAGE
    assert path.read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir()] == ["leadbot.yml"]
    err = capsys.readouterr().err
    assert "would not load after the sync, so nothing was written" in err
    assert "at least one rep is required" in err


def test_a_file_without_reps_gets_the_section(slack: FakeSlack, tmp_path: Path) -> None:
    path = tmp_path / "leadbot.yml"
    text = "# Just started.\nchannels:\n  queue: C0QUEUE   # the queue\n"
    path.write_text(text, encoding="utf-8")
    assert roster_sync(path, "--usergroup", "@sales") == ExitCode.OK
    new = path.read_text(encoding="utf-8")
    assert new.startswith(text + "\nreps:\n  - id: U0ALICE\n    name: Alice Adams\n")
    assert [rep.id for rep in load_config(path).reps] == ["U0ALICE", "U0CHEN", "U0DEE"]


def test_a_file_with_windows_line_ends_keeps_them(slack: FakeSlack, tmp_path: Path) -> None:
    path = tmp_path / "leadbot.yml"
    text = CONFIG.replace("\n", "\r\n")
    path.write_bytes(text.encode())
    assert roster_sync(path, "--usergroup", "@sales") == ExitCode.OK
    new = path.read_bytes().decode()
    assert new.count("\n") == new.count("\r\n") == text.count("\n") + 8
    assert removed_and_added(text, new)[0] == ["  - name: Dee"]


def test_a_channel_is_read_page_by_page(slack: FakeSlack, config_file: Path) -> None:
    slack.add_channel("general", ["U0ALICE"])
    slack.add_channel("sales-floor", ["U0ALICE", "U0BO", "U0CHEN", "U0DEE", "U0BOT"])
    reader = SlackReader(make_client(TOKEN, slack.url), page=2)
    options = Options(config_file, channel="#sales-floor")
    out = io.StringIO()
    assert sync(options, reader, Console(file=out)) == ExitCode.OK
    cursors = [call.args.get("cursor") for call in slack.calls("conversations.members")]
    assert cursors == [None, "2", "4"]
    assert slack.calls("conversations.list")[0].args["types"] == "public_channel,private_channel"
    assert "#sales-floor: added 1, updated 3, unchanged 0, skipped 1" in out.getvalue()
    assert [rep.id for rep in load_config(config_file).reps] == [
        "U0ALICE", "U0BO", "U0DEE", "U0CHEN"
    ]  # fmt: skip
    assert load_config(config_file).tz_for("U0BO").key == "Europe/Lisbon"  # hand-set, kept


def test_on_a_terminal_the_summary_is_a_table(slack: FakeSlack, config_file: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    reader = SlackReader(make_client(TOKEN, slack.url))
    assert sync(Options(config_file, usergroup="@sales", dry_run=True), reader, console) == 0
    shown = out.getvalue()
    assert "@sales → reps:" in shown and "│ added" in shown and "│ Chen Wei (U0CHEN)" in shown


def test_a_file_leadbot_cannot_read_costs_no_slack_call(
    slack: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "leadbot.yml"
    path.write_text("reps: [\n", encoding="utf-8")
    assert roster_sync(path, "--usergroup", "@sales") == ExitCode.USAGE
    assert capsys.readouterr().err.startswith(f"leadbot roster sync: {path}: line 2, column 1: ")
    assert slack.calls() == []


def test_a_429_is_waited_out(slack: FakeSlack, config_file: Path) -> None:
    slack.fail_next("users.info", status=429, retry_after=0)
    assert roster_sync(config_file, "--usergroup", "@sales") == ExitCode.OK
    outcomes = [call.response.get("error", "ok") for call in slack.calls("users.info")]
    assert outcomes[0] == "ratelimited" and outcomes.count("ok") == 6


def test_the_pacer_allows_a_burst_then_keeps_the_pace() -> None:
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 2))
        now[0] += seconds

    pacer = Pacer({"users.info": 60 / 0.95}, monotonic=lambda: now[0], sleep=sleep)
    for _ in range(12):
        pacer.wait("users.info")
        pacer.wait("auth.test")  # not paced
    # Paced at 95 % of the budget, one a second, after a burst five seconds deep.
    assert slept == [1.0] * (12 - 5)


# -- hypothesis: whatever Slack's profiles hold, the file parses and loads ----------------------

# Pieces YAML gives a meaning to, alone or together, and words YAML 1.1 reads as other types.
TRICKY = [*":#-'\"{}[],&*!|>%@`~?\\", " ", "\n", "\t", "\u2028", "\x85", "\x00", "null", "no",
          "on", "0x1f", "1:30", "2026-01-01", "é", "日", "🙂"]  # fmt: skip
NAMES = st.lists(st.sampled_from(TRICKY) | st.characters(codec="utf-8"), max_size=8).map("".join)
ZONES = st.one_of(
    st.none(),
    st.sampled_from(["Europe/Berlin", "UTC", "", "Mars/Olympus", "../../etc/passwd", "UTC\n"]),
    st.text(max_size=12),
)
EMAILS = st.one_of(st.none(), st.just("a.b@acme.test"), st.text(max_size=12))
PROFILE = st.fixed_dictionaries(
    {
        "name": NAMES,
        "real_name": NAMES,
        "display_name": NAMES,
        "tz": ZONES,
        "email": EMAILS,
        "is_bot": st.booleans(),
    }
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(profiles=st.lists(PROFILE, min_size=1, max_size=3))
def test_any_profiles_give_a_file_that_loads(
    profiles: list[dict[str, Any]], slack: FakeSlack, tmp_path: Path
) -> None:
    slack.reset()
    ids = [f"U0X{n}" for n in range(len(profiles))]
    for user_id, profile in zip(ids, profiles, strict=True):
        slack.add_user(user_id, **profile)
    slack.add_usergroup("sales", ids)
    path = tmp_path / f"{uuid.uuid4().hex}.yml"
    # The first is in the file already: refreshed, their entry is written again.
    path.write_text(CONFIG.replace("  - name: Dee\n", "  - id: U0X0\n    name: Dee\n"))
    reader = SlackReader(make_client(TOKEN, slack.url))
    options = Options(path, usergroup="@sales", refresh=frozenset(FIELDS))
    assert sync(options, reader, Console(file=io.StringIO())) == 0
    config = load_config(path)
    for call in slack.calls("users.info"):
        user = call.response["user"]
        rep = config.rep(user["id"])
        if user["is_bot"]:
            assert rep is None or rep.name == "Dee"
            continue
        assert rep is not None
        assert rep.name == (display_name(user, user["profile"]) or user["id"])
        assert rep.timezone in (user.get("tz"), None)
