"""Gathering one person's App Home: their to-do, their week, and for managers and admins the
team table and the shared queue, as the plain `HomeContent` the builder draws (blocks/home.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from blocks.agenda import Agenda
from blocks.home import HomeContent, home_view
from bot.clock import Clock
from bot.config.schema import Config
from bot.delivery.home_refresh import HomeRenderer
from bot.leads.queries import LeadQueries
from bot.review.report import summarize
from bot.review.stats import StatsService

# 10 + 5 rows of 3 blocks, headings and my week: under 60 blocks, leaving the team table 40.
MY_ROWS = 10
QUEUE_ROWS = 5


def home_renderer(
    queries: LeadQueries,
    stats: StatsService,
    config: Config,
    clock: Clock,
    followups: Callable[[str], Agenda] | None = None,
) -> HomeRenderer:
    """What HomeRefresher calls to draw one person's tab from the database now. `followups`:
    a rep's agenda today (the follow-up's, given by the composition root)."""

    def render(user_id: str) -> dict[str, Any]:
        # One week query serves both my numbers and the team table: the rep filter is applied
        # in Python after it anyway (see StatsService.report).
        # Without the follow-up numbers: the tab is redrawn on every change of a lead, and
        # those two queries cost more than the rest (`/leads stats` shows them).
        week = stats.report(config.tz_for(user_id), "week", followup=False)
        content = HomeContent(
            now=clock.now(),
            mine=queries.open_leads_of(user_id, limit=MY_ROWS),
            mine_total=queries.count_open_of(user_id),
            my_week=next((r.summary for r in week.rows if r.owner_id == user_id), summarize([])),
            followups=followups(user_id) if followups and config.rep(user_id) else None,
        )
        if config.can_manage(user_id):
            content = replace(
                content,
                team=week,
                queue=queries.queued_leads(limit=QUEUE_ROWS),
                queue_total=queries.count_queued(),
            )
        return home_view(content).to_dict()

    return render
