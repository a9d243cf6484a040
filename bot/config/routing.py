"""leadbot.yml sections for routing: ``teams:`` (named pools of reps) and ``routing:`` (rules).

The models check what one key can check on its own (operators, regexes, strategies); whatever
needs another section (team names, rep ids) is in ``bot.config.routing_checks.check_routing``.
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bot.config.errors import check_user_id, describe
from bot.durations import Duration

__all__ = [
    "FIELDS",
    "Condition",
    "Pool",
    "Routing",
    "Rule",
    "Strategy",
    "Team",
]

Strategy = Literal["round_robin", "weighted", "least_loaded"]
# company_size tests: ">=1000", "<50", "50-999" (tiers' `match` uses the same rules).
SIZE_RULE = re.compile(r"^\s*(?:(>=|<=|>|<)\s*(\d+)|(\d+)\s*-\s*(\d+))\s*$")
Comparison = Literal[">=", "<=", ">", "<", "=="]
FIELDS = ("country", "region", "company_size", "product", "source", "tier", "email", "domain")
OPERATORS = ("equals", "in", "regex", "op", "range")
_OPERATOR_LIST = "equals, in, regex, op or range"
_FIELD_HINT = (
    "use country, region, company_size, product, source, tier, email, domain or fields.<key>"
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _scalar(value: object) -> object:
    # Without this, pydantic reports a list or mapping once per member of the union (str, int,
    # ...), with the member names in the path; one sentence is what a config author needs.
    if isinstance(value, str | int | float | bool):
        return value
    hint = " (use 'in' for several values)" if isinstance(value, list) else ""
    raise ValueError(f"expected text or a number, got {describe(value)}{hint}")


def _as_list(value: object) -> object:
    # `in: EMEA` reads as naturally as `in: [EMEA, APAC]`.
    return [value] if isinstance(value, str | int | float | bool) else value


def _unique_reps(reps: list[str]) -> list[str]:
    # A rep listed twice would silently get a double share of round robin.
    seen: set[str] = set()
    for rep in reps:
        if rep in seen:
            raise ValueError(f"{rep!r} is listed twice")
        seen.add(rep)
    return reps


def _positive_weights(weights: dict[str, int]) -> dict[str, int]:
    for rep, weight in weights.items():
        if weight < 1:
            raise ValueError(f"the weight of {rep!r} must be a whole number of at least 1")
    return weights


def _at_least_one(cap: int) -> int:
    if cap < 1:
        raise ValueError(f"must be at least 1, got {cap}")
    return cap


Scalar = Annotated[str | int | float | bool, BeforeValidator(_scalar)]
UserId = Annotated[str, AfterValidator(check_user_id)]
RepList = Annotated[list[UserId], Field(min_length=1), AfterValidator(_unique_reps)]
Weights = Annotated[dict[str, int], AfterValidator(_positive_weights)]
Cap = Annotated[int, AfterValidator(_at_least_one)]


class Condition(_Section):
    """One test on a lead field, or ``all``/``any``/``not`` around nested conditions."""

    field: str | None = None
    equals: Scalar | None = None
    in_: Annotated[list[Scalar], BeforeValidator(_as_list), Field(min_length=1)] | None = Field(
        default=None, alias="in"
    )
    regex: str | None = None
    op: Comparison | None = None
    value: Scalar | None = None
    range: str | None = None
    all: Annotated[list[Condition], Field(min_length=1)] | None = None
    any: Annotated[list[Condition], Field(min_length=1)] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str) -> str:
        if name in FIELDS or (name.startswith("fields.") and len(name) > len("fields.")):
            return name
        close = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown field {name!r}{hint}: {_FIELD_HINT}")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"bad regex {pattern!r}: {exc}") from None
        return pattern

    @field_validator("range")
    @classmethod
    def _size_rule(cls, rule: str) -> str:
        found = SIZE_RULE.match(rule)
        if not found:
            raise ValueError(f"{rule!r} is not a size rule: use '>=1000', '<50' or '50-999'")
        low, high = found.group(3), found.group(4)
        if low is not None and int(low) > int(high):
            raise ValueError(f"{rule!r} is empty: write the smaller number first")
        return rule

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        combinators = [k for k in ("all", "any", "not_") if getattr(self, k) is not None]
        if combinators:
            if len(combinators) > 1 or self.field is not None or self.operators():
                raise ValueError("use one of all, any or not per condition; nest them to combine")
            return self
        if self.field is None:
            raise ValueError(
                f"a condition needs 'field' and one of {_OPERATOR_LIST} (or all, any, not)"
            )
        _check_operator(self.field, self.operators(), self.op, self.value)
        return self

    def values_of(self, name: str) -> set[str]:
        """The values this condition compares the field `name` with (equals / in), anywhere
        inside it: e.g. the sources routing rules name."""
        found: set[str] = set()
        if self.field == name:
            found |= {str(v) for v in [self.equals, *(self.in_ or [])] if v is not None}
        for inner in [*(self.all or []), *(self.any or []), self.not_]:
            found |= inner.values_of(name) if inner is not None else set()
        return found

    def operators(self) -> list[str]:
        given = {"equals": self.equals, "in": self.in_, "regex": self.regex, "op": self.op}
        given["range"] = self.range
        return [name for name, value in given.items() if value is not None]


def _check_operator(field: str, operators: list[str], op: str | None, value: object | None) -> None:
    if not operators:
        raise ValueError(f"the condition on {field!r} needs one of {_OPERATOR_LIST}")
    if len(operators) > 1:
        raise ValueError(
            f"use one of {_OPERATOR_LIST} per condition (got {' and '.join(operators)}); "
            "combine conditions with all or any"
        )
    if op is not None and value is None:
        raise ValueError(f"op {op!r} needs a 'value' to compare with")
    if op is None and value is not None:
        raise ValueError("'value' goes with 'op', e.g. op: '>=' and value: 1000")
    if op not in (None, "==") and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ValueError(f"op {op!r} compares numbers: 'value' must be a number")


class Team(_Section):
    """A named group of reps and how leads are shared among them."""

    reps: RepList
    strategy: Strategy = "round_robin"
    weights: Weights = {}
    respect_working_hours: bool = False
    daily_cap: Cap | None = None


def _pool_shorthand(value: object) -> object:
    # `pool: emea` names a team and `pool: [U0ALICE, U0BO]` lists reps: both read naturally.
    if isinstance(value, str):
        return {"team": value}
    if isinstance(value, list):
        return {"reps": value}
    return value


class Pool(_Section):
    """Where a rule sends leads: ``reps`` or ``team``; other keys override the team's."""

    reps: RepList | None = None
    team: str | None = None
    strategy: Strategy | None = None
    weights: Weights | None = None
    respect_working_hours: bool | None = None
    daily_cap: Cap | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Pool:
        if self.reps is None and self.team is None:
            raise ValueError(
                "a pool needs 'reps' (a list of rep ids) or 'team' (a name under teams)"
            )
        if self.reps is not None and self.team is not None:
            raise ValueError("a pool takes 'reps' or 'team', not both")
        return self


PoolField = Annotated[Pool, BeforeValidator(_pool_shorthand)]


class Rule(_Section):
    name: Annotated[str, Field(min_length=1, max_length=40)]
    when: Condition
    pool: PoolField
    fallback: list[PoolField] = []


class Routing(_Section):
    """Rules in order (first match wins), then ``default``; ``default`` unset: every rep."""

    owner_memory: Duration = timedelta(days=90)  # 0s turns "existing owner first" off
    match_owner_by: Literal["email", "domain"] = "email"
    ack_timeout: Duration | None = None
    default: PoolField | None = None
    rules: list[Rule] = []

    @field_validator("ack_timeout")
    @classmethod
    def _ack_timeout_range(cls, timeout: timedelta | None) -> timedelta | None:
        # Shorter than a minute would reassign before anyone could read the card.
        if timeout is not None and timeout < timedelta(minutes=1):
            raise ValueError("must be at least 1m")
        return timeout
