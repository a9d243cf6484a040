"""The JSON Schema of leadbot.yml (`leadbot config schema`), for editors to complete and check.

Drawn from the models (bot/config/schema.py), so it cannot drift from what leadbot accepts, with
what pydantic cannot know: the shorthands the models' "before" validators accept (`do: email`
for `do: [email]`, a manager as a bare id, `business_hours: always`), and durations and clock
times as leadbot.yml writes them ("15m", "09:00"), not as ISO 8601. The schema checks shapes;
`leadbot config check` remains the judge (time zones, templates, routing against the reps).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from bot.config.errors import CHANNEL_ID, DAYS, USER_ID
from bot.config.schema import Config
from bot.durations import format_duration
from bot.vocabulary import CONFIGURABLE_ACTIONS

__all__ = ["config_json_schema"]

_NUMBER = r"(\d+(\.\d*)?|\.\d+)"
_DURATION = {"type": "string", "pattern": rf"^\s*({_NUMBER}\s*[dhms]\s*)+$", "examples": ["15m"]}
_CLOCK = {"type": "string", "pattern": r"^\s*([01]?\d|2[0-3]):[0-5]\d\s*$", "examples": ["09:00"]}
_STRING = {"type": "string"}
_STEPS_OF = "x-leadbot-steps-of"
_FULL_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

Widen = Callable[[JsonSchemaValue], JsonSchemaValue]


def _or(*extra: JsonSchemaValue) -> Widen:
    return lambda inner: {"anyOf": [inner, *extra]}


def _or_item(inner: JsonSchemaValue) -> JsonSchemaValue:
    """`_as_list`: one value stands for a list of it."""
    return {"anyOf": [inner, inner.get("items", {})]}


def _or_steps(inner: JsonSchemaValue) -> JsonSchemaValue:
    """`escalation:` as a bare list of its steps: `inner`'s `steps`, resolved once the whole
    schema exists (pydantic names its definitions only at the end)."""
    return {"anyOf": [inner, {_STEPS_OF: inner}]}


# The "before" validators of bot/config, by module and name: what each accepts besides the
# type it validates into. One missing here shows in tests/config/test_json_schema.py, which
# checks leadbot.example.yml (every shorthand in use) against the schema.
_SHORTHANDS: dict[str, Widen] = {
    "bot.config.followup._as_list": _or_item,
    "bot.config.policy._as_list": _or_item,
    "bot.config.routing._as_list": _or_item,
    "bot.config.followup._window": _or({"type": "string", "examples": ["08:00-20:00"]}),
    "bot.config.policy._configurable_action": lambda _: {"enum": list(CONFIGURABLE_ACTIONS)},
    "bot.config.policy._steps_or_mapping": _or_steps,
    "bot.config.policy._off_or_duration": _or({"const": "off"}, {"const": False}),
    "bot.config.review._board": _or({"type": "boolean"}, {"enum": ["anonymized", "anonymous"]}),
    "bot.config.review._day": lambda _: _STRING,
    "bot.config.routing._pool_shorthand": _or(_STRING, {"type": "array", "items": _STRING}),
    "bot.config.schema._always_or_hours": _or({"const": "always"}),
    "bot.config.schema._id_or_person": _or({"type": "string", "pattern": USER_ID.pattern}),
    "bot.config.schema._day_or_span": _or({"type": "string", "format": "date"}),
    "bot.config.errors.to_weekday": _or({"enum": [*DAYS, *_FULL_DAYS]}),
    "bot.config.errors.to_date": lambda _: {"type": "string", "format": "date"},
}
_PATTERNS = {"check_user_id": USER_ID.pattern, "check_channel_id": CHANNEL_ID.pattern}
_SECTIONS = {
    "timezone": "The team's IANA time zone (America/New_York), for people without their own.",
    "business_hours": "When SLAs run: days, start and end; or `always`.",
    "channels": "Slack channel ids (C0123ABCD): leads, queue, managers, alerts.",
    "managers": "Managers: Slack user ids, or mappings with id, name and timezone.",
    "admins": "Slack user ids told what leadbot could not do (failed deliveries).",
    "reps": "The people leads are routed to: id, name, timezone, manager, quiet hours, away.",
    "scheduler": "How often leadbot looks for due reminders and tasks (`tick`).",
    "queue": "The shared queue of unclaimed leads.",
    "intake": "What POST /api/leads accepts as a lead's received_at.",
    "delivery": "Pacing of Slack calls (Slack's rate limits).",
    "tiers": "Lead tiers (hot, warm, cold): which leads, how fast, which escalation.",
    "default_tier": "The tier of a lead no tier's `match` takes.",
    "escalation": "The default chain of reminders while a lead is unclaimed.",
    "snooze": "The snooze choices offered on a card.",
    "templates": "The words of reminders and notices (Jinja2, sandboxed).",
    "teams": "Named pools of reps, for routing rules.",
    "routing": "Rules choosing the pool a lead goes to, and the default pool.",
    "cadences": "Follow-up after the claim: the steps of each cadence.",
    "followup": "First-contact SLA, calling window, overdue chain, templates directory.",
    "digest": "The weekly digest: day, time, leaderboard.",
    "sources": "Webhook senders (POST /api/sources/<name>): HubSpot, Typeform, Salesforce...",
}


class _LeadbotSchema(GenerateJsonSchema):
    def function_before_schema(
        self, schema: core_schema.BeforeValidatorFunctionSchema
    ) -> JsonSchemaValue:
        inner = super().function_before_schema(schema)
        function = schema["function"]["function"]
        name = f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"
        widen = _SHORTHANDS.get(name)
        return widen(inner) if widen is not None else inner

    def function_after_schema(
        self, schema: core_schema.AfterValidatorFunctionSchema
    ) -> JsonSchemaValue:
        inner = super().function_after_schema(schema)
        pattern = _PATTERNS.get(getattr(schema["function"]["function"], "__name__", ""))
        return {**inner, "pattern": f"^{pattern}$"} if pattern else inner

    def timedelta_schema(self, schema: core_schema.TimedeltaSchema) -> JsonSchemaValue:
        return dict(_DURATION)

    def time_schema(self, schema: core_schema.TimeSchema) -> JsonSchemaValue:
        return dict(_CLOCK)

    def encode_default(self, dft: Any) -> Any:
        return super().encode_default(_as_written(dft))


def _as_written(value: object) -> object:
    """A default as leadbot.yml would write it: 15m, not PT15M; 09:00, not 09:00:00."""
    if isinstance(value, BaseModel):
        return _as_written(value.model_dump(by_alias=True, exclude_defaults=True))
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(key): _as_written(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_as_written(item) for item in value]
    return value


def config_json_schema() -> dict[str, Any]:
    """The schema (JSON Schema 2020-12) of leadbot.yml."""
    generated = Config.model_json_schema(schema_generator=_LeadbotSchema)
    schema: dict[str, Any] = _resolve_steps(generated, generated["$defs"])  # type: ignore[assignment]
    for key, description in _SECTIONS.items():
        schema["properties"][key].setdefault("description", description)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "leadbot.yml",
    }


def _resolve_steps(node: object, definitions: dict[str, Any]) -> object:
    """`node` with each steps marker replaced by the steps of the definition it names."""
    if isinstance(node, list):
        return [_resolve_steps(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if _STEPS_OF in node:
        name = node[_STEPS_OF]["$ref"].rpartition("/")[2]
        return dict(definitions[name]["properties"]["steps"])
    return {key: _resolve_steps(value, definitions) for key, value in node.items()}
