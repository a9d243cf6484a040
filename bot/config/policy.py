"""leadbot.yml sections for SLAs: tiers, the escalation chain, snooze and message templates."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.config.errors import check_channel_id, check_distinct, describe, one_of
from bot.config.routing import SIZE_RULE, Condition
from bot.durations import Duration, _coerce_duration, parse_duration
from bot.escalation.templates import check_template
from bot.vocabulary import CONFIGURABLE_ACTIONS, Action, Tone

ChannelId = Annotated[str, AfterValidator(check_channel_id)]


def _configurable_action(value: object) -> object:
    # The actions leadbot adds itself (backup, queue_reminder) are not offered in leadbot.yml.
    if value not in CONFIGURABLE_ACTIONS:
        raise ValueError(f"expected {one_of(CONFIGURABLE_ACTIONS)}, got {describe(value)}")
    return value


ConfigAction = Annotated[Action, BeforeValidator(_configurable_action)]


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
    tier: StrList | None = None  # the tier a lead arrived with, one leadbot.yml does not define
    company_size: str | None = None

    @field_validator("company_size")
    @classmethod
    def _size_rule(cls, rule: str | None) -> str | None:
        if rule is not None and not SIZE_RULE.match(rule):
            raise ValueError(f"{rule!r} is not a size rule: use '>=1000', '<50' or '50-999'")
        return rule

    def condition(self) -> Condition | None:
        """The same test in the grammar of routing rules, so one matcher decides both (None:
        no key given, every lead matches). Built without validation: the keys were validated,
        and an empty list must keep matching nothing rather than fail."""
        tests = [
            Condition.model_construct(field=key, in_=list(values))
            for key in ("source", "product", "country", "tier")
            if (values := getattr(self, key)) is not None
        ]
        if self.company_size is not None:
            tests.append(Condition.model_construct(field="company_size", range=self.company_size))
        return Condition.model_construct(all=tests) if tests else None


class EscalationStep(_Section):
    after: Duration
    do: Annotated[list[ConfigAction], Field(min_length=1)]
    tone: Tone = Tone.GENTLE
    channel: ChannelId | None = None  # for notify_channel
    repeat: Annotated[int, Field(ge=0, le=100)] = 0
    every: Duration = timedelta(hours=1)

    @model_validator(mode="after")
    def _coherent(self) -> EscalationStep:
        if Action.NOTIFY_CHANNEL in self.do and self.channel is None:
            raise ValueError("notify_channel needs a 'channel' on the same step")
        if self.repeat and Action.MOVE_TO_QUEUE not in self.do:
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
            EscalationStep(after=timedelta(minutes=30), do=[Action.REMIND_OWNER]),
            EscalationStep(after=timedelta(hours=2), do=[Action.REMIND_OWNER], tone=Tone.DIRECT),
            EscalationStep(
                after=timedelta(hours=4), do=[Action.NOTIFY_MANAGER, Action.MOVE_TO_QUEUE]
            ),
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


CONTACT_OFF = timedelta(0)  # `contact_within: off`: no first-contact SLA


def _off_or_duration(value: object) -> object:
    # YAML 1.1 reads a bare `off` as false: both mean no first-contact SLA. Empty: the default.
    if value is None:
        return None
    if value is False or (isinstance(value, str) and value.strip().lower() == "off"):
        return CONTACT_OFF
    try:
        return _coerce_duration(value)
    except ValueError as err:
        raise ValueError(f"{err}, or off") from None


class Tier(_Section):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
    respond_within: Duration
    match: TierMatch | None = None
    urgent: bool = False  # reminders may break through quiet hours
    escalation: EscalationField | None = None  # None: the top-level chain
    # Claimed but no contact logged this long (business time): the follow-up chain starts.
    # Unset: 15m for hot, 2h for warm, 1d for cold, else twice respond_within; "off": never.
    contact_within: Annotated[timedelta | None, BeforeValidator(_off_or_duration)] = None

    @property
    def contact_deadline(self) -> timedelta | None:
        """How long after the claim a first contact is due; None: no such SLA."""
        if self.contact_within == CONTACT_OFF:
            return None
        if self.contact_within is not None:
            return self.contact_within
        return CONTACT_DEFAULTS.get(self.name, 2 * self.respond_within)


CONTACT_DEFAULTS = {
    "hot": timedelta(minutes=15),
    "warm": timedelta(hours=2),
    "cold": timedelta(days=1),
}


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


DEFAULT_SNOOZE_REASONS = ("In a meeting", "Waiting on info", "Prospect asked for later", "Other")


class Snooze(_Section):
    choices: Annotated[
        list[Annotated[str, AfterValidator(_snooze_choice)]], Field(min_length=1, max_length=10)
    ] = ["15m", "1h", "4h", "tomorrow"]
    max_delay: Duration = timedelta(hours=2)
    # Asked for in the snooze modal and counted in the weekly digest; [] asks for none.
    reasons: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=60)]],
        Field(max_length=10),
        AfterValidator(check_distinct),
    ] = Field(default_factory=lambda: list(DEFAULT_SNOOZE_REASONS))


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
    def _renders(cls, source: str, info: ValidationInfo) -> str:
        return check_template(source, info.field_name)
