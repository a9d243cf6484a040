"""Follow-up numbers for `/leads stats`, pure: task completion, touches per lead and single-touch
abandonment, per owner. `bot/review/stats.py` reads the rows; `bot/review/report.py` puts one
`FollowUp` on every rep row and on the total.

Definitions (a period is [start, now), see `report.period_window`):

- **Touch**: a row of `touches`, i.e. every contact logged (a task card's Done, the lead card's
  Log contact). Outcomes (`OUTCOMES`: replied, meeting_booked, meeting, not_a_fit) are the
  touches that record how the lead answered.
- **Completion**: of the cadence tasks (step ≥ 1) whose `due_at` (as it stands: a rescheduled
  task counts where it was moved to) falls in the period, the share done on time: status `done`
  with `done_at` before the end of the due date on the task owner's wall clock (the rep-local
  midnight ending the business day the task was due; `config.tz_for(owner)`). Skipped tasks,
  tasks done later, tasks still open after that day and tasks cancelled after that day count as
  not on time. Left out: a task cancelled before its day was over (its cadence stopped on an
  outcome, a close or a manager: nothing was left to do) and a task still open on its due day
  (it may yet be done on time).
- **Touches per lead**: over the leads with a cadence task due in the period (the tasks above,
  the open ones of today included, the ones cancelled before their day was over left out), the
  mean and the median (nearest rank) of each lead's touches, all of them so far. A lead counts
  once, for the owner of its latest task due in the period.
- **Single-touch abandonment**: of the leads claimed in the period (a `claimed` event in it,
  counted for the lead's current owner), the share whose follow-up ended (no open task now)
  after exactly one touch, which was not an outcome (no reply, meeting or not-a-fit).

Datetimes may come naive (SQLite: UTC) or aware (PostgreSQL); they are compared as naive UTC.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.vocabulary import ContactOutcome, TaskResult, TaskStatus

# Touch results that are how the lead answered, not an attempt to reach them.
OUTCOMES: frozenset[str] = frozenset(
    {
        TaskResult.REPLIED,
        TaskResult.MEETING_BOOKED,
        TaskResult.NOT_A_FIT,
        ContactOutcome.MEETING,
        ContactOutcome.NOT_A_FIT,
    }
)

# (owner, lead, due_at, status, done_at, the lead's touches): one cadence task due.
DueTask = tuple[str, int, datetime, str, datetime | None, int]
# (owner, lead, touches, the result of its touch if it has exactly one, an open task now; the
# last is only needed, and may be None, when the lead has exactly one touch): one lead claimed.
Claimed = tuple[str | None, int, int, str | None, bool | None]
DAY = timedelta(days=1)


@dataclass(frozen=True)
class FollowUp:
    tasks: int = 0  # cadence tasks due in the period that count (see the module's docstring)
    on_time: int = 0
    leads: int = 0  # leads with a cadence task due in the period
    touches_mean: float | None = None  # touches per such lead; None without leads
    touches_median: int | None = None
    claimed: int = 0  # leads claimed in the period
    single_touch: int = 0  # of them, ended after exactly one touch, not an outcome

    @property
    def completion(self) -> float | None:
        return self.on_time / self.tasks if self.tasks else None

    @property
    def abandonment(self) -> float | None:
        return self.single_touch / self.claimed if self.claimed else None

    @property
    def empty(self) -> bool:
        return not (self.tasks or self.leads or self.claimed)


NO_FOLLOWUP = FollowUp()


def naive_utc(moment: datetime) -> datetime:
    """UTC without tzinfo: SQLite's naive datetimes are UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    # A midnight a DST change skips is read as zoneinfo's fold=0 does: the day's first instant,
    # like `period_window`.
    return naive_utc(datetime.combine(day, time(0), tzinfo=tz))


def day_end(due_at: datetime, tz: ZoneInfo) -> datetime:
    """The first instant of the local date after `due_at`'s, as naive UTC."""
    local = due_at.replace(tzinfo=UTC) if due_at.tzinfo is None else due_at
    return _midnight(local.astimezone(tz).date() + DAY, tz)


class Deadlines:
    """`day_end` per owner, by bisecting the owner's local midnights (naive UTC), computed once
    for the span the tasks cover: a month of tasks costs a few dozen zone conversions."""

    def __init__(self, tz_for: Callable[[str], ZoneInfo]) -> None:
        self.tz_for = tz_for
        self._zones: dict[str, ZoneInfo] = {}
        self._midnights: dict[str, list[datetime]] = {}

    def of(self, owner: str, due: datetime) -> datetime:
        """`due` is naive UTC."""
        midnights = self._midnights.get(owner)
        if midnights is None or not midnights[0] <= due < midnights[-1]:
            midnights = self._cover(owner, due, midnights)
        return midnights[bisect_right(midnights, due)]

    def _cover(self, owner: str, due: datetime, known: list[datetime] | None) -> list[datetime]:
        tz = self._zones.get(owner)
        if tz is None:
            tz = self._zones[owner] = self.tz_for(owner)
        low, high = (due, due) if known is None else (min(due, known[0]), max(due, known[-1]))
        first = low.replace(tzinfo=UTC).astimezone(tz).date() - DAY
        last = high.replace(tzinfo=UTC).astimezone(tz).date() + 2 * DAY
        days = (last - first).days
        midnights = [_midnight(first + n * DAY, tz) for n in range(days + 1)]
        self._midnights[owner] = midnights
        return midnights


ON_TIME, LATE, PENDING, VOID = "on_time", "late", "pending", "void"
_DONE, _CANCELLED, _OPEN = str(TaskStatus.DONE), str(TaskStatus.CANCELLED), str(TaskStatus.OPEN)


def task_verdict(task: Sequence[Any], now: datetime, deadline: datetime) -> str:
    """The task's verdict: ON_TIME; LATE (counts, not on time); PENDING (open on its due day: the
    lead counts, the task not yet); VOID (cancelled before its day was over: neither counts).
    `deadline` is naive UTC."""
    status, done_at = task[3], task[4]
    if status == _DONE:
        return ON_TIME if done_at is not None and naive_utc(done_at) < deadline else LATE
    if status == _CANCELLED and done_at is not None and naive_utc(done_at) < deadline:
        return VOID
    if status == _OPEN and naive_utc(now) < deadline:
        return PENDING
    return LATE


def abandoned(claim: Sequence[Any]) -> bool:
    _, _, touches, single_result, open_task = claim
    return touches == 1 and single_result not in OUTCOMES and not open_task


def followup_by_owner(
    tasks: Iterable[Sequence[Any]],
    claims: Iterable[Sequence[Any]],
    now: datetime,
    tz_for: Callable[[str], ZoneInfo],
) -> tuple[dict[str | None, FollowUp], Callable[[Iterable[str | None]], FollowUp]]:
    """Each owner's FollowUp from `DueTask` and `Claimed` rows, and a function giving the
    FollowUp of a set of owners (the total: a lead counts once however its tasks were shared)."""
    deadline_of, now = Deadlines(tz_for).of, naive_utc(now)
    counted: dict[str | None, list[int]] = {}  # owner -> [tasks, on time]
    latest: dict[int, tuple[datetime, str, int]] = {}  # lead -> (due, owner, touches)
    for task in tasks:  # a month of a big team's tasks: kept tight
        owner, lead, due, touches = task[0], task[1], naive_utc(task[2]), task[5]
        verdict = task_verdict(task, now, deadline_of(owner, due))
        if verdict is VOID:
            continue
        if verdict is not PENDING:
            tally = counted.get(owner)
            if tally is None:
                tally = counted[owner] = [0, 0]
            tally[0] += 1
            if verdict is ON_TIME:
                tally[1] += 1
        seen = latest.get(lead)
        if seen is None or due >= seen[0]:
            latest[lead] = (due, owner, touches)
    touches_by_owner: dict[str | None, list[int]] = {}
    for _, owner, touches in latest.values():
        touches_by_owner.setdefault(owner, []).append(touches)
    claimed: dict[str | None, list[int]] = {}  # owner -> [claimed, single touch]
    once = {claim[1]: claim for claim in claims}  # a lead claimed twice in the period: once
    for claim in once.values():
        tally = claimed.setdefault(claim[0], [0, 0])
        tally[0] += 1
        tally[1] += abandoned(claim)

    def of(owners: Iterable[str | None]) -> FollowUp:
        wanted = list(dict.fromkeys(owners))
        return summarize_followup(
            tasks=sum(counted.get(o, [0, 0])[0] for o in wanted),
            on_time=sum(counted.get(o, [0, 0])[1] for o in wanted),
            touches=[t for o in wanted for t in touches_by_owner.get(o, [])],
            claimed=sum(claimed.get(o, [0, 0])[0] for o in wanted),
            single_touch=sum(claimed.get(o, [0, 0])[1] for o in wanted),
        )

    owners = dict.fromkeys([*counted, *touches_by_owner, *claimed])
    return {owner: of([owner]) for owner in owners}, of


def summarize_followup(
    *, tasks: int, on_time: int, touches: Sequence[int], claimed: int, single_touch: int
) -> FollowUp:
    ordered = sorted(touches)
    median = ordered[(len(ordered) + 1) // 2 - 1] if ordered else None  # nearest rank
    mean = sum(ordered) / len(ordered) if ordered else None
    return FollowUp(tasks, on_time, len(ordered), mean, median, claimed, single_touch)
