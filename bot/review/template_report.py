"""Outreach templates ranked by what came back, pure: `/leads stats templates`.
`bot/review/stats.py` reads the touches; `blocks/template_stats.py` draws a `TemplateReport`.

Definitions (a period is [start, now), see `report.period_window`):

- A template's **uses**: its outreach touches in the period, i.e. `touches` rows with that
  `template` whose result is not an outcome (`followup_report.OUTCOMES`: a task card's "They
  replied", "Meeting booked" and "Not a fit" carry the task's template but are the lead's answer,
  not a send of it).
- A use **got a reply** when the lead replied (`replied`) or booked a meeting (`meeting_booked`,
  or the lead card's `meeting`) at or after it and within `REPLY_WINDOW` (14 days), and no other
  templated use on that lead came in between: each answer is credited to the latest template
  the lead received, once (two templates before a reply: only the later one gets it). So a
  lead's reply counts once, and the rates of different templates add up instead of every early
  template sharing each later reply. `call_connected` is not a reply: it is the rep getting
  through, often on the rep's own call, and it stops no cadence; a conversation that went
  somewhere is logged as replied or meeting booked.
- A use **got a meeting** likewise, for `meeting_booked` / `meeting` only.
- The 14 days: the default cadence spans three weeks, and an answer weeks after the last send
  is more likely about something else; a use younger than 14 days may still get its reply.
- Templates with fewer than `followup.min_template_uses` uses are not ranked, only listed.
- The numbers are the team's, for everyone who asks: templates are shared, and one rep's
  handful of uses would rarely reach the minimum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from bot.review.followup_report import OUTCOMES, naive_utc
from bot.review.report import Period
from bot.vocabulary import ContactOutcome, TaskResult

DEFAULT_TEMPLATE_PERIOD = "month"
REPLY_WINDOW = timedelta(days=14)
REPLIES: frozenset[str] = frozenset(
    {TaskResult.REPLIED, TaskResult.MEETING_BOOKED, ContactOutcome.MEETING}
)
MEETINGS: frozenset[str] = frozenset({TaskResult.MEETING_BOOKED, ContactOutcome.MEETING})

# (lead, touch id, at, template, result): the touches of the leads with a use in the period,
# from the period's start on.
TouchRow = tuple[int, int, datetime, str | None, str]


@dataclass(frozen=True)
class TemplateStats:
    name: str
    uses: int
    replies: int  # uses that got a reply (a meeting included)
    meetings: int  # uses that got a meeting

    @property
    def reply_rate(self) -> float:
        return self.replies / self.uses if self.uses else 0.0

    @property
    def meeting_rate(self) -> float:
        return self.meetings / self.uses if self.uses else 0.0


@dataclass(frozen=True)
class TemplateReport:
    period: Period
    ranked: tuple[TemplateStats, ...]  # best reply rate first
    pending: tuple[TemplateStats, ...]  # under min_uses, most used first
    min_uses: int

    @property
    def uses(self) -> int:
        return sum(t.uses for t in (*self.ranked, *self.pending))


def template_report(
    period: Period, rows: Iterable[TouchRow] | Iterable[Any], min_uses: int
) -> TemplateReport:
    start, end = naive_utc(period.start), naive_utc(period.end)
    by_lead: dict[int, list[tuple[datetime, int, int, str | None, str]]] = {}
    for lead, touch_id, at, template, result in rows:
        moment = naive_utc(at)
        if moment < start:
            continue
        # At the same moment a send comes before an answer ("at or after").
        order = 1 if result in OUTCOMES else 0
        touches = by_lead.get(lead)
        if touches is None:
            touches = by_lead[lead] = []
        touches.append((moment, order, touch_id, template, result))
    counts: dict[str, list[int]] = {}  # template -> [uses, replies, meetings]
    for touches in by_lead.values():
        touches.sort(key=lambda t: t[:3])
        for template, at, replied, meeting in _credited(touches):
            if start <= at < end:
                tally = counts.get(template)
                if tally is None:
                    tally = counts[template] = [0, 0, 0]
                tally[0] += 1
                tally[1] += replied
                tally[2] += meeting
    stats = [TemplateStats(name, *tally) for name, tally in counts.items()]
    ranked = sorted(
        (s for s in stats if s.uses >= min_uses),
        key=lambda s: (
            -Fraction(s.replies, s.uses),
            -Fraction(s.meetings, s.uses),
            -s.uses,
            s.name,
        ),
    )
    pending = sorted((s for s in stats if s.uses < min_uses), key=lambda s: (-s.uses, s.name))
    return TemplateReport(period, tuple(ranked), tuple(pending), min_uses)


def _credited(
    touches: list[tuple[datetime, int, int, str | None, str]],
) -> list[tuple[str, datetime, bool, bool]]:
    """One lead's templated uses in time order (template, at, replied, meeting): each answer
    credited to the latest use at or before it, within REPLY_WINDOW."""
    uses: list[list[Any]] = []
    for at, _, _, template, result in touches:
        if result not in OUTCOMES:
            if template:
                uses.append([template, at, False, False])
            continue
        if not uses or at - uses[-1][1] > REPLY_WINDOW:
            continue
        if result in REPLIES:
            uses[-1][2] = True
        if result in MEETINGS:
            uses[-1][3] = True
    return [(use[0], use[1], use[2], use[3]) for use in uses]
