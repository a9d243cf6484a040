"""Every problem of leadbot.yml in one run (bot/config/layers.py, bot/config/yaml_source.py):
the YAML's duplicate keys, the schema, the checks across sections (tiers, managers, routing
against the reps) and the templates, each with its key path and line."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.config.errors import ConfigError
from bot.config.load import load_config, parse_config
from tests.config.conftest import base
from tests.test_cli import leadbot

# One mistake or more in each layer; the comments say which.
SEVEN_MISTAKES = """\
timezone: UTC
channels:
  queue: general                     # schema: a channel name, not an id
managers: [U0MAYA]
reps:
  - {id: U0ALICE, name: Alice, manager: U0NOBODY}   # across keys: no such manager
  - {id: U0BO, name: Bo}
default_tier: lukewarm               # Config's own check: not one of the tiers
routing:
  rules:
    - name: Partners
      when: {field: source, equals: partner}
      pool: [U0BO, U0ZED]            # routing against reps: U0ZED is no rep
cadences:
  default:
    steps:
      - {day: 1, do: email, template: intro}
      - {day: 2, do: call, template: no_such_template}   # templates: no such file
sheduler: {tick: 5s}                 # schema: a typo
timezone: Europe/Berlin              # YAML: timezone twice
"""


def test_a_file_with_mistakes_in_every_layer_reports_them_all_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "leadbot.yml"
    path.write_text(SEVEN_MISTAKES)
    result = leadbot("config", "check", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{path}: timezone: duplicate key 'timezone' on lines 1 and 20: YAML keeps only the "
        "last (line 20)",
        f"{path}: channels.queue: 'general' is not a Slack channel id: use the id such as "
        "C0123ABCD (shown at the bottom of the channel's About tab), not the channel name (line 3)",
        f"{path}: reps[0].manager: 'U0NOBODY' is not listed under managers (line 6)",
        f"{path}: default_tier: 'lukewarm' is not one of the tiers (hot, warm, cold) (line 8)",
        f"{path}: routing.rules[0].pool.reps[1]: 'U0ZED' is not listed under reps (line 13)",
        f"{path}: cadences.default.steps[1].template: unknown template 'no_such_template' "
        "(known: breakup, call_script, case_study, connect, intro, value) (line 18)",
        f"{path}: sheduler: unknown key (did you mean 'scheduler'?) (line 19)",
    ]


def test_serve_prints_the_same_lines(tmp_path: Path) -> None:
    path = tmp_path / "leadbot.yml"
    path.write_text(SEVEN_MISTAKES)
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "LEADBOT_CONFIG": str(path)}
    served = leadbot("serve", env=env, cwd=tmp_path)
    checked = leadbot("config", "check", str(path))
    assert served.returncode == 2
    assert served.stderr == checked.stderr


def test_a_section_with_problems_does_not_hide_the_checks_across_sections() -> None:
    """Config's own check (tiers against default_tier) used to run only once every field was
    valid; routing against the reps, only once the whole file was."""
    data = base()
    data["timezone"] = "Nowhere/Land"
    data["tiers"] = [
        {"name": "hot", "respond_within": "5m"},
        {"name": "hot", "respond_within": "1h"},
    ]
    data["routing"] = {"default": ["U0ALICE", "U0GHOST"]}
    with pytest.raises(ConfigError) as excinfo:
        parse_config(data)
    assert excinfo.value.errors == [
        "timezone: unknown time zone 'Nowhere/Land'",
        "tiers: duplicate tier name 'hot'",
        "routing.default.reps[1]: 'U0GHOST' is not listed under reps",
    ]


def test_a_rep_with_problems_still_counts_as_listed_for_routing() -> None:
    data = base()
    data["reps"][1]["timezone"] = "Mars/Base"
    data["routing"] = {"default": ["U0BO"]}
    with pytest.raises(ConfigError) as excinfo:
        parse_config(data)
    assert excinfo.value.errors == ["reps[1].timezone: unknown time zone 'Mars/Base'"]


def test_routing_with_problems_of_its_own_is_not_also_checked_against_its_default() -> None:
    data = base()
    data["teams"] = {"emea": {"reps": ["U0ALICE"], "strategy": "sideways"}}
    data["routing"] = {"rules": [{"name": "r", "when": {"field": "region", "equals": "x"},
                                  "pool": "emea"}]}  # fmt: skip
    with pytest.raises(ConfigError) as excinfo:
        parse_config(data)
    assert len(excinfo.value.errors) == 1
    assert excinfo.value.errors[0].startswith("teams.emea.strategy: expected ")


# --- duplicate keys ----------------------------------------------------------------------------


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "leadbot.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    return str(excinfo.value).replace(f"{path}: ", "").splitlines()


def test_duplicate_keys_at_every_level_are_each_named_with_both_lines(tmp_path: Path) -> None:
    text = """\
channels:
  queue: C0QUEUE
  queue: C0OTHER
reps:
  - id: U0ALICE
    name: Alice
    away:
      - {from: 2026-12-24, to: 2026-12-26, to: 2026-12-31}
    name: Alicia
routing:
  rules:
    - name: one
      when: {field: source, equals: web}
      pool: {reps: [U0ALICE], strategy: round_robin, strategy: weighted}
channels: {queue: C0QUEUE}
"""
    assert _problems(tmp_path, text) == [
        "channels: duplicate key 'channels' on lines 1 and 15: YAML keeps only the last (line 15)",
        "channels.queue: duplicate key 'queue' on lines 2 and 3: YAML keeps only the last (line 3)",
        "reps[0].name: duplicate key 'name' on lines 6 and 9: YAML keeps only the last (line 9)",
        "reps[0].away[0].to: duplicate key 'to' on lines 8 and 8: YAML keeps only the last "
        "(line 8)",
        "routing.rules[0].pool.strategy: duplicate key 'strategy' on lines 14 and 14: YAML keeps "
        "only the last (line 14)",
    ]


def test_a_merge_key_may_be_overridden(tmp_path: Path) -> None:
    text = """\
channels: {queue: C0QUEUE}
x-person: &person {timezone: Europe/Berlin, name: Someone}
reps:
  - {<<: *person, id: U0ALICE, name: Alice}
"""
    # The anchor's own key is unknown (leadbot.yml has no x- keys), the override is fine.
    assert _problems(tmp_path, text) == ["x-person: unknown key (line 2)"]


def test_equal_keys_written_differently_are_duplicates(tmp_path: Path) -> None:
    text = "channels: {queue: C0QUEUE}\nreps: [{id: U0ALICE, name: A}]\n"
    text += "teams: {1: {reps: []}, 01: {reps: []}}\n"
    problems = _problems(tmp_path, text)
    assert problems[0] == (
        "teams.1: duplicate key 1 on lines 3 and 3: YAML keeps only the last (line 3)"
    )


def test_a_value_yaml_cannot_read_is_one_line(tmp_path: Path) -> None:
    text = "channels: {queue: C0QUEUE}\nreps: [{id: U0ALICE, name: A, away: [2026-02-30]}]\n"
    (problem,) = _problems(tmp_path, text)
    assert problem == "a value YAML cannot read: day is out of range for month"


def test_a_control_character_is_one_line(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, "channels: {queue: C0QUEUE}\x01\n")
    assert problem.startswith("not valid YAML: unacceptable character #x0001")


def test_an_alias_bomb_is_read_without_walking_every_copy(tmp_path: Path) -> None:
    lines = ["channels: {queue: C0QUEUE}", "reps: [{id: U0ALICE, name: A}]", "x0: &a0 [1, 1]"]
    lines += [f"x{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 40)]
    problems = _problems(tmp_path, "\n".join(lines) + "\n")
    assert problems[0] == "x0: unknown key (line 3)"
    assert len(problems) == 40


# --- no input makes `config check` fail with a traceback ---------------------------------------

KEYS = ["channels", "queue", "reps", "id", "name", "timezone", "managers", "routing", "rules",
        "pool", "teams", "tiers", "default_tier", "cadences", "steps", "do", "template", "day",
        "business_hours", "start", "end", "away", "from", "to", "escalation", "after",
        "sources", "kind", "secret_env", "<<", "digest", "followup", "templates", "snooze",
        "delivery"]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True)
    | st.sampled_from(["U0ALICE", "C0QUEUE", "15m", "09:00", "always", "hot", "emea", "{{ x }"])
    | st.text(max_size=12)
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=30,
)
SECTIONS = ["timezone", "business_hours", "managers", "admins", "scheduler", "tiers",
            "default_tier", "escalation", "snooze", "templates", "teams", "routing", "cadences",
            "followup", "digest", "sources", "queue", "intake", "delivery"]  # fmt: skip
# Mostly a valid file with sections and reps made up: the deep layers see them.
valid_based = st.builds(
    lambda sections, reps: {**base(), "reps": [*base()["reps"], *reps], **sections},
    st.dictionaries(st.sampled_from(SECTIONS), documents, max_size=4),
    st.lists(st.dictionaries(st.sampled_from(KEYS), documents, max_size=4), max_size=2),
)
# Spoil the dumped text as people do: a duplicate line, a tab, a stray colon or quote, an alias.
SPOILERS = ["", "\t", ": ", "'", '"', "- ", "&a ", "*a", "<<: *a\n", "{", "]", "\x00", "\n  "]


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    text = yaml.safe_dump(draw(valid_based | documents), allow_unicode=True)
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines)))
        if draw(st.booleans()) and lines:
            lines.insert(at, lines[min(at, len(lines) - 1)])  # a key given twice
        else:
            lines.insert(at, draw(st.sampled_from(SPOILERS)))
    return "".join(lines)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=yaml_texts())
def test_generated_yaml_never_makes_config_check_fail_with_a_traceback(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "leadbot.yml"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["config", "check", str(path)])
    assert code in (0, 1)
    if code == 1:
        lines = err.getvalue().splitlines()
        assert lines and all(line.startswith(f"{path}: ") for line in lines)
