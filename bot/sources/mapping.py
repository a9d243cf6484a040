"""A record (shapes.py) as intake's lead: each lead field from the source's `map:` (a path or a
sandboxed template), else from the value the record's usual names gave it; every other value
kept in the lead's `fields`, never a reason to refuse. What intake then refuses (no name, email
or phone; a size that is no number) goes to the quarantine with intake's own words.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Undefined
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from bot.config.sources import MAPPABLE, Source
from bot.sources.shapes import Record, Scalar

MAX_FIELDS = 50  # intake's limit on `fields`
MAX_KEY = 64
MAX_VALUE = 2_000
_ENV = SandboxedEnvironment(undefined=Undefined, finalize=lambda v: "" if v is None else v)


class MappingProblem(Exception):
    """The record cannot become a lead as mapped: each problem names the lead field."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['field']}: {p['message']}" for p in problems))
        self.problems = problems


def lead_of(record: Record, source: Source, name: str) -> dict[str, Any]:
    """The lead intake is given for `record` (its own validation comes after)."""
    if record.problem:
        raise MappingProblem([{"field": "(payload)", "message": record.problem}])
    lead: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    used: set[str] = set()
    for field in MAPPABLE:
        rule = source.map.get(field)
        try:
            value = _by_rule(rule, record, used) if rule else record.known.get(field)
        except (TemplateError, SecurityError, TypeError, ValueError) as err:
            problems.append({"field": field, "message": f"map.{field}: {err}"})
            continue
        if value not in (None, ""):
            lead[field] = _typed(field, value)
    if problems:
        raise MappingProblem(problems)
    lead.setdefault("source", source.lead_source(name))
    extra = _extra(record, used | _consumed(record, lead))
    if extra:
        lead["fields"] = extra
    return lead


def _by_rule(rule: str, record: Record, used: set[str]) -> Any:
    if "{{" in rule:
        text = _ENV.from_string(rule).render(body=record.body, fields=record.fields)
        return " ".join(text.split())  # "{{ first }} {{ last }}" with one part missing
    root, *steps = rule.split(".")
    if root == "fields" and steps:
        used.add(".".join(steps))
        return record.fields.get(".".join(steps))
    value: Any = record.body
    for step in steps:
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    if isinstance(value, dict | list):
        raise ValueError(f"{rule} is an {'object' if isinstance(value, dict) else 'array'}, "
                         "not a value: go one step further")  # fmt: skip
    return value


def _typed(field: str, value: Any) -> Any:
    """company_size as a number when the sender wrote digits; everything else as text (a phone
    sent as a number included)."""
    if field == "company_size":
        text = str(value).strip().replace(",", "")
        return int(text) if text.isdigit() else value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip() if not isinstance(value, str) else value.strip()


def _consumed(record: Record, lead: dict[str, Any]) -> set[str]:
    """The record's names whose value became a lead field (not repeated in `fields`)."""
    taken = {str(v) for v in lead.values()}
    return {key for key, value in record.fields.items() if str(value) in taken and value != ""}


def _extra(record: Record, used: set[str]) -> dict[str, Scalar]:
    extra: dict[str, Scalar] = {}
    for key, value in record.fields.items():
        if key in used or value in (None, "") or len(extra) >= MAX_FIELDS:
            continue
        extra[key[:MAX_KEY]] = value[:MAX_VALUE] if isinstance(value, str) else value
    return extra
