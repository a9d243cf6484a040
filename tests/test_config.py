import pickle
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config.errors import ConfigError
from bot.config.load import default_config, load_config, parse_config
from bot.config.schema import BusinessHours, Config, Person

EXAMPLE = Path(__file__).resolve().parent.parent / "leadbot.example.yml"


def base() -> dict[str, Any]:
    """The smallest valid config; each test changes one thing."""
    return {
        "channels": {"queue": "C0QUEUE"},
        "managers": ["U0MAYA"],
        "reps": [
            {"id": "U0ALICE", "name": "Alice", "timezone": "Europe/Berlin", "manager": "U0MAYA"},
            {"id": "U0BO", "name": "Bo"},
        ],
    }


def errors_of(data: object) -> list[str]:
    with pytest.raises(ConfigError) as excinfo:
        parse_config(data)
    return excinfo.value.errors


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


def test_minimal_config_gets_defaults() -> None:
    config = parse_config(base())
    assert config.timezone == "UTC"
    assert config.business_hours is None
    assert config.channels.leads is None
    assert config.admins == []
    assert config.scheduler.tick == timedelta(seconds=5)


def test_business_hours_always_means_none_and_full_day_names_are_accepted() -> None:
    assert parse_config({**base(), "business_hours": "always"}).business_hours is None
    hours = {"days": ["Monday", "sat"], "start": "8:00", "end": "12:00"}
    config = parse_config({**base(), "business_hours": hours})
    assert config.business_hours is not None
    assert config.business_hours.days == ["mon", "sat"]
    assert config.business_hours.start == time(8, 0)


def test_helpers() -> None:
    config = parse_config(
        {
            **base(),
            "timezone": "America/Chicago",
            "managers": [{"id": "U0MAYA", "name": "Maya", "timezone": "Asia/Tokyo"}, "U0SAM"],
            "admins": ["U0SAM"],
        }
    )
    assert config.rep_ids() == ["U0ALICE", "U0BO"]
    alice = config.rep("U0ALICE")
    assert alice is not None and alice.name == "Alice"
    assert config.rep("U0MAYA") is None
    assert config.tz_for("U0ALICE") == ZoneInfo("Europe/Berlin")
    assert config.tz_for("U0BO") == ZoneInfo("America/Chicago")
    assert config.tz_for("U0MAYA") == ZoneInfo("Asia/Tokyo")
    assert config.tz_for("U0NOBODY") == ZoneInfo("America/Chicago")
    assert config.is_manager("U0SAM") and config.is_manager("U0MAYA")
    assert not config.is_manager("U0ALICE")
    assert config.is_admin("U0SAM") and not config.is_admin("U0MAYA")
    assert [config.display_name(u) for u in ("U0BO", "U0MAYA", "U0SAM")] == ["Bo", "Maya", "U0SAM"]


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
    }


# --- one error, exact message --------------------------------------------------------------


def with_rep(index: int, **changes: object) -> dict[str, Any]:
    data = base()
    data["reps"][index] = {**data["reps"][index], **changes}
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            with_rep(1, timezone="Europe/Berln"),
            "reps[1].timezone: unknown time zone 'Europe/Berln'",
        ),
        ({**base(), "timezone": "Mars/Base"}, "timezone: unknown time zone 'Mars/Base'"),
        (
            with_rep(0, emial="a@acme.test"),
            "reps[0].emial: unknown key (did you mean 'email'?)",
        ),
        (with_rep(0, shoe_size=9), "reps[0].shoe_size: unknown key"),
        ({**base(), "timezon": "UTC"}, "timezon: unknown key (did you mean 'timezone'?)"),
        (
            with_rep(1, id="alice"),
            "reps[1].id: 'alice' is not a Slack user id: use a member id such as U0123ABCD",
        ),
        (
            with_rep(0, manager="U0X"),
            "reps[0].manager: 'U0X' is not listed under managers",
        ),
        (with_rep(1, id="U0ALICE"), "reps[1].id: duplicate rep id 'U0ALICE' (also reps[0])"),
        ({**base(), "reps": []}, "reps: at least one rep is required"),
        ({**base(), "reps": "U0ALICE"}, "reps: expected a list, got the text 'U0ALICE'"),
        (with_rep(0, name=42), "reps[0].name: expected text, got the number 42"),
        (with_rep(0, name=""), "reps[0].name: must not be empty"),
        (with_rep(0, name=False), "reps[0].name: expected text, got false (a yes/no value)"),
        (with_rep(0, email="alice"), "reps[0].email: 'alice' is not an email address"),
        (
            with_rep(0, quiet_hours="8pm-8am"),
            'reps[0].quiet_hours: expected a range like "20:00-08:00" (HH:MM-HH:MM), '
            "got '8pm-8am'",
        ),
        ({**base(), "channels": {}}, "channels.queue: required key is missing"),
        (
            {**base(), "channels": {"queue": "#leads"}},
            "channels.queue: '#leads' is not a Slack channel id: use the id such as C0123ABCD "
            "(shown at the bottom of the channel's About tab), not the channel name",
        ),
        (
            {**base(), "admins": ["bob"]},
            "admins[0]: 'bob' is not a Slack user id: use a member id such as U0123ABCD",
        ),
        (
            {**base(), "managers": ["U0MAYA", 7]},
            "managers[1]: expected a user id such as U0123ABCD or a mapping with id and name, "
            "got the number 7",
        ),
        (
            {**base(), "scheduler": {"tick": "0.5s"}},
            "scheduler.tick: must be between 1s and 5m, got 0.5s",
        ),
        (
            {**base(), "scheduler": {"tick": 10}},
            "scheduler.tick: '10' is not a duration: add a unit s, m, h or d, e.g. 10s or 10m",
        ),
        (
            {**base(), "business_hours": "weekdays"},
            "business_hours: expected 'always' or a mapping with days, start and end, "
            "got 'weekdays'",
        ),
        (
            {**base(), "business_hours": {"start": "17:00", "end": "09:00"}},
            "business_hours.end: must be later than start (17:00); "
            "overnight hours are not supported",
        ),
        (
            {**base(), "business_hours": {"start": "09:00", "end": 1050}},
            'business_hours.end: expected a time in quotes, like "17:30" '
            "(unquoted, YAML reads a number)",
        ),
        (
            {**base(), "business_hours": {"days": ["fun"], "start": "09:00", "end": "17:00"}},
            "business_hours.days[0]: 'fun' is not a day: use mon, tue, wed, thu, fri, sat or sun",
        ),
    ],
)
def test_single_error_message(data: dict[str, Any], expected: str) -> None:
    assert errors_of(data) == [expected]


def test_business_hours_time_and_holiday_messages() -> None:
    hours = {"start": "9", "end": "17:00", "holidays": ["xmas", 5]}
    assert errors_of({**base(), "business_hours": hours}) == [
        "business_hours.start: expected a time like \"09:00\" (HH:MM), got the text '9'",
        "business_hours.holidays[0]: expected a date like 2026-12-25, got the text 'xmas'",
        "business_hours.holidays[1]: expected a date like 2026-12-25, got the number 5",
    ]


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


def test_str_prefixes_every_line_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "channels: {queue: C0QUEUE}\nreps: []\ntimezone: Europe/Berln\n")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    assert str(excinfo.value) == (
        f"{path}: timezone: unknown time zone 'Europe/Berln'\n"
        f"{path}: reps: at least one rep is required"
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


def test_config_error_survives_pickling() -> None:
    error = ConfigError(["reps: at least one rep is required"], "team.yml")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.errors, copy.source, str(copy)) == (error.errors, error.source, str(error))


def test_config_is_frozen() -> None:
    config = parse_config(base())
    with pytest.raises(ValueError):
        config.timezone = "Europe/Paris"  # type: ignore[misc]
