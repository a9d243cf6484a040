"""leadbot.yml sections for what happens after the claim: `cadences` (the planned touches) and
`followup` (the first-contact SLA's chain, the prospect's calling window, the templates).

A cadence is chosen per lead like a tier is (`match`, first match wins, else the one named
`default`, else none); its steps count the rep's business days from the claim (or the first
contact) and each becomes a task card when it is due (bot/followup/).
"""

from __future__ import annotations

from datetime import time, timedelta
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from bot.config.errors import check_distinct, describe, one_of, parse_clock
from bot.config.policy import TierMatch
from bot.durations import Duration, format_duration
from bot.vocabulary import Action, FollowUpChannel, LeadOutcome

MAX_DAY = 365
TemplateName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _day(value: object) -> object:
    whole = isinstance(value, int) and not isinstance(value, bool)
    if not whole or not 1 <= value <= MAX_DAY:  # type: ignore[operator]
        raise ValueError(f"expected a whole number from 1 to {MAX_DAY}, got {describe(value)}")
    return value


class CadenceStep(_Section):
    day: Annotated[int, BeforeValidator(_day)]
    do: Annotated[list[FollowUpChannel], BeforeValidator(_as_list), Field(min_length=1)]
    template: TemplateName | None = None
    final: bool = False

    @field_validator("do")
    @classmethod
    def _once_each(cls, channels: list[FollowUpChannel]) -> list[FollowUpChannel]:
        if len(set(channels)) != len(channels):
            raise ValueError("name each channel once")
        return channels

    @property
    def is_call(self) -> bool:
        return FollowUpChannel.CALL in self.do


DEFAULT_STOP_ON = [
    LeadOutcome.REPLIED,
    LeadOutcome.MEETING_BOOKED,
    LeadOutcome.NOT_A_FIT,
    LeadOutcome.CLOSED,
]


# `stopped` is what a manager does from a card, never a goal or a reason written in the file.
CONFIGURABLE_OUTCOMES = tuple(o for o in LeadOutcome if o != LeadOutcome.STOPPED)


def _configurable_outcome(value: object) -> object:
    if value not in CONFIGURABLE_OUTCOMES:
        raise ValueError(f"expected {one_of(CONFIGURABLE_OUTCOMES)}, got {describe(value)}")
    return value


Outcome = Annotated[LeadOutcome, BeforeValidator(_configurable_outcome)]


class Cadence(_Section):
    match: TierMatch | None = None
    goal: Outcome = LeadOutcome.MEETING_BOOKED
    start: Literal["claim", "first_contact"] = "claim"
    steps: Annotated[list[CadenceStep], Field(min_length=1, max_length=50)]
    stop_on: list[Outcome] = Field(default_factory=lambda: list(DEFAULT_STOP_ON))
    wait_for_previous: bool = True

    @field_validator("steps")
    @classmethod
    def _in_day_order(cls, steps: list[CadenceStep]) -> list[CadenceStep]:
        for earlier, later in pairwise(steps):
            if later.day <= earlier.day:
                raise ValueError(
                    f"steps must be in order of 'day', each later than the last "
                    f"(day {later.day} comes after day {earlier.day}): put a day's channels "
                    "in one step, e.g. do: [email, call]"
                )
        if any(step.final for step in steps[:-1]):
            raise ValueError("only the last step may be final")
        return steps


def default_cadences() -> dict[str, Cadence]:
    """A typical B2B cadence: six touches over three weeks of business days."""
    steps = [
        CadenceStep(day=1, do=[FollowUpChannel.EMAIL, FollowUpChannel.CALL], template="intro"),
        CadenceStep(day=2, do=[FollowUpChannel.EMAIL], template="value"),
        CadenceStep(day=4, do=[FollowUpChannel.CALL], template="call_script"),
        CadenceStep(day=7, do=[FollowUpChannel.EMAIL], template="case_study"),
        CadenceStep(day=10, do=[FollowUpChannel.LINKEDIN], template="connect"),
        CadenceStep(day=14, do=[FollowUpChannel.EMAIL], template="breakup", final=True),
    ]
    return {"default": Cadence(steps=steps)}


class OverdueStep(_Section):
    """A step of the chain a task follows while it is not done: `after` is business time from
    the first contact's deadline, or from a cadence task's due moment + task_overdue_after."""

    after: Duration
    do: Annotated[
        list[Literal["remind_owner", "notify_manager"]],
        BeforeValidator(_as_list),
        Field(min_length=1),
    ]


def default_overdue() -> list[OverdueStep]:
    return [
        OverdueStep(after=timedelta(0), do=[Action.REMIND_OWNER]),
        OverdueStep(after=timedelta(hours=2), do=[Action.NOTIFY_MANAGER]),
    ]


def _window(value: object) -> object:
    if not isinstance(value, str):
        return value
    start, _, end = (parse_clock(part) for part in value.partition("-"))
    if start is None or end is None:
        raise ValueError(f'expected a range like "08:00-20:00" (HH:MM-HH:MM), got {value!r}')
    if end <= start:
        raise ValueError(f"{value!r}: the end must be later than the start (the same day)")
    return (start, end)


DEFAULT_LOST_REASONS = (
    "No budget",
    "Chose a competitor",
    "No decision / went dark",
    "Bad timing",
    "Missing feature",
    "Other",
)


class FollowUpSettings(_Section):
    # Where the prospect may be called, on their own clock (their `timezone`, else country).
    calling_window: Annotated[tuple[time, time], BeforeValidator(_window)] = (time(8), time(20))
    # The chain a claimed lead without a logged contact follows from `contact_within`, and a
    # task left undone follows from its due moment.
    overdue: Annotated[list[OverdueStep], Field(min_length=1)] = Field(
        default_factory=default_overdue
    )
    # A cadence task is overdue this long (business time) after its card came: then the
    # `overdue` chain starts. The first-contact task's chain starts at its deadline.
    task_overdue_after: Duration = timedelta(hours=4)
    # Outreach templates: a directory of `<name>.md.j2` files, relative to leadbot.yml; its
    # templates add to (and override) the built-in starter set.
    templates: str | None = None
    min_template_uses: Annotated[int, Field(ge=1, le=10_000)] = 10
    # Closing a lead as won asks for its amount, in this currency (ISO 4217, shown as typed);
    # as lost, for one of these reasons (the review counts them).
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    lost_reasons: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=60)]],
        Field(min_length=1, max_length=20),
        AfterValidator(check_distinct),
    ] = Field(default_factory=lambda: list(DEFAULT_LOST_REASONS))

    @field_validator("overdue")
    @classmethod
    def _ordered(cls, steps: list[OverdueStep]) -> list[OverdueStep]:
        for earlier, later in pairwise(steps):
            if later.after <= earlier.after:
                raise ValueError(
                    "steps must be in order of 'after', each later than the last "
                    f"({format_duration(later.after)} after {format_duration(earlier.after)})"
                )
        return steps
