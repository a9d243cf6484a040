"""The one validation of a lead, shared by the intake API, the `/leads new` modal and
`leadbot route`: every problem named with its field, nothing that a database, Slack or the
business-time maths would choke on let through."""

from __future__ import annotations

import functools
import json
import math
import re
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.durations import format_duration

EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
FUTURE_TOLERANCE = timedelta(minutes=5)  # received_at may be this far ahead (clock skew)
MAX_AGE = timedelta(days=365)  # and at most this far back
MAX_DIGITS = 30  # no number in a lead is longer; Python itself refuses 4,301 digits
FIELD_NAME_LIMIT = 100  # field names are echoed in problems: a generated key can be huge

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Scalar = str | int | float | bool | None


@functools.cache
def _zone_names() -> frozenset[str]:
    # An exact name from the tz database: never a path ZoneInfo would try to open.
    return frozenset(zoneinfo.available_timezones())


class LeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: Short | None = None
    source: Code = "api"
    name: Short | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    phone: Annotated[str, StringConstraints(max_length=64)] | None = None
    company: Short | None = None
    company_size: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    country: Code | None = None
    region: Code | None = None
    product: Short | None = None
    message: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    crm_url: Annotated[str, StringConstraints(max_length=2000)] | None = None
    tier: str | None = None
    # The prospect's own zone (IANA), for calling windows; else their country decides.
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = None
    received_at: datetime | None = None
    # Who owns the record in the CRM already (a rep's Slack id, email or name): routing gives it
    # to them unless they are away or over their limits (docs/architecture.md, Routing).
    owner: Annotated[str, StringConstraints(max_length=320)] | None = None
    fields: dict[Annotated[str, StringConstraints(max_length=64)], Scalar] = Field(
        default_factory=dict, max_length=50
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not EMAIL_RE.match(value):
            raise ValueError(f"'{value[:80]}' is not an email address")
        return value or None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"[0-9+()./\- ext]{3,64}", value):
            raise ValueError("a phone number may hold digits, spaces and + ( ) - . / ext")
        return value or None

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value and value not in _zone_names():
            raise ValueError(
                f"'{value[:64]}' is not a time zone: use an IANA name such as America/Chicago"
            )
        return value or None

    @field_validator("crm_url")
    @classmethod
    def _crm_url(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"https?://[^\s<>|]+", value):
            raise ValueError("must be an http(s) URL without spaces, <, > or |")
        return value or None

    @field_validator("tier")
    @classmethod
    def _tier(cls, value: str | None, info: ValidationInfo) -> str | None:
        known: Sequence[str] = (info.context or {}).get("tiers", ())
        if value is not None and value not in known:
            raise ValueError(f"unknown tier '{value[:40]}' (known: {', '.join(known)})")
        return value

    @field_validator("received_at")
    @classmethod
    def _received_at(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("must include a time zone, e.g. 2026-11-23T09:30:00Z")
        rules = info.context or {}
        now = rules.get("now") or datetime.now(UTC)
        max_age, ahead = rules.get("max_age", MAX_AGE), rules.get("max_ahead", FUTURE_TOLERANCE)
        try:
            moment = value.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 with an offset: not a moment anyone means
            later = value.replace(tzinfo=None) > now.replace(tzinfo=None)
            raise ValueError("is in the future" if later else _window_hint(max_age)) from None
        if moment > now + ahead:
            raise ValueError("is in the future")
        if moment < now - max_age:
            raise ValueError(_window_hint(max_age))
        return moment

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL refuses NUL in text: one would fail the whole transaction after a 201.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if isinstance(value, dict) and any(
            "\x00" in str(key) or (isinstance(item, str) and "\x00" in item)
            for key, item in value.items()
        ):
            raise ValueError("names and values must not contain NUL characters")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> LeadIn:
        if not (self.name or self.email or self.phone):
            raise ValueError("a lead needs at least one of name, email or phone")
        return self


class LeadInputError(Exception):
    """Every problem with a lead, each naming its field."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['field']}: {p['message']}" for p in problems))
        self.problems = problems


def parse_lead(
    data: Any,
    tiers: Sequence[str],
    *,
    now: datetime | None = None,
    max_age: timedelta = MAX_AGE,
    max_ahead: timedelta = FUTURE_TOLERANCE,
) -> LeadIn:
    """Validate one lead; `tiers` are the tier names leadbot.yml defines, `received_at` must be
    within [now - max_age, now + max_ahead] (leadbot.yml `intake:`)."""
    if not isinstance(data, dict):
        raise LeadInputError([{"field": "(body)", "message": "must be a JSON object"}])
    rules = {"tiers": list(tiers), "now": now, "max_age": max_age, "max_ahead": max_ahead}
    try:
        return LeadIn.model_validate(data, context=rules)
    except ValidationError as err:
        raise LeadInputError([_problem(e) for e in err.errors()]) from None


def decode_json(body: bytes) -> Any:
    """A request body as JSON, refusing what JSON allows but a lead never holds: NaN and
    Infinity, numbers of more than MAX_DIGITS digits, nesting deeper than Python recurses."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _body_problem("not valid UTF-8") from None
    try:
        return json.loads(
            text, parse_constant=_no_constant, parse_int=_short_int, parse_float=_finite_float
        )
    except json.JSONDecodeError as err:
        raise _body_problem(
            f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        ) from None
    except RecursionError:
        raise _body_problem("nested too deeply: a lead is an object of plain values") from None
    except _NotALeadNumber as err:
        raise _body_problem(str(err)) from None


class _NotALeadNumber(ValueError):
    pass


def _no_constant(name: str) -> float:
    raise _NotALeadNumber(f"{name} is not a number a lead can hold: send a plain number")


def _short_int(digits: str) -> int:
    count = len(digits.lstrip("-"))
    if count > MAX_DIGITS:
        raise _NotALeadNumber(f"a number of {count:,} digits: at most {MAX_DIGITS}")
    return int(digits)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number) or len(text) > MAX_DIGITS * 2:
        raise _NotALeadNumber(f"{text[:40]} is out of range for a number")
    return number


def _body_problem(message: str) -> LeadInputError:
    return LeadInputError([{"field": "(body)", "message": message}])


def _window_hint(max_age: timedelta) -> str:
    return f"is too long ago: leads older than {format_duration(max_age)} are not taken"


def _problem(error: Any) -> dict[str, str]:
    loc = [str(part) for part in error["loc"]]
    field = ".".join(loc) if loc else "(body)"
    if len(field) > FIELD_NAME_LIMIT:
        field = field[: FIELD_NAME_LIMIT - 1] + "…"
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "missing":
        message = "is required"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
    return {"field": field, "message": message}
