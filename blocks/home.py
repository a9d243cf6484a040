"""The App Home tab: my leads and SLA states, my week's numbers; for managers and admins also
the team's table and the shared queue. A pure function of `HomeContent`, under 100 blocks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks.card import CardView
from blocks.lists import lead_row, more_line
from blocks.stats import duration, share, stats_blocks
from bot.clock import Clock
from bot.config.schema import Config
from bot.delivery.cards import card_view
from bot.leads.queries import LeadQueries
from bot.review.stats import StatsReport, StatsService, Summary, summarize

VIEW_LIMIT = 100
# 10 + 5 rows of 3 blocks, headings and my week: under 60 blocks, leaving the team table 40.
MY_ROWS = 10
QUEUE_ROWS = 5


@dataclass(frozen=True)
class HomeContent:
    now: datetime
    mine: Sequence[CardView]  # the oldest of my to-do
    mine_total: int
    my_week: Summary
    team: StatsReport | None = None  # managers and admins only
    queue: Sequence[CardView] = ()
    queue_total: int = 0


def home_view(content: HomeContent) -> View:
    blocks: list[Block] = [HeaderBlock(text="Your leads"), _my_week(content.my_week)]
    blocks.append(DividerBlock())
    blocks.extend(_my_leads(content))
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


def home_renderer(
    queries: LeadQueries, stats: StatsService, config: Config, clock: Clock
) -> Callable[[str], dict[str, Any]]:
    """What HomeRefresher calls to draw one person's tab from the database now."""

    def render(user_id: str) -> dict[str, Any]:
        # One week query serves both my numbers and the team table: the rep filter is applied
        # in Python after it anyway (see StatsService.report).
        week = stats.report(config.tz_for(user_id), "week")
        mine = queries.open_leads_of(user_id, limit=MY_ROWS)
        content = HomeContent(
            now=clock.now(),
            mine=[card_view(lead, "dm", user_id) for lead in mine],
            mine_total=queries.count_open_of(user_id),
            my_week=next((r.summary for r in week.rows if r.owner_id == user_id), summarize([])),
        )
        if config.can_manage(user_id):
            queue = queries.queued_leads(limit=QUEUE_ROWS)
            content = replace(
                content,
                team=week,
                queue=[card_view(lead, "list") for lead in queue],
                queue_total=queries.count_queued(),
            )
        return home_view(content).to_dict()

    return render
