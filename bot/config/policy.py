"""leadbot.yml sections for SLAs: tiers, the escalation chain, snooze and message templates."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise
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

from bot.config.errors import check_channel_id
from bot.durations import Duration, parse_duration
from bot.escalation.templates import check_template

Action = Literal["remind_owner", "notify_manager", "move_to_queue", "reassign", "notify_channel"]
Tone = Literal["gentle", "direct", "urgent"]
ChannelId = Annotated[str, AfterValidator(check_channel_id)]
SIZE_RULE = re.compile(r"^\s*(?:(>=|<=|>|<)\s*(\d+)|(\d+)\s*-\s*(\d+))\s*$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: object) -> object:
    # `source: website` reads as naturally as `source: [website, webinar]`.
    return [value] if isinstance(value, str | int) else value


StrList = Annotated[list[str], BeforeValidator(_as_list)]


class TierMatch(_Section):
    """All given conditions must hold; a list means any of its values."""

    source: StrList | None = None
    product: StrList | None = None
    country: StrList | None = None
    tier: StrList | None = None
    company_size: str | None = None

    @field_validator("company_size")
    @classmethod
    def _size_rule(cls, rule: str | None) -> str | None:
        if rule is not None and not SIZE_RULE.match(rule):
            raise ValueError(f"{rule!r} is not a size rule: use '>=1000', '<50' or '50-999'")
        return rule


class EscalationStep(_Section):
    after: Duration
    do: Annotated[list[Action], Field(min_length=1)]
    tone: Tone = "gentle"
    channel: ChannelId | None = None  # for notify_channel
    repeat: Annotated[int, Field(ge=0, le=100)] = 0
    every: Duration = timedelta(hours=1)

    @model_validator(mode="after")
    def _coherent(self) -> EscalationStep:
        if "notify_channel" in self.do and self.channel is None:
            raise ValueError("notify_channel needs a 'channel' on the same step")
        if self.repeat and "move_to_queue" not in self.do:
            raise ValueError("repeat re-posts the queue reminder: use it on a move_to_queue step")
        if self.every < timedelta(minutes=1):
            raise ValueError("every must be at least 1m")
        return self


def _steps_or_mapping(value: object) -> object:
    # The chain is usually written as a bare list; `catch_up` needs the mapping form.
    return {"steps": value} if isinstance(value, list) else value


class Escalation(_Section):
    steps: list[EscalationStep] = Field(
        default_factory=lambda: [
            EscalationStep(after=timedelta(minutes=30), do=["remind_owner"], tone="gentle"),
            EscalationStep(after=timedelta(hours=2), do=["remind_owner"], tone="direct"),
            EscalationStep(after=timedelta(hours=4), do=["notify_manager", "move_to_queue"]),
        ]
    )
    catch_up: Duration = timedelta(hours=1)

    @field_validator("steps")
    @classmethod
    def _ordered(cls, steps: list[EscalationStep]) -> list[EscalationStep]:
        for earlier, later in pairwise(steps):
            if later.after <= earlier.after:
                raise ValueError("steps must be in order of 'after', each later than the last")
        for step in steps[:-1]:
            if step.repeat:
                raise ValueError("only the last step may repeat")
        return steps


EscalationField = Annotated[Escalation, BeforeValidator(_steps_or_mapping)]


class Tier(_Section):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
    respond_within: Duration
    match: TierMatch | None = None
    urgent: bool = False  # reminders may break through quiet hours
    escalation: EscalationField | None = None  # None: the top-level chain


def default_tiers() -> list[Tier]:
    return [
        Tier(name="hot", respond_within=timedelta(minutes=5)),
        Tier(name="warm", respond_within=timedelta(hours=1)),
        Tier(name="cold", respond_within=timedelta(hours=24)),
    ]


def _snooze_choice(value: str) -> str:
    if value != "tomorrow":
        parse_duration(value)
    return value


class Snooze(_Section):
    choices: Annotated[
        list[Annotated[str, AfterValidator(_snooze_choice)]], Field(min_length=1, max_length=10)
    ] = ["15m", "1h", "4h", "tomorrow"]
    max_delay: Duration = timedelta(hours=2)


class Templates(_Section):
    """Jinja2 (sandboxed) text for each message; variables are escaped for Slack already.

    Variables: lead, owner, waited, sla, tier, overdue (true once the SLA is breached);
    notify_manager also next_step; held_digest owner and count.
    """

    remind_owner_gentle: str = (
        "👋 {{ owner }}, {{ lead }} has been waiting {{ waited }}. "
        "The SLA is {{ sla }}: could you claim it?"
    )
    remind_owner_direct: str = (
        "⏰ {{ owner }}, {{ lead }} has waited {{ waited }}"
        "{% if overdue %}, past its {{ sla }} SLA{% endif %}. "
        "Please claim it now or snooze it if you are on it."
    )
    remind_owner_urgent: str = (
        "🚨 {{ owner }}: {{ lead }} has waited {{ waited }} (SLA {{ sla }}). Claim it now."
    )
    notify_manager: str = (
        "📣 {{ lead }} is still unclaimed after {{ waited }} (SLA {{ sla }}). "
        "Owner: {{ owner }}. {{ next_step }}"
    )
    queue_reminder: str = (
        "📥 Still unclaimed: {{ lead }}, waiting {{ waited }}. Anyone can claim it."
    )
    notify_channel: str = "⚠️ {{ lead }} is unclaimed after {{ waited }} (SLA {{ sla }})."
    held_digest: str = "🌅 {{ owner }}, {{ count }} reminders came in during your quiet hours:"

    @field_validator("*")
    @classmethod
    def _compiles(cls, source: str) -> str:
        return check_template(source)
