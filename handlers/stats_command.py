"""`/leads stats [today|week|month] [@rep|#source]`: speed to lead for the period.

Managers and admins see every rep; anyone else sees their own row and the team total, and is
told why when they ask for someone else's numbers.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from blocks.stats import stats_blocks, stats_text
from bot.command_args import CommandError
from bot.stats import visible_to
from bot.stats_args import parse_stats
from handlers.context import services_of


def show_stats(
    command: dict[str, Any],
    words: list[str],
    context: dict[str, Any],
    respond: Respond,
    client: WebClient,
) -> None:
    services = services_of(context)
    user_id, config = command["user_id"], services.config
    try:
        args = parse_stats(words, config)
    except CommandError as err:
        respond(response_type="ephemeral", text=str(err))
        return
    manager = config.can_manage(user_id)
    if args.rep is not None and args.rep != user_id and not manager:
        respond(response_type="ephemeral", text=refusal(args.period))
        return
    report = services.stats.report(
        config.tz_for(user_id), args.period, rep=args.rep, source=args.source
    )
    report = visible_to(report, user_id, sees_everyone=manager)
    blocks = stats_blocks(report)
    respond(
        response_type="ephemeral", text=stats_text(report), blocks=[b.to_dict() for b in blocks]
    )


def refusal(period: str) -> str:
    return (
        "Only managers can see another rep's numbers. "
        f"`/leads stats {period}` shows yours next to the team's totals."
    )
