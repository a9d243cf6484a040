"""Loading leadbot.yml (bot/config/load.py): the example file, the built-in defaults, every
problem reported in document order, and YAML mistakes explained."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest

from bot.config.errors import ConfigError
from bot.config.load import default_config, load_config, parse_config
from bot.config.schema import BusinessHours, Config, Person
from tests.config.conftest import base

EXAMPLE = Path(__file__).resolve().parents[2] / "leadbot.example.yml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "leadbot.yml"
    path.write_text(text, encoding="utf-8")
    return path


# --- loading valid files -----------------------------------------------------------------------


def test_example_file_loads_with_every_section() -> None:
    config = load_config(EXAMPLE)
    assert config.timezone == "America/New_York"
    assert config.business_hours == BusinessHours(
        days=["mon", "tue", "wed", "thu", "fri"],
        start=time(9, 0),
        end=time(17, 30),
        holidays=[date(2026, 11, 26), date(2026, 12, 25)],
        timezone="America/New_York",
    )
    assert config.channels.queue == "C0QUEUE"
    assert config.managers == [
        Person(id="U0MGR", name="Maya", timezone="America/New_York"),
        Person(id="U0MGR2"),
    ]
    assert config.reps[0].quiet_window == (time(20, 0), time(8, 0))
    assert config.scheduler.tick == timedelta(seconds=5)


def test_default_config() -> None:
    config = default_config()
    assert isinstance(config, Config)
    assert config.rep_ids() == ["U0ALICE", "U0BO", "U0CHEN"]
    assert [config.tz_for(r).key for r in config.rep_ids()] == [
        "Europe/Berlin",
        "America/New_York",
        "Asia/Singapore",
    ]
    assert config.display_name("U0MAYA") == "Maya"
    assert config.is_manager("U0MAYA")
    assert config.business_hours is None
    assert config.channels.model_dump() == {
        "leads": "C0LEADS",
        "queue": "C0QUEUE",
        "managers": "C0MGRS",
        "alerts": None,  # failed deliveries go to the admins' DMs
    }


# --- many errors at once ---------------------------------------------------------------------


def test_all_errors_are_reported_grouped_by_section_and_entry() -> None:
    data = base()
    data["timezone"] = "Nowhere/Land"
    data["channels"] = {"queue": "C0QUEUE", "leds": "C0LEADS"}
    data["reps"] = [
        {"id": "U0ALICE", "name": "Alice", "manager": "U0NOPE", "emial": "a@acme.test"},
        {"id": "U0BO", "name": "Bo", "timezone": "Europe/Berln"},
        {"id": "U0ALICE", "name": "Alice again"},
    ]
    data["scheduler"] = {"tick": "5x"}
    with pytest.raises(ConfigError) as excinfo:
        parse_config(data, source="team.yml")
    assert excinfo.value.errors == [
        "timezone: unknown time zone 'Nowhere/Land'",
        "channels.leds: unknown key (did you mean 'leads'?)",
        "reps[0].emial: unknown key (did you mean 'email'?)",
        "reps[0].manager: 'U0NOPE' is not listed under managers",
        "reps[1].timezone: unknown time zone 'Europe/Berln'",
        "reps[2].id: duplicate rep id 'U0ALICE' (also reps[0])",
        "scheduler.tick: '5x' is not a duration: use a number and a unit s, m, h or d, "
        "e.g. 90s, 15m, 1h30m",
    ]
    assert excinfo.value.source == "team.yml"
    assert str(excinfo.value).splitlines()[0] == (
        "team.yml: timezone: unknown time zone 'Nowhere/Land'"
    )
    assert "errors.pydantic.dev" not in str(excinfo.value)


# --- files -----------------------------------------------------------------------------------


def test_str_prefixes_every_line_with_the_file_and_ends_it_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "channels: {queue: C0QUEUE}\nreps: []\ntimezone: Europe/Berln\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    assert str(excinfo.value) == (
        f"{path}: timezone: unknown time zone 'Europe/Berln' (line 3)\n"
        f"{path}: reps: at least one rep is required (line 2)"
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(tmp_path / "nope.yml")
    assert str(excinfo.value) == f"{tmp_path / 'nope.yml'}: file not found"


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "timezone: UTC\nchannels:\n  queue: C0QUEUE\n reps: []\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    assert excinfo.value.errors == [
        "line 4, column 2: expected <block end>, but found '<block mapping start>' "
        "(check that this line is indented like its siblings)"
    ]


def test_yaml_tab_indentation(tmp_path: Path) -> None:
    path = write(tmp_path, "channels:\n\tqueue: C0QUEUE\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    assert excinfo.value.errors == [
        "line 2, column 1: found character '\\t' that cannot start any token "
        "(indent with spaces, not tabs)"
    ]


@pytest.mark.parametrize("text", ["", "# nothing yet\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(write(tmp_path, text))
    assert excinfo.value.errors == [
        "no settings found: expected at least 'channels' and 'reps' (see leadbot.example.yml)"
    ]


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(write(tmp_path, "- timezone: UTC\n"))
    assert excinfo.value.errors == [
        "expected settings as 'key: value' lines at the top level, got a list"
    ]


def test_unquoted_yaml_time_is_explained(tmp_path: Path) -> None:
    text = "channels: {queue: C0QUEUE}\nreps: [{id: U0A, name: A}]\n"
    text += "business_hours: {start: '09:00', end: 17:30}\n"
    with pytest.raises(ConfigError) as excinfo:
        load_config(write(tmp_path, text))
    assert excinfo.value.errors == [
        'business_hours.end: expected a time in quotes, like "17:30" '
        "(unquoted, YAML reads a number)"
    ]
