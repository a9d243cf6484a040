"""The JSON Schema of leadbot.yml (bot/config/json_schema.py, `leadbot config schema`): the
example file and the demo's built-in settings pass it, as an editor reads them; typical
mistakes do not."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.config.json_schema import config_json_schema
from bot.config.load import DEMO_SETTINGS, parse_config
from tests.config.conftest import base
from tests.test_cli import leadbot

EXAMPLE = Path(__file__).resolve().parents[2] / "leadbot.example.yml"


def as_an_editor_reads(value: object) -> Any:
    """YAML 1.2 as editors read it has no dates: 2026-12-25 is text."""
    if isinstance(value, dict):
        return {str(key): as_an_editor_reads(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_an_editor_reads(item) for item in value]
    return value.isoformat() if isinstance(value, dt.date) else value


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = config_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    return jsonschema.Draft202012Validator(schema, format_checker=checker)


def _errors(validator: jsonschema.Draft202012Validator, data: object) -> list[str]:
    found = validator.iter_errors(as_an_editor_reads(data))
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in found]


def test_the_example_file_and_the_demo_settings_pass(
    validator: jsonschema.Draft202012Validator,
) -> None:
    assert _errors(validator, yaml.safe_load(EXAMPLE.read_text())) == []
    assert _errors(validator, DEMO_SETTINGS) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"sheduler": {"tick": "5s"}}, ""),  # a typo: unknown keys are refused
        ({"channels": {"queue": "general"}}, "channels.queue"),  # a name, not an id
        ({"admins": ["alice"]}, "admins.0"),
        ({"scheduler": {"tick": 5}}, "scheduler.tick"),  # a duration needs its unit
        ({"digest": {"at": "9am"}}, "digest.at"),
        ({"escalation": [{"after": "5m", "do": ["dance"]}]}, "escalation"),
    ],
)
def test_typical_mistakes_fail(
    validator: jsonschema.Draft202012Validator, change: dict[str, object], path: str
) -> None:
    errors = _errors(validator, {**base(), **change})
    assert errors
    assert all(error.startswith(f"{path}:") for error in errors), errors


def test_shorthands_pass(validator: jsonschema.Draft202012Validator) -> None:
    """Each shorthand leadbot.yml accepts (checked by parse_config too) passes the schema."""
    data = {
        **base(),
        "business_hours": "always",
        "tiers": [{"name": "warm", "respond_within": "1h", "contact_within": "off",
                   "match": {"source": "web"}}],
        "escalation": [{"after": "30m", "do": ["remind_owner"]}],
        "routing": {"default": ["U0ALICE"], "rules": [
            {"name": "r", "when": {"field": "region", "in": "EMEA"}, "pool": "emea"}]},
        "teams": {"emea": {"reps": ["U0ALICE"]}},
        "followup": {"calling_window": "09:00-18:00"},
        "digest": {"day": "Monday", "leaderboard": True},
    }  # fmt: skip
    parse_config(data)
    assert _errors(validator, data) == []


def test_config_schema_prints_it(tmp_path: Path) -> None:
    result = leadbot("config", "schema")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed == json.loads(json.dumps(config_json_schema()))
    assert printed["title"] == "leadbot.yml"
    assert printed["properties"]["reps"]["description"].startswith("The people leads are routed")
    assert printed["$defs"]["SchedulerConfig"]["properties"]["tick"]["default"] == "5s"
