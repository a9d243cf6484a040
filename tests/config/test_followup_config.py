"""leadbot.yml's follow-up keys (bot/config/followup.py, `Tier.contact_within`, the template
checks of bot/config/load.py): each mistake named by its exact key, all of them at once."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config.errors import ConfigError
from bot.config.followup import FollowUpSettings, default_cadences
from bot.config.load import load_config, parse_config
from bot.config.schema import Config
from tests.config.conftest import base
from tests.strategies import json_values

EXAMPLE = Path(__file__).resolve().parents[2] / "leadbot.example.yml"
STARTER_NAMES = "breakup, call_script, case_study, connect, intro, value"
OUTCOMES = "'replied', 'meeting_booked', 'not_a_fit', 'closed', 'won', 'lost' or 'no_response'"


def step(day: Any, do: Any = "email", **more: Any) -> dict[str, Any]:
    return {"day": day, "do": do, **more}


def cadence(*steps: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"cadences": {"standard": {"steps": list(steps), **more}}}


def errors_of(changes: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as excinfo:
        parse_config({**base(), **changes})
    return excinfo.value.errors


def overdue(after: str, do: str) -> dict[str, str]:
    return {"after": after, "do": do}


def hot(**more: Any) -> dict[str, Any]:
    return {"tiers": [{"name": "hot", "respond_within": "5m", **more}], "default_tier": "hot"}


# --- each mistake, with its message ----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            cadence(step(1), step(2), step(4, "call"), step(7, template="case_stdy")),
            "cadences.standard.steps[3].template: unknown template 'case_stdy' "
            f"(known: {STARTER_NAMES})",
            id="unknown-template",
        ),
        pytest.param(
            cadence(step(2), step(1, "call")),
            "cadences.standard.steps: steps must be in order of 'day', each later than the last "
            "(day 1 comes after day 2): put a day's channels in one step, e.g. do: [email, call]",
            id="days-out-of-order",
        ),
        pytest.param(
            cadence(step(1, final=True), step(2)),
            "cadences.standard.steps: only the last step may be final",
            id="final-not-last",
        ),
        pytest.param(
            cadence(step(1, ["email", "call", "email"])),
            "cadences.standard.steps[0].do: name each channel once",
            id="duplicate-channel",
        ),
        pytest.param(
            cadence(step(1, ["fax"])),
            "cadences.standard.steps[0].do[0]: expected 'email', 'call', 'linkedin' or 'sms', "
            "got the text 'fax'",
            id="unknown-channel",
        ),
        pytest.param(
            cadence(step(1), stop_on=["replied", "ghosted"]),
            f"cadences.standard.stop_on[1]: expected {OUTCOMES}, got the text 'ghosted'",
            id="unknown-stop-on",
        ),
        pytest.param(
            cadence(step(1), goal="meeting"),
            f"cadences.standard.goal: expected {OUTCOMES}, got the text 'meeting'",
            id="unknown-goal",
        ),
        pytest.param(
            cadence(step(1), start="assign"),
            "cadences.standard.start: expected 'claim' or 'first_contact', got the text 'assign'",
            id="unknown-start",
        ),
        pytest.param(
            {"followup": {"calling_window": "20:00-08:00"}},
            "followup.calling_window: '20:00-08:00': the end must be later than the start "
            "(the same day)",
            id="window-ends-before-it-starts",
        ),
        pytest.param(
            {"followup": {"calling_window": "8am-8pm"}},
            'followup.calling_window: expected a range like "08:00-20:00" (HH:MM-HH:MM), '
            "got '8am-8pm'",
            id="window-malformed",
        ),
        pytest.param(
            {
                "followup": {
                    "overdue": [overdue("2h", "remind_owner"), overdue("1h", "notify_manager")]
                }
            },
            "followup.overdue: steps must be in order of 'after', each later than the last "
            "(1h after 2h)",
            id="overdue-out-of-order",
        ),
        pytest.param(
            {"followup": {"task_overdue_after": "4x"}},
            "followup.task_overdue_after: '4x' is not a duration: use a number and a unit s, m, "
            "h or d, e.g. 90s, 15m, 1h30m",
            id="task-overdue-after",
        ),
        pytest.param(
            {"followup": {"templates": "/nowhere/outreach"}},
            "followup.templates: /nowhere/outreach: no such directory",
            id="templates-missing",
        ),
    ],
)
def test_each_mistake_is_named_by_its_key(changes: dict[str, Any], message: str) -> None:
    assert errors_of(changes) == [message]


# The current wording leaks pydantic's: each says what it should read like (see the report).
def test_day_zero_says_days_count_from_one() -> None:
    assert errors_of(cadence(step(0))) == [
        "cadences.standard.steps[0].day: expected a whole number from 1 to 365, got the number 0"
    ]


def test_an_unknown_overdue_action_lists_the_two_allowed() -> None:
    overdue = [{"after": "0s", "do": ["remind_owner", "reassign"]}]
    assert errors_of({"followup": {"overdue": overdue}}) == [
        "followup.overdue[0].do[1]: expected 'remind_owner' or 'notify_manager', "
        "got the text 'reassign'"
    ]


def test_a_bad_contact_within_is_one_problem() -> None:
    assert errors_of(hot(contact_within="soon")) == [
        "tiers[0].contact_within: 'soon' is not a duration: use a number and a unit s, m, h or "
        "d, e.g. 90s, 15m, 1h30m, or off"
    ]


# --- what is accepted --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "deadline"),
    [("off", None), ("30m", timedelta(minutes=30)), (None, timedelta(minutes=15))],
)
def test_contact_within_is_off_a_duration_or_the_tier_default(
    value: str | None, deadline: timedelta | None
) -> None:
    config = parse_config({**base(), **hot(contact_within=value)})
    assert config.tiers[0].contact_deadline == deadline


def test_contact_within_off_in_quotes_loads_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "leadbot.yml"
    path.write_text(
        _yaml("tiers: [{name: hot, respond_within: 5m, contact_within: 'off'}]\ndefault_tier: hot")
    )
    assert load_config(path).tiers[0].contact_deadline is None


def test_contact_within_off_unquoted_loads_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "leadbot.yml"
    path.write_text(
        _yaml("tiers: [{name: hot, respond_within: 5m, contact_within: off}]\ndefault_tier: hot")
    )
    assert load_config(path).tiers[0].contact_deadline is None


def test_followup_settings_parse() -> None:
    followup = {
        "calling_window": "09:00-18:30",
        "overdue": [
            {"after": "0s", "do": "remind_owner"},
            {"after": "1h", "do": ["notify_manager"]},
        ],
        "task_overdue_after": "1d",
        "min_template_uses": 5,
    }
    config = parse_config({**base(), "followup": followup})
    assert config.followup.calling_window == (time(9), time(18, 30))
    assert [s.after for s in config.followup.overdue] == [timedelta(0), timedelta(hours=1)]
    assert config.followup.task_overdue_after == timedelta(days=1)


def test_the_example_file_spells_out_the_defaults() -> None:
    config = load_config(EXAMPLE)
    assert config.cadences["default"] == default_cadences()["default"]
    assert config.followup == FollowUpSettings()
    assert [tier.contact_deadline for tier in config.tiers] == [
        timedelta(minutes=15),
        timedelta(hours=2),
        None,
    ]


# --- many at once, and the template directory ----------------------------------------------


def test_several_mistakes_in_one_file_are_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "leadbot.yml"
    path.write_text(
        _yaml(
            "tiers: [{name: hot, respond_within: 5m, contact_within: '1h'}]\n"
            "default_tier: hot\n"
            "cadences:\n"
            "  standard:\n"
            "    goal: meeting\n"
            "    steps:\n"
            "      - {day: 1, do: [fax]}\n"
            "      - {day: 3, do: email}\n"
            "followup: {calling_window: '20:00-08:00', task_overdue_after: 4x}"
        )
    )
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    assert excinfo.value.errors == [
        "cadences.standard.goal: expected " + OUTCOMES + ", got the text 'meeting'",
        "cadences.standard.steps[0].do[0]: expected 'email', 'call', 'linkedin' or 'sms', "
        "got the text 'fax'",
        "followup.calling_window: '20:00-08:00': the end must be later than the start "
        "(the same day)",
        "followup.task_overdue_after: '4x' is not a duration: use a number and a unit s, m, "
        "h or d, e.g. 90s, 15m, 1h30m",
    ]


def test_a_broken_template_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    outreach = tmp_path / "outreach"
    outreach.mkdir()
    (outreach / "pitch.md.j2").write_text("---\nchannel: email\n---\nHi\n{{ lead.company }\n")
    (outreach / "demo.md.j2").write_text("Hi {{ lead.first_name | default('there') }}")
    assert errors_of({"followup": {"templates": str(outreach)}}) == [
        f"followup.templates: {outreach / 'pitch.md.j2'}:5: unexpected '}}'"
    ]


def test_a_relative_template_directory_is_read_next_to_leadbot_yml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    (site / "outreach").mkdir(parents=True)
    (site / "outreach" / "demo.md.j2").write_text("Hi {{ lead.first_name | default('there') }}")
    path = site / "leadbot.yml"
    short = "cadences: {short: {steps: [{day: 1, do: email, template: demo}]}}"
    path.write_text(_yaml(f"followup: {{templates: outreach}}\n{short}"))
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    config = load_config(path)
    assert config.followup.templates == str(site / "outreach")
    assert config.cadences["short"].steps[0].template == "demo"


def _yaml(extra: str) -> str:
    return "channels: {queue: C0QUEUE}\nreps: [{id: U0ALICE, name: Alice}]\n" + extra + "\n"


# --- generated input -------------------------------------------------------------------------

# YAML gives dates, times and numbers as well as text; a value is either plausible or junk.
yaml_values = json_values | st.dates() | st.datetimes() | st.times()
names = st.sampled_from(["intro", "case_stdy", "breakup", "Intro", ""]) | st.text(max_size=8)
channels = st.sampled_from(["email", "call", "linkedin", "sms", "fax"])
steps = st.fixed_dictionaries(
    {},
    optional={
        "day": st.integers(-2, 400) | yaml_values,
        "do": channels | st.lists(channels | yaml_values, max_size=4) | yaml_values,
        "template": names | yaml_values,
        "final": st.booleans() | yaml_values,
        "tempalte": yaml_values,
    },
)
cadences = st.fixed_dictionaries(
    {},
    optional={
        "steps": st.lists(steps | yaml_values, max_size=6) | yaml_values,
        "match": st.fixed_dictionaries({}, optional={"source": yaml_values}) | yaml_values,
        "goal": st.sampled_from(["meeting_booked", "meeting"]) | yaml_values,
        "start": st.sampled_from(["claim", "first_contact", "assign"]) | yaml_values,
        "stop_on": st.lists(st.sampled_from(["replied", "ghosted"]), max_size=3) | yaml_values,
        "wait_for_previous": yaml_values,
    },
)
cadence_sections = (
    st.dictionaries(names | st.integers() | st.none(), cadences | yaml_values, max_size=3)
    | yaml_values
)


@given(cadence_sections)
def test_any_cadences_section_loads_or_is_a_config_error(section: object) -> None:
    try:
        config = parse_config({**base(), "cadences": section})
    except ConfigError as err:
        assert err.errors and all(isinstance(line, str) and line for line in err.errors)
    else:
        assert isinstance(config, Config)
