"""Speed to lead as a report, pure: period windows, the summary maths, the per-rep table and
who may see which rows. `bot/review/stats.py` reads the numbers from the database; the
builders in `blocks/stats.py` and `blocks/home.py` draw a `StatsReport`. The follow-up numbers
of each row (`FollowUp`) are defined and computed in `bot/review/followup_report.py`."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.schema import Config
from bot.review.followup_report import NO_FOLLOWUP, Claimed, DueTask, FollowUp, followup_by_owner
from bot.review.outcome_report import NO_OUTCOMES, Outcomes

PERIODS: tuple[str, ...] = ("today", "week", "month")
DEFAULT_PERIOD = "week"
ROLLING_DAYS: dict[str, int] = {"week": 7, "month": 30}
SHARE_LIMITS: tuple[float, ...] = (5 * 60, 60 * 60, 24 * 60 * 60)  # within 5 min, 1 h, 24 h
# The same limits as buckets, a wait in exactly one (the audit, the digest, its chart).
RESPONSE_BUCKETS = ("within 5 min", "5 min – 1 h", "1 h – 24 h", "over 24 h", "never")
SHARED_QUEUE = "Shared queue"

# (claim wait seconds, first contact wait seconds, breached): one lead of the cohort.
Times = tuple[float | None, float | None, bool]


@dataclass(frozen=True)
class Period:
    name: str
    start: datetime  # aware UTC, included
    end: datetime  # aware UTC ("now"), excluded
    tz: str  # the caller's time zone, the one the window was computed in
    label: str  # "Last 7 days (Nov 16 – Nov 23)"


@dataclass(frozen=True)
class Speed:
    """One measure (claim or first contact) over a cohort; shares are of the whole cohort."""

    count: int  # leads where it happened
    median: float | None  # seconds, nearest rank; None when count == 0
    p90: float | None
    within: tuple[float, ...]  # shares done within each of SHARE_LIMITS
    never: float  # share not (yet) done


@dataclass(frozen=True)
class Summary:
    leads: int
    claim: Speed
    contact: Speed
    breaches: int


@dataclass(frozen=True)
class RepRow:
    owner_id: str | None  # None: the shared queue
    name: str
    summary: Summary
    followup: FollowUp = NO_FOLLOWUP


@dataclass(frozen=True)
class StatsReport:
    period: Period
    total: Summary  # the team (or, with a rep filter, that rep)
    rows: tuple[RepRow, ...]
    rep: str | None = None
    source: str | None = None
    followup: FollowUp = NO_FOLLOWUP  # the total's
    outcomes: Outcomes = NO_OUTCOMES  # how leads ended in the period (the total's)
    currency: str = "USD"


@dataclass(frozen=True)
class FollowUpRows:
    """What the follow-up numbers are computed from (bot/review/followup_report.py)."""

    tasks: Sequence[DueTask] | Sequence[Any]  # database rows are tuple-like
    claims: Sequence[Claimed] | Sequence[Any]
    now: datetime


# -- periods --------------------------------------------------------------------------------------
def period_window(name: str, now: datetime, tz: ZoneInfo) -> Period:
    """The rolling window `name` ending at `now`, in the caller's zone `tz`.

    `today` starts at local midnight; `week`/`month` start at the same local wall-clock time 7/30
    days earlier (so across a DST change the window is an hour longer or shorter than 7×24 h).
    """
    if name not in PERIODS:
        raise ValueError(f"unknown period {name!r}: use {', '.join(PERIODS)}")
    if now.tzinfo is None:
        raise ValueError("period_window needs an aware datetime")
    now, local = now.astimezone(UTC), now.astimezone(tz)
    if name == "today":
        start_local = datetime.combine(local.date(), time(0), tzinfo=tz)
    else:
        start_local = local - timedelta(days=ROLLING_DAYS[name])  # wall-clock arithmetic
    start = min(start_local.astimezone(UTC), now)
    return Period(name, start, now, str(tz), _label(name, start.astimezone(tz), local))


def _label(name: str, start: datetime, end: datetime) -> str:
    if name == "today":
        return f"Today ({_day(end, weekday=True)}, since midnight)"
    days = ROLLING_DAYS[name]
    year = start.year != end.year
    return f"Last {days} days ({_day(start, year=year)} – {_day(end, year=year)})"


def _day(moment: datetime, *, weekday: bool = False, year: bool = False) -> str:
    text = f"{moment:%b} {moment.day}"
    if weekday:
        text = f"{moment:%a} {text}"
    return f"{text}, {moment.year}" if year else text


# -- the maths ------------------------------------------------------------------------------------
def percentile(ordered: Sequence[float], p: int) -> float | None:
    """Nearest-rank percentile of already sorted values: the ceil(p·n/100)-th smallest."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in 1..100, got {p}")
    if not ordered:
        return None
    rank = -(-p * len(ordered) // 100)  # ceil without floats
    return ordered[rank - 1]


def bucket_of(wait: float | None) -> int:
    """The RESPONSE_BUCKETS index of a wait in seconds (None: never); a limit is "within"."""
    return len(RESPONSE_BUCKETS) - 1 if wait is None else bisect_left(SHARE_LIMITS, wait)


def bucket_shares(speed: Speed) -> tuple[float, ...]:
    """The cumulative "within" shares as one share per RESPONSE_BUCKETS, never last; () for an
    empty cohort. The digest's chart and the dashboard's are drawn from these."""
    if not speed.count and not speed.never:
        return ()
    within = (0.0, *speed.within)
    steps = tuple(b - a for a, b in pairwise(within))
    later = max(1.0 - within[-1] - speed.never, 0.0)
    return (*steps, later, speed.never)


def speed(waits: Iterable[float | None], cohort: int) -> Speed:
    done = [w for w in waits if w is not None]
    done.sort()
    if not cohort:
        return Speed(0, None, None, tuple(0.0 for _ in SHARE_LIMITS), 0.0)
    within = tuple(bisect_right(done, limit) / cohort for limit in SHARE_LIMITS)
    never = (cohort - len(done)) / cohort
    return Speed(len(done), percentile(done, 50), percentile(done, 90), within, never)


def summarize(times: Sequence[Times]) -> Summary:
    # List comprehensions, not generators: a week of 10,000 leads is summed per rep and for the
    # team on every dashboard refresh, and a generator costs a frame switch per lead.
    cohort = len(times)
    return Summary(
        leads=cohort,
        claim=speed([t[0] for t in times], cohort),
        contact=speed([t[1] for t in times], cohort),
        breaches=len([t for t in times if t[2]]),
    )


def by_owner(rows: Iterable[Sequence[Any]]) -> dict[str | None, list[Times]]:
    """Split (owner, claim, contact, breached, …) rows into each owner's Times; columns after
    the fourth are ignored."""
    groups: dict[str | None, list[Times]] = {}
    for row in rows:
        group = groups.get(row[0])
        if group is None:
            group = groups[row[0]] = []
        group.append((row[1], row[2], bool(row[3])))
    return groups


def build_report(
    period: Period,
    groups: dict[str | None, list[Times]],
    config: Config,
    *,
    rep: str | None = None,
    source: str | None = None,
    followup: FollowUpRows | None = None,
) -> StatsReport:
    """Every configured rep gets a row (zero leads included); other owners and the shared queue
    only when they have leads, tasks due or claims. With `rep`, only that rep."""
    per_owner: dict[str | None, FollowUp] = {}
    of = None
    if followup is not None:
        per_owner, of = followup_by_owner(
            followup.tasks, followup.claims, followup.now, config.tz_for
        )
    owners: list[str | None] = (
        [rep] if rep else list(dict.fromkeys([*config.rep_ids(), *groups, *per_owner]))
    )
    rows = [
        RepRow(
            owner,
            config.display_name(owner) if owner else SHARED_QUEUE,
            summarize(groups.get(owner, [])),
            per_owner.get(owner, NO_FOLLOWUP),
        )
        for owner in owners
    ]
    rows.sort(key=lambda row: (row.owner_id is None, row.name.casefold()))
    everyone = [t for owner in owners for t in groups.get(owner, [])]
    total = of(owners) if of is not None else NO_FOLLOWUP
    return StatsReport(period, summarize(everyone), tuple(rows), rep, source, total)


def visible_to(report: StatsReport, viewer: str, *, sees_everyone: bool) -> StatsReport:
    """Managers see every row; anyone else their own row (if any) and the total."""
    if sees_everyone:
        return report
    return replace(report, rows=tuple(row for row in report.rows if row.owner_id == viewer))
