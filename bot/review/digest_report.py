"""The weekly review as plain values (pure: `blocks/digest.py` draws it) and its weeks.

Weeks are whole local weeks in the reader's zone, ending as `digest.day` began (Monday 00:00
by default): on any day of the week the digest reviews the last complete one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.review.followup_report import FollowUp
from bot.review.report import Period
from bot.review.template_report import TemplateStats

WEEKS = 4
WORST = 5
TOP_TEMPLATES = 3
NO_REASON = "no reason given"


@dataclass(frozen=True)
class Week:
    period: Period
    leads: int
    claim_median: float | None  # seconds from arrival to claim
    claim_p90: float | None
    contact_median: float | None  # seconds from arrival to first contact
    breaches: int
    claim_shares: tuple[
        float, ...
    ] = ()  # of the week's leads, per RESPONSE_BUCKETS (time to claim)

    @property
    def within_sla(self) -> float | None:
        return (self.leads - self.breaches) / self.leads if self.leads else None


@dataclass(frozen=True)
class Breach:
    lead_id: int
    name: str
    owner: str | None
    waited: float  # seconds to the claim, or until the week's end if never claimed
    claimed: bool


@dataclass(frozen=True)
class Standing:
    name: str  # the rep's name, or "Rep 3" when anonymised
    leads: int
    median: float | None  # time to claim
    you: bool


@dataclass(frozen=True)
class Digest:
    scope: str  # "the team" or the rep's name
    weeks: tuple[Week, ...]  # oldest first; the last is the week under review
    worst: tuple[Breach, ...]
    followup: FollowUp
    conversion: tuple[tuple[str, int, int], ...]  # (bucket, leads, converted)
    templates: tuple[TemplateStats, ...]
    leaderboard: tuple[Standing, ...] | None
    tz: str
    snoozes: tuple[tuple[str, int], ...] = ()  # (reason, how many), most first

    @property
    def week(self) -> Week:
        return self.weeks[-1]

    @property
    def last(self) -> Week:
        return self.weeks[-2]

    @property
    def empty(self) -> bool:
        return not self.week.leads and self.followup.empty


def week_windows(now: datetime, tz: ZoneInfo, weekday: int, count: int = WEEKS) -> list[Period]:
    """The `count` whole local weeks before the last `weekday` 00:00 at or before `now`."""
    local = now.astimezone(tz)
    end_day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    periods = []
    for back in range(count, 0, -1):
        first, last = end_day - timedelta(days=7 * back), end_day - timedelta(days=7 * (back - 1))
        start = datetime.combine(first, time(0), tz)
        end = datetime.combine(last, time(0), tz)
        label = f"{first:%b %-d} – {last - timedelta(days=1):%b %-d}"
        periods.append(Period("week", start, end, tz.key, label))
    return periods
