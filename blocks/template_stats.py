"""`/leads stats templates`: the outreach templates ranked by reply rate, as Block Kit.

Pure: a TemplateReport in, blocks out (bot/review/template_report.py defines the numbers). Every
rate comes with its counts ("3 of 24 · 12.5%"); templates under the minimum of uses are listed
after the ranking, not ranked. Template names are escaped and cut to fit the table (they come
from the touches log, whatever leadbot.yml says today); tables split across sections of at most
3000 characters, and the message stays within 50 blocks.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject

from blocks.mrkdwn import escape, truncate
from blocks.stats import MAX_BLOCKS, NONE, count, table_sections
from bot.review.template_report import REPLY_WINDOW, TemplateReport, TemplateStats

TEMPLATE_WIDTH = 24
RATE_WIDTH = 18


def rate(part: int, whole: int) -> str:
    """A rate with its counts, "3 of 24 · 12.5%"; NONE without uses."""
    return f"{count(part)} of {count(whole)} · {part / whole:.1%}" if whole else NONE


def uses(n: int) -> str:
    return f"{count(n)} use" + ("" if n == 1 else "s")


def template_stats_text(report: TemplateReport) -> str:
    """Fallback text (notifications, clients without blocks)."""
    if not report.uses:
        return empty_text(report)
    phrase = _period_phrase(report)
    if not report.ranked:
        return (
            f"Outreach templates, {phrase}: {uses(report.uses)}, no template has "
            f"{report.min_uses} uses yet."
        )
    best = report.ranked[0]
    return (
        f"Outreach templates, {phrase}: {uses(report.uses)}; best reply rate "
        f"{escape(truncate(best.name, 80))} ({rate(best.replies, best.uses)})."
    )


def empty_text(report: TemplateReport) -> str:
    longer = ""
    if report.period.name != "month":
        longer = " `/leads stats templates month` looks further back."
    return (
        f"No outreach template was used {_period_phrase(report)} yet: a use is a task done "
        f"with its template.{longer}"
    )


def template_stats_blocks(report: TemplateReport) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text="Outreach templates")]
    if not report.uses:
        blocks.append(_section(empty_text(report)))
        return blocks
    period = report.period
    blocks.append(
        _section(
            f"*{escape(period.label)}*, {escape(period.tz)} time\n"
            f"*{uses(report.uses)}* of {count(len(report.ranked) + len(report.pending))} "
            "templates · the team's numbers, shown to everyone (templates are shared)"
        )
    )
    room = MAX_BLOCKS - len(blocks) - 1
    pending_room = room // 2 if report.ranked and report.pending else room
    if report.ranked:
        blocks.extend(
            table_sections(
                "*Ranked by reply rate*",
                _ranked_line("#", "Template", "Replied", "Meeting"),
                [
                    _ranked_line(str(rank), t.name, *_rates(t))
                    for rank, t in enumerate(report.ranked, 1)
                ],
                room - pending_room if report.pending else room,
            )
        )
    if report.pending:
        blocks.extend(
            table_sections(
                f"*Not ranked yet*: fewer than {count(report.min_uses)} uses",
                _pending_line("Template", "Uses"),
                [_pending_line(t.name, _not_enough(t, report.min_uses)) for t in report.pending],
                pending_room,
            )
        )
    blocks.append(_footnote(report))
    return blocks


def _rates(stats: TemplateStats) -> tuple[str, str]:
    return rate(stats.replies, stats.uses), rate(stats.meetings, stats.uses)


def _not_enough(stats: TemplateStats, min_uses: int) -> str:
    return f"not enough uses yet ({count(stats.uses)}/{count(min_uses)})"


def _name(name: str) -> str:
    return escape(truncate(name, TEMPLATE_WIDTH).ljust(TEMPLATE_WIDTH))


def _ranked_line(rank: str, name: str, replied: str, meeting: str) -> str:
    return f"{rank:>3}  {_name(name)}  {replied:>{RATE_WIDTH}}  {meeting:>{RATE_WIDTH}}".rstrip()


def _pending_line(name: str, text: str) -> str:
    return f"{_name(name)}  {text}".rstrip()


def _period_phrase(report: TemplateReport) -> str:
    label = report.period.label
    if report.period.name == "today":
        return label[0].lower() + label[1:]
    return "in the " + label[0].lower() + label[1:]


def _footnote(report: TemplateReport) -> Block:
    days = REPLY_WINDOW.days
    return ContextBlock(
        elements=[
            MarkdownTextObject(
                text=(
                    "A use: a touch logged with the template in the period (a task done with it). "
                    f"Replied: the lead replied or booked a meeting within {days} days after it, "
                    "before any other template reached them (each answer counts once, for the "
                    "latest template). Meeting: a meeting booked, likewise. Ranked from "
                    f"{uses(report.min_uses)} (followup.min_template_uses); uses of the last "
                    f"{days} days may still get their answer."
                )
            )
        ]
    )


def _section(text: str) -> Block:
    return SectionBlock(text=MarkdownTextObject(text=text))
