"""The one validation of a lead, shared by the intake API (and later the modal and CSV import)."""

from __future__ import annotations

import re
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

EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
FUTURE_TOLERANCE = timedelta(minutes=5)

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Scalar = str | int | float | bool | None


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
    received_at: datetime | None = None
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
    def _received_at(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("must include a time zone, e.g. 2026-11-23T09:30:00Z")
        if value.astimezone(UTC) > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise ValueError("is in the future")
        return value.astimezone(UTC)

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


def parse_lead(data: Any, tiers: Sequence[str]) -> LeadIn:
    """Validate one lead; `tiers` are the tier names leadbot.yml defines."""
    if not isinstance(data, dict):
        raise LeadInputError([{"field": "(body)", "message": "must be a JSON object"}])
    try:
        return LeadIn.model_validate(data, context={"tiers": list(tiers)})
    except ValidationError as err:
        raise LeadInputError([_problem(e) for e in err.errors()]) from None


def _problem(error: Any) -> dict[str, str]:
    loc = [str(part) for part in error["loc"]]
    field = ".".join(loc) if loc else "(body)"
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "missing":
        message = "is required"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
    return {"field": field, "message": message}
