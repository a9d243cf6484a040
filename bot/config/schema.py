"""The ``leadbot.yml`` schema, its loading, and error messages that point at the exact key.

Adding a section (tiers, escalation, routing, ...) is one new model plus one field on ``Config``:
error paths, type messages and "did you mean" hints are derived from the models.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

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

from bot.config.delivery import DeliverySettings
from bot.config.errors import (
    check_channel_id,
    check_email,
    check_quiet_hours,
    check_time_zone,
    check_user_id,
    describe,
    to_clock_time,
    to_date,
    to_weekday,
)
from bot.config.followup import Cadence, FollowUpSettings, default_cadences
from bot.config.policy import (
    Escalation,
    EscalationField,
    Snooze,
    Templates,
    Tier,
    default_tiers,
)
from bot.config.review import DigestSettings
from bot.config.routing import Routing, Team
from bot.config.sources import Source, check_source_name, check_write_back
from bot.durations import Duration, format_duration
from bot.vocabulary import CopyKind

__all__ = [
    "BusinessHours",
    "Channels",
    "Config",
    "IntakeSettings",
    "Person",
    "QueueSettings",
    "Rep",
    "SchedulerConfig",
]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

UserId = Annotated[str, AfterValidator(check_user_id)]
ChannelId = Annotated[str, AfterValidator(check_channel_id)]
TimeZoneName = Annotated[str, AfterValidator(check_time_zone)]
ClockTime = Annotated[time, BeforeValidator(to_clock_time)]
Day = Annotated[Weekday, BeforeValidator(to_weekday)]
Holiday = Annotated[date, BeforeValidator(to_date)]
CadenceName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Section):
    """Someone leadbot talks to who is not a rep (a manager); only ``id`` is required."""

    id: UserId
    name: str | None = None
    timezone: TimeZoneName | None = None


class AwaySpan(_Section):
    start: Holiday = Field(alias="from")
    end: Holiday = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> AwaySpan:
        if self.end < self.start:
            raise ValueError(f"'to' ({self.end}) is before 'from' ({self.start})")
        return self


def _day_or_span(value: object) -> object:
    if isinstance(value, dict):
        return value
    return {"from": value, "to": value}


class Rep(Person):
    """Someone who receives leads; ``timezone`` falls back to the top-level one (``tz_for``)."""

    name: Annotated[str, Field(min_length=1)]
    email: Annotated[str, AfterValidator(check_email)] | None = None
    manager: UserId | None = None
    quiet_hours: Annotated[str, AfterValidator(check_quiet_hours)] | None = None
    # Planned absence: single days, or {from: 2026-12-24, to: 2027-01-02} (both days included).
    away: list[Annotated[AwaySpan, BeforeValidator(_day_or_span)]] = []

    def away_on(self, day: date) -> bool:
        return any(span.start <= day <= span.end for span in self.away)

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        """``quiet_hours`` as (start, end); end < start means the window spans midnight."""
        if self.quiet_hours is None:
            return None
        start, _, end = self.quiet_hours.partition("-")
        return to_clock_time(start), to_clock_time(end)


class BusinessHours(_Section):
    days: Annotated[list[Day], Field(min_length=1)] = ["mon", "tue", "wed", "thu", "fri"]
    start: ClockTime
    end: ClockTime
    holidays: list[Holiday] = []
    timezone: TimeZoneName | None = None

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(
                f"must be later than start ({start:%H:%M}); overnight hours are not supported"
            )
        return end


class Channels(_Section):
    leads: ChannelId | None = None
    queue: ChannelId
    managers: ChannelId | None = None
    # Where leadbot tells the admins what it could not deliver (else a DM to each admin).
    alerts: ChannelId | None = None


class QueueSettings(_Section):
    # Off: only the people leadbot.yml names may claim. On: anyone in the workspace may claim
    # from the shared queue (never a lead still offered to a rep).
    open_to_all: bool = False


class IntakeSettings(_Section):
    """What intake accepts as a lead's `received_at`: a CRM replaying old leads, or a clock that
    runs ahead, must not put a lead outside the time leadbot can reason about."""

    max_age: Duration = timedelta(days=365)
    max_ahead: Duration = timedelta(minutes=5)

    @field_validator("max_age")
    @classmethod
    def _age_range(cls, age: timedelta) -> timedelta:
        if not timedelta(hours=1) <= age <= timedelta(days=3650):
            raise ValueError(f"must be between 1h and 3650d, got {format_duration(age)}")
        return age

    @field_validator("max_ahead")
    @classmethod
    def _ahead_range(cls, ahead: timedelta) -> timedelta:
        if ahead > timedelta(days=1):
            raise ValueError(f"must be at most 1d, got {format_duration(ahead)}")
        return ahead


class SchedulerConfig(_Section):
    tick: Duration = timedelta(seconds=5)

    @field_validator("tick")
    @classmethod
    def _tick_range(cls, tick: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= tick <= timedelta(minutes=5):
            raise ValueError(f"must be between 1s and 5m, got {format_duration(tick)}")
        return tick


def _always_or_hours(value: object) -> object:
    # "always" reads better in YAML than null; the model keeps None so code has one check.
    if value is None or value == "always":
        return None
    if isinstance(value, str):
        raise ValueError(f"expected 'always' or a mapping with days, start and end, got {value!r}")
    return value


def _id_or_person(value: object) -> object:
    if isinstance(value, str):
        return {"id": value}
    if not isinstance(value, Mapping):
        raise ValueError(
            f"expected a user id such as U0123ABCD or a mapping with id and name, "
            f"got {describe(value)}"
        )
    return value


class Config(_Section):
    """The whole ``leadbot.yml``; build it with ``parse_config`` so cross-key checks run too."""

    timezone: TimeZoneName = "UTC"
    business_hours: Annotated[BusinessHours | None, BeforeValidator(_always_or_hours)] = None
    channels: Channels
    managers: list[Annotated[Person, BeforeValidator(_id_or_person)]] = []
    admins: list[UserId] = []
    reps: list[Rep]
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    tiers: Annotated[list[Tier], Field(min_length=1)] = Field(default_factory=default_tiers)
    default_tier: str = "warm"
    escalation: EscalationField = Field(default_factory=Escalation)
    snooze: Snooze = Field(default_factory=Snooze)
    templates: Templates = Field(default_factory=Templates)
    teams: dict[str, Team] = {}
    routing: Routing = Field(default_factory=Routing)
    cadences: dict[CadenceName, Cadence] = Field(default_factory=default_cadences)
    followup: FollowUpSettings = Field(default_factory=FollowUpSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    sources: Annotated[
        dict[Annotated[str, AfterValidator(check_source_name)], Source],
        AfterValidator(check_write_back),
    ] = {}

    @model_validator(mode="after")
    def _tiers_coherent(self) -> Config:
        names = [tier.name for tier in self.tiers]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"tiers: duplicate tier name {duplicates[0]!r}")
        if self.default_tier not in names:
            raise ValueError(
                f"default_tier: {self.default_tier!r} is not one of the tiers ({', '.join(names)})"
            )
        return self

    def tier(self, name: str) -> Tier | None:
        return next((t for t in self.tiers if t.name == name), None)

    def is_hottest(self, tier_name: str) -> bool:
        """The tier answered soonest (or marked urgent): its DM cards go before every other."""
        tier = self.tier(tier_name)
        hottest = min(self.tiers, key=lambda t: t.respond_within)
        return tier is not None and (tier.urgent or tier.name == hottest.name)

    @field_validator("reps")
    @classmethod
    def _some_reps(cls, reps: list[Rep]) -> list[Rep]:
        if not reps:
            raise ValueError("at least one rep is required")
        return reps

    def _find_person(self, user_id: str) -> Person | None:
        # Linear scans: teams have tens of people, and no cache can go stale after model_copy().
        # Reps come first: their entries are the more complete ones.
        return next((p for p in [*self.reps, *self.managers] if p.id == user_id), None)

    def rep(self, user_id: str) -> Rep | None:
        return next((r for r in self.reps if r.id == user_id), None)

    def rep_for(self, said: str) -> str | None:
        """The rep a CRM names: by Slack id, email or name (case aside); None if none is."""
        key = said.strip().casefold()
        for rep in self.reps:
            if key in (rep.id.casefold(), (rep.email or "").casefold(), rep.name.casefold()):
                return rep.id
        return None

    def rep_ids(self) -> list[str]:
        return [r.id for r in self.reps]

    def manager_ids(self) -> list[str]:
        return [m.id for m in self.managers]

    def tz_for(self, user_id: str) -> ZoneInfo:
        """The person's own time zone, else the config default (also for unknown users)."""
        person = self._find_person(user_id)
        return ZoneInfo((person.timezone if person else None) or self.timezone)

    def business_tz(self) -> ZoneInfo:
        hours = self.business_hours
        return ZoneInfo((hours.timezone if hours else None) or self.timezone)

    def is_manager(self, user_id: str) -> bool:
        return any(m.id == user_id for m in self.managers)

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    def can_manage(self, user_id: str) -> bool:
        """Managers and admins: reassign, act on anyone's lead, see everyone's numbers."""
        return self.is_manager(user_id) or self.is_admin(user_id)

    def is_known(self, user_id: str) -> bool:
        return bool(self.rep(user_id)) or self.can_manage(user_id)

    def named_sources(self) -> set[str]:
        """Every lead source this config names (tiers' `match`, routing rules), lower-cased."""
        named = {s for tier in self.tiers if tier.match for s in tier.match.source or []}
        named |= {s for rule in self.routing.rules for s in rule.when.values_of("source")}
        return {source.lower() for source in named}

    def alert_targets(self) -> list[tuple[CopyKind, str]]:
        """Who hears what leadbot could not do: channels.alerts, else each admin (else each
        manager) in a DM."""
        if self.channels.alerts:
            return [(CopyKind.CHANNEL, self.channels.alerts)]
        return [(CopyKind.DM, person) for person in self.admins or self.manager_ids()]

    def display_name(self, user_id: str) -> str:
        person = self._find_person(user_id)
        return person.name if person and person.name else user_id
