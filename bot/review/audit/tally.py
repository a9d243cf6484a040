"""Fold an export's rows into an `AuditReport`: the playbook's audit of the current follow-up.

Response time runs from creation to the first touch, in wall time and in business time (the
calendar of leadbot.yml). The shares "within 5 min / 1 h / 24 h" and "never" are of all leads,
as in `/leads stats`, so the audit's numbers and leadbot's own read side by side.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.review.audit.business import BusinessSeconds
from bot.review.audit.reader import AuditRow, BadRow
from bot.review.report import RESPONSE_BUCKETS as BUCKETS
from bot.review.report import SHARE_LIMITS, bucket_of, percentile

MAX_SHOWN = 100  # owners or sources shown one by one; the rest are summed as "(others)"
MAX_TRACKED = 10_000  # distinct values kept apart while reading (a free-text column has more)
OTHERS, BLANK = "(others)", "(none)"
WORST, BAD_LISTED = 20, 50


@dataclass(frozen=True)
class GroupStats:
    name: str
    leads: int
    answered: int
    median: float | None  # seconds, wall time
    p90: float | None
    business_median: float | None
    business_p90: float | None
    within: tuple[float, ...]  # shares of all leads answered within each of SHARE_LIMITS
    never: float  # share never contacted
    unknown: int  # contacted, but the export does not say when


@dataclass(frozen=True)
class WorstCase:
    record: str
    line: int
    owner: str
    source: str
    created: float
    wait: float  # seconds; for a lead never answered, until the export's last date
    never: bool


@dataclass(frozen=True)
class AuditReport:
    rows: int
    bad: int
    bad_rows: list[BadRow]
    notes_skipped: int
    approximate: int  # answers read from the last activity (upper bounds)
    undated: int  # leads created on a date with no time: their waits count from midnight
    first: float | None
    last: float | None
    overall: GroupStats
    buckets: tuple[int, ...]  # leads per BUCKETS entry
    by_source: list[GroupStats]
    by_owner: list[GroupStats]
    in_hours: GroupStats
    after_hours: GroupStats
    heat_leads: list[list[int]]  # [weekday][hour] in `tz`
    heat_median: list[list[float | None]]
    touches: dict[str, int] | None  # "0", "1", "2+", "unknown"; None: no touches column
    worst: list[WorstCase]
    conversion: list[tuple[str, int, int]] | None  # (bucket, leads, converted)
    tz: str


@dataclass
class _Group:
    leads: int = 0
    never: int = 0
    unknown: int = 0
    waits: array = field(default_factory=lambda: array("d"))
    business: array = field(default_factory=lambda: array("d"))

    def add(self, wait: float | None, business: float | None, contacted: bool) -> None:
        self.leads += 1
        if not contacted:
            self.never += 1
        elif wait is None or business is None:
            self.unknown += 1
        else:
            self.waits.append(wait)
            self.business.append(business)

    def merge(self, other: _Group) -> None:
        self.leads += other.leads
        self.never += other.never
        self.unknown += other.unknown
        self.waits.extend(other.waits)
        self.business.extend(other.business)

    def stats(self, name: str) -> GroupStats:
        waits, business = sorted(self.waits), sorted(self.business)
        cohort = self.leads or 1
        within = tuple(bisect_right(waits, limit) / cohort for limit in SHARE_LIMITS)
        return GroupStats(name, self.leads, len(waits), percentile(waits, 50),
                          percentile(waits, 90), percentile(business, 50),
                          percentile(business, 90), within, self.never / cohort,
                          self.unknown)  # fmt: skip


class _Groups(dict[str, _Group]):
    def of(self, name: str) -> _Group:
        name = name or BLANK
        group = self.get(name)
        if group is None:
            group = self.setdefault(name if len(self) < MAX_TRACKED else OTHERS, _Group())
        return group

    def stats(self) -> list[GroupStats]:
        """The biggest groups by leads, the rest summed: the same answer whatever order the
        rows (or the parts of a file read in parallel) came in."""
        ranked = sorted(self.items(), key=lambda item: (item[0] == OTHERS, -item[1].leads, item[0]))
        if len(ranked) <= MAX_SHOWN:
            return [group.stats(name) for name, group in ranked]
        shown, rest = ranked[: MAX_SHOWN - 1], ranked[MAX_SHOWN - 1 :]
        others = _Group()
        for _, group in rest:
            others.merge(group)
        return [*(group.stats(name) for name, group in shown), others.stats(OTHERS)]


class Tally:
    def __init__(self, business: BusinessSeconds, tz: ZoneInfo, owners: dict[str, str]) -> None:
        self.business, self.tz, self.owners = business, tz, owners
        self.overall, self.in_hours, self.after_hours = _Group(), _Group(), _Group()
        self.sources, self.owner_groups = _Groups(), _Groups()
        self.heat = [[_Group() for _ in range(24)] for _ in range(7)]
        self._cells: dict[int, _Group] = {}
        self.buckets = [0] * len(BUCKETS)
        self.converted = [0] * len(BUCKETS)
        self.touches = {"0": 0, "1": 0, "2+": 0, "unknown": 0}
        self.worst: list[tuple[float, int, AuditRow]] = []  # a min-heap of the longest waits
        self.unanswered: list[tuple[float, int, AuditRow]] = []  # the oldest never answered
        self.bad: list[BadRow] = []
        self.rows = self.bad_count = self.approximate = self.notes = self.undated = 0
        self.first: float | None = None  # the first and last lead created
        self.last: float | None = None
        self.end = float("-inf")  # the export's last date: how long the unanswered have waited
        self.saw_conversion = self.saw_touches = False

    def add_all(self, rows: Iterable[AuditRow | BadRow]) -> None:
        for row in rows:
            self.add(row)

    def add(self, row: AuditRow | BadRow) -> None:
        self.rows += 1
        if isinstance(row, BadRow):
            self.bad_count += 1
            if len(self.bad) < BAD_LISTED:
                self.bad.append(row)
            return
        created, answered = row.created, row.answered
        self.first = created if self.first is None else min(self.first, created)
        self.last = created if self.last is None else max(self.last, created)
        self.end = max(self.end, created if answered is None else answered)
        wait = None if answered is None else answered - created
        business = None if answered is None else self.business.between(created, answered)
        for group in self._groups(row):
            group.add(wait, business, row.contacted)
        if wait is None and row.contacted:
            return self._count_rest(row, None)
        bucket = bucket_of(wait)
        self.buckets[bucket] += 1
        if row.converted is not None:
            self.saw_conversion = True
            self.converted[bucket] += row.converted
        self._count_rest(row, wait)

    def _count_rest(self, row: AuditRow, wait: float | None) -> None:
        self._count_touches(row.touches)
        self.approximate += row.approximate
        self.undated += row.undated
        if wait is not None or not row.contacted:
            self._rank(row, wait)

    def _groups(self, row: AuditRow) -> list[_Group]:
        hours = self.in_hours if self.business.is_open(row.created) else self.after_hours
        owner = self.owners.get(row.owner.casefold(), row.owner) if self.owners else row.owner
        return [self.overall, hours, self._heat_cell(row.created),
                self.sources.of(row.source), self.owner_groups.of(owner)]  # fmt: skip

    def _heat_cell(self, created: float) -> _Group:
        # Offsets are multiples of 15 minutes: a quarter-hour of POSIX time is one local hour.
        quarter = int(created // 900)
        cell = self._cells.get(quarter)
        if cell is None:
            local = datetime.fromtimestamp(quarter * 900, self.tz)
            cell = self._cells[quarter] = self.heat[local.weekday()][local.hour]
        return cell

    def _count_touches(self, touches: int | None) -> None:
        if touches is None:
            self.touches["unknown"] += 1
            return
        self.saw_touches = True
        self.touches["0" if touches == 0 else "1" if touches == 1 else "2+"] += 1

    def _rank(self, row: AuditRow, wait: float | None) -> None:
        if wait is None:  # the oldest unanswered wait longest by the export's end
            _keep_top(self.unanswered, (-row.created, row.line, row))
        else:
            _keep_top(self.worst, (wait, row.line, row))

    def merge(self, other: Tally) -> None:
        """Add a tally of another part of the same export (`bot/review/audit/parallel.py`)."""
        self.rows += other.rows
        self.bad_count += other.bad_count
        self.bad = sorted([*self.bad, *other.bad], key=lambda b: b.line)[:BAD_LISTED]
        self.approximate += other.approximate
        self.undated += other.undated
        self.notes += other.notes
        if other.first is not None and other.last is not None:
            self.first = other.first if self.first is None else min(self.first, other.first)
            self.last = other.last if self.last is None else max(self.last, other.last)
        self.end = max(self.end, other.end)
        for mine, theirs in ((self.overall, other.overall), (self.in_hours, other.in_hours),
                             (self.after_hours, other.after_hours)):  # fmt: skip
            mine.merge(theirs)
        for day, their_day in zip(self.heat, other.heat, strict=True):
            for cell, their_cell in zip(day, their_day, strict=True):
                cell.merge(their_cell)
        for groups, their_groups in ((self.sources, other.sources),
                                     (self.owner_groups, other.owner_groups)):  # fmt: skip
            for name, group in their_groups.items():
                groups.of(name).merge(group)
        for i, (count, converted) in enumerate(zip(other.buckets, other.converted, strict=True)):
            self.buckets[i] += count
            self.converted[i] += converted
        for key, count in other.touches.items():
            self.touches[key] += count
        self.saw_conversion |= other.saw_conversion
        self.saw_touches |= other.saw_touches
        for item in other.worst:
            _keep_top(self.worst, item)
        for item in other.unanswered:
            _keep_top(self.unanswered, item)

    def __getstate__(self) -> dict[str, object]:
        # Sent back from a worker: the caches are rebuilt where needed, not shipped.
        return {**self.__dict__, "_cells": {}, "business": None}

    def report(self) -> AuditReport:
        end = self.end
        cases = [_case(row, wait, False) for wait, _, row in self.worst]
        cases += [_case(row, end - row.created, True) for _, _, row in self.unanswered]
        cases.sort(key=lambda c: (-c.wait, c.line))
        heat = [[cell.stats("") for cell in day] for day in self.heat]
        conversion = None
        if self.saw_conversion:
            conversion = list(zip(BUCKETS, self.buckets, self.converted, strict=True))
        return AuditReport(
            rows=self.rows, bad=self.bad_count, bad_rows=self.bad, notes_skipped=self.notes,
            approximate=self.approximate, undated=self.undated, first=self.first, last=self.last,
            overall=self.overall.stats("all leads"), buckets=tuple(self.buckets),
            by_source=self.sources.stats(), by_owner=self.owner_groups.stats(),
            in_hours=self.in_hours.stats("in business hours"),
            after_hours=self.after_hours.stats("after hours"),
            heat_leads=[[cell.leads for cell in day] for day in heat],
            heat_median=[[cell.median for cell in day] for day in heat],
            touches=self.touches if self.saw_touches else None,
            worst=cases[:WORST], conversion=conversion, tz=self.tz.key,
        )  # fmt: skip


def _keep_top(heap: list[tuple[float, int, AuditRow]], item: tuple[float, int, AuditRow]) -> None:
    if len(heap) < WORST:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)


def _case(row: AuditRow, wait: float, never: bool) -> WorstCase:
    return WorstCase(row.record, row.line, row.owner or BLANK, row.source or BLANK,
                     row.created, wait, never)  # fmt: skip
