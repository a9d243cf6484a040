"""The App Home tab: my leads and SLA states, my week's numbers; for managers and admins also
the team's table and the shared queue. A pure function of `HomeContent`, under 100 blocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.agenda import Agenda, agenda_line
from blocks.card import CardView
from blocks.lists import lead_row, more_line
from blocks.stats import duration, share, stats_blocks
from bot.review.report import StatsReport, Summary

VIEW_LIMIT = 100
HOME_TASKS = 5  # a follow-up line is one block: the team table keeps its room


@dataclass(frozen=True)
class HomeContent:
    now: datetime
    mine: Sequence[CardView]  # the oldest of my to-do
    mine_total: int
    my_week: Summary
    team: StatsReport | None = None  # managers and admins only
    queue: Sequence[CardView] = ()
    queue_total: int = 0
    followups: Agenda | None = None  # today's follow-up tasks (reps)


def home_view(content: HomeContent) -> View:
    blocks: list[Block] = [HeaderBlock(text="Your leads"), _my_week(content.my_week)]
    blocks.append(DividerBlock())
    blocks.extend(_my_leads(content))
    if content.followups is not None and content.followups.total:
        blocks.extend(_followups(content.followups))
    if content.team is not None:
        queue = _queue(content)
        room = VIEW_LIMIT - len(blocks) - len(queue) - 1
        blocks.append(DividerBlock())
        blocks.extend(_fit(stats_blocks(content.team), room))
        blocks.extend(queue)
    return View(type="home", blocks=blocks)


def _my_week(week: Summary) -> Block:
    if not week.leads:
        text = "*Your last 7 days:* no leads came to you. Quiet week!"
    else:
        within_hour = week.contact.within[1] if len(week.contact.within) > 1 else 0.0
        text = (
            f"*Your last 7 days:* {week.leads} lead{'s' if week.leads != 1 else ''} · "
            f"claimed in {duration(week.claim.median)} (median) · first contact in "
            f"{duration(week.contact.median)} · {share(within_hour)} reached within 1 h · "
            f"{week.breaches} SLA breach{'es' if week.breaches != 1 else ''}"
        )
    return SectionBlock(text=MarkdownTextObject(text=text))


def _my_leads(content: HomeContent) -> list[Block]:
    if not content.mine_total:
        text = "Nothing waiting for you right now: no unclaimed leads, no claims without a contact."
        return [SectionBlock(text=MarkdownTextObject(text=f"{text} 🎉"))]
    title = f"*Waiting for you* ({content.mine_total}), oldest first"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=title))]
    for card in content.mine:
        blocks.extend(lead_row(card, content.now))
    return blocks + more_line(len(content.mine), content.mine_total, "/leads mine")


def _followups(agenda: Agenda) -> list[Block]:
    late = f", {agenda.overdue} overdue" if agenda.overdue else ""
    title = f"*Follow-ups today* ({agenda.total}{late}), oldest first"
    blocks: list[Block] = [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=title))]
    shown = agenda.shown[:HOME_TASKS]
    blocks += [agenda_line(item) for item in shown]
    return blocks + more_line(len(shown), agenda.total, "/leads today")


def _queue(content: HomeContent) -> list[Block]:
    if not content.queue_total:
        return [SectionBlock(text=MarkdownTextObject(text="*Shared queue:* empty. 🎉"))]
    title = f"*Shared queue* ({content.queue_total}), oldest first"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=title))]
    for card in content.queue:
        blocks.extend(lead_row(card, content.now))
    return blocks + more_line(len(content.queue), content.queue_total, "/leads queue")


def _fit(blocks: list[Block], room: int) -> list[Block]:
    """The team table is the part that grows with the team: cut it, and say where the rest is."""
    if len(blocks) <= room:
        return blocks
    note = "…the full table: `/leads stats week`."
    return [*blocks[: room - 1], ContextBlock(elements=[MarkdownTextObject(text=note)])]
