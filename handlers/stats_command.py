"""`/leads stats [today|week|month] [@rep|#source]`: speed to lead and follow-up for the period.

Managers and admins see every rep; anyone else sees their own row and the team total, and is
told why when they ask for someone else's numbers.

`/leads stats templates [today|week|month]`: the outreach templates ranked by reply rate (a
month by default). Everyone sees the team's numbers: the templates are shared.

`/leads digest`: the weekly review for the caller, now: the team's for a manager, their own
for a rep (the same digest the schedule sends, for the last complete week).
"""

from __future__ import annotations

from blocks.digest import digest_blocks, digest_text
from blocks.stats import stats_blocks, stats_text
from blocks.template_stats import template_stats_blocks, template_stats_text
from bot.review.report import visible_to
from handlers.args import CommandError, parse_stats
from handlers.context import SlashCommand


def show_stats(cmd: SlashCommand) -> None:
    services, user_id, config = cmd.services, cmd.user_id, cmd.services.config
    try:
        args = parse_stats(cmd.words, config)
    except CommandError as err:
        cmd.answer(str(err))
        return
    if args.templates:
        templates = services.stats.templates(config.tz_for(user_id), args.period)
        cmd.answer(
            template_stats_text(templates),
            [block.to_dict() for block in template_stats_blocks(templates)],
        )
        return
    manager = config.can_manage(user_id)
    if args.rep is not None and args.rep != user_id and not manager:
        cmd.answer(refusal(args.period))
        return
    report = services.stats.report(
        config.tz_for(user_id), args.period, rep=args.rep, source=args.source
    )
    report = visible_to(report, user_id, sees_everyone=manager)
    cmd.answer(stats_text(report), [block.to_dict() for block in stats_blocks(report)])


def refusal(period: str) -> str:
    return (
        "Only managers can see another rep's numbers. "
        f"`/leads stats {period}` shows yours next to the team's totals."
    )


def show_digest(cmd: SlashCommand) -> None:
    config = cmd.services.config
    digest = cmd.services.digests.digest(cmd.user_id, team=config.can_manage(cmd.user_id))
    cmd.answer(digest_text(digest), [block.to_dict() for block in digest_blocks(digest)])
