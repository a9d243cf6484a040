"""`/leads stats`: the speed-to-lead report as Block Kit; monospace tables in code blocks. When
the period has follow-up (cadence tasks due, leads claimed), a follow-up table comes after the
speed-to-lead one: completion, touches per lead, single-touch abandonment, per rep and in total.

Pure: a StatsReport in, blocks out. Section text is capped at 3000 characters (the rep table is
split across sections when long) and a message at 50 blocks (reps beyond that are counted, not
shown). Names and sources are escaped: a source may be anything an intake client sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject

from blocks.mrkdwn import escape, escape_truncated, literal_truncated, truncate
from blocks.outcome import outcomes_text
from bot.durations import format_duration
from bot.review.followup_report import FollowUp
from bot.review.report import Period, Speed, StatsReport, Summary

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
FENCE = "```"
NAME_WIDTH = 14
NONE = "–"
SHARE_NAMES = ("Within 5 min", "Within 1 h", "Within 24 h")
# Rep table: (heading, width, cell); widths are for the unescaped text.
RepColumn = tuple[str, int, Callable[[Summary], str]]
FollowUpColumn = tuple[str, int, Callable[[FollowUp], str]]


def duration(seconds: float | None) -> str:
    return NONE if seconds is None else format_duration(timedelta(seconds=seconds))


def share(fraction: float) -> str:
    return f"{fraction:.0%}"


def count(n: int) -> str:
    return f"{n:,}"


# Under 80 characters a line, so the table does not wrap in a narrow Slack window.
REP_COLUMNS: tuple[RepColumn, ...] = (
    ("Leads", 5, lambda s: count(s.leads)),
    ("Claim", 7, lambda s: duration(s.claim.median)),
    ("p90", 7, lambda s: duration(s.claim.p90)),
    ("Contact", 7, lambda s: duration(s.contact.median)),
    ("p90", 7, lambda s: duration(s.contact.p90)),
    ("Not yet", 7, lambda s: share(s.contact.never) if s.leads else NONE),
    ("SLA", 4, lambda s: count(s.breaches)),
)


def of(part: int, whole: int) -> str:
    """A share with its counts, "3 of 24 · 13%"; NONE when there is nothing to divide by."""
    return f"{count(part)} of {count(whole)} · {share(part / whole)}" if whole else NONE


def mean(value: float | None) -> str:
    return NONE if value is None else f"{value:,.1f}"


# Never a heading called "Leads": that word marks the speed-to-lead table.
FOLLOWUP_COLUMNS: tuple[FollowUpColumn, ...] = (
    ("Tasks on time", 18, lambda f: of(f.on_time, f.tasks)),
    ("Touches", 7, lambda f: mean(f.touches_mean)),
    ("Median", 6, lambda f: NONE if f.touches_median is None else count(f.touches_median)),
    ("Single touch", 18, lambda f: of(f.single_touch, f.claimed)),
)


def leads(n: int) -> str:
    return f"{count(n)} lead" + ("" if n == 1 else "s")


def breaches(n: int) -> str:
    return f"{count(n)} SLA breach" + ("" if n == 1 else "es")


def stats_blocks(report: StatsReport) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text="Speed to lead")]
    ended = report.outcomes
    if not ended.empty:  # first: it is the week's result, and one block
        text = outcomes_text(ended.counts, ended.won_amount, ended.lost_reasons, report.currency)
        blocks.append(_section(text))
    if not report.total.leads:
        blocks.append(_section(empty_text(report)))
        if not report.followup.empty:
            blocks.extend(_followup_blocks(report, MAX_BLOCKS - len(blocks)))
        return blocks
    blocks.append(_section(_overview(report)))
    blocks.append(_section(_code(_speed_table(report.total))))
    room = MAX_BLOCKS - len(blocks) - 1
    followup = 0 if report.followup.empty else room // 2
    blocks.extend(_rep_sections(report, room - followup))
    blocks.append(_footnote(report))
    if followup:
        blocks.extend(_followup_blocks(report, followup))
    return blocks


def stats_text(report: StatsReport) -> str:
    """Fallback text (notifications, clients without blocks)."""
    total = report.total
    if not total.leads:
        return empty_text(report)
    return (
        f"Speed to lead, {_period_phrase(report.period)}{_filters(report)}: "
        f"{leads(total.leads)}, time to claim median {duration(total.claim.median)}, "
        f"first contact median {duration(total.contact.median)}, "
        f"{breaches(total.breaches)}."
    )


def empty_text(report: StatsReport) -> str:
    longer = "" if report.period.name == "month" else " `/leads stats month` looks further back."
    return f"No leads arrived {_period_phrase(report.period)}{_filters(report)} yet.{longer}"


def _period_phrase(period: Period) -> str:
    if period.name == "today":
        return period.label[0].lower() + period.label[1:]
    return "in the " + period.label[0].lower() + period.label[1:]


def _filters(report: StatsReport) -> str:
    parts = []
    if report.source is not None:
        parts.append(f" from #{literal_truncated(report.source, 80)}")
    if report.rep is not None:
        parts.append(f" for {escape_truncated(_rep_name(report), 80)}")
    return "".join(parts)


def _overview(report: StatsReport) -> str:
    total, period = report.total, report.period
    lines = [f"*{escape(period.label)}*, {escape(period.tz)} time"]
    if report.source is not None:
        lines.append(f"Source: *#{literal_truncated(report.source, 80)}*")
    if report.rep is not None:
        lines.append(f"Rep: *{escape_truncated(_rep_name(report), 80)}*")
    breached = f"{breaches(total.breaches)} ({share(total.breaches / total.leads)})"
    lines.append(f"*{leads(total.leads)}* · *{breached}*")
    return "\n".join(lines)


def _rep_name(report: StatsReport) -> str:
    return report.rows[0].name if report.rows else str(report.rep)


def _speed_table(total: Summary) -> list[str]:
    def line(label: str, claim: str, contact: str) -> str:
        return f"{label:<14}{claim:>10}  {contact:>13}"

    def done(speed: Speed) -> str:
        return f"{count(speed.count)} ({share(1 - speed.never)})"

    claim, contact = total.claim, total.contact
    lines = [
        line("", "Claim", "First contact"),
        line("Done", done(claim), done(contact)),
        line("Median", duration(claim.median), duration(contact.median)),
        line("p90", duration(claim.p90), duration(contact.p90)),
    ]
    for name, a, b in zip(SHARE_NAMES, claim.within, contact.within, strict=True):
        lines.append(line(name, share(a), share(b)))
    lines.append(line("Not yet", share(claim.never), share(contact.never)))
    return lines


def _rep_line(name: str, summary: Summary | None) -> str:
    cells = [escape(truncate(name, NAME_WIDTH).ljust(NAME_WIDTH))]
    for heading, width, cell in REP_COLUMNS:
        cells.append((heading if summary is None else cell(summary)).rjust(width))
    return "  ".join(cells).rstrip()


def _rep_lines(report: StatsReport) -> list[str]:
    lines = [_rep_line(row.name, row.summary) for row in report.rows]
    if report.rep is None:  # with a rep filter the total is that rep's row
        lines.append(_rep_line("Team total", report.total))
    return lines


def _rep_sections(report: StatsReport, budget: int) -> list[Block]:
    return table_sections("*By rep*", _rep_line("Rep", None), _rep_lines(report), budget)


def table_sections(title: str, heading: str, lines: Sequence[str], budget: int) -> list[Block]:
    """A table in as few sections as fit, each with its heading line, the first with `title`
    (mrkdwn, escaped by the caller); at most `budget` blocks, rows beyond them counted."""
    chunks = _chunks(lines, heading, SECTION_LIMIT - len(title) - 1)
    shown = chunks[: max(budget - 1, 1)] if len(chunks) > budget else chunks
    blocks: list[Block] = []
    for index, chunk in enumerate(shown):
        text = _code([heading, *chunk])
        blocks.append(_section(f"{title}\n{text}" if index == 0 else text))
    hidden = sum(len(chunk) for chunk in chunks[len(shown) :])
    if hidden:
        blocks.append(_context(f"…and {hidden} more rows: too many for one message."))
    return blocks


def _chunks(lines: Sequence[str], heading: str, limit: int) -> list[list[str]]:
    chunks: list[list[str]] = []
    size = limit  # forces a first chunk
    overhead = len(_code([heading]))
    for line in lines:
        if size + len(line) + 1 > limit:
            chunks.append([])
            size = overhead
        chunks[-1].append(line)
        size += len(line) + 1
    return chunks


def _followup_line(name: str, followup: FollowUp | None) -> str:
    cells = [escape(truncate(name, NAME_WIDTH).ljust(NAME_WIDTH))]
    for heading, width, cell in FOLLOWUP_COLUMNS:
        cells.append((heading if followup is None else cell(followup)).rjust(width))
    return "  ".join(cells).rstrip()


def _followup_blocks(report: StatsReport, budget: int) -> list[Block]:
    """Follow-up: the team's line, the table by rep and what the columns mean."""
    total = report.followup
    overview = (
        f"*Follow-up*: tasks done on time *{of(total.on_time, total.tasks)}* · "
        f"touches per lead *{mean(total.touches_mean)}* (median "
        f"{NONE if total.touches_median is None else count(total.touches_median)}) · "
        f"single touch *{of(total.single_touch, total.claimed)}*"
    )
    lines = [_followup_line(row.name, row.followup) for row in report.rows]
    if report.rep is None:
        lines.append(_followup_line("Team total", total))
    title = f"{overview}\n*Follow-up by rep*"
    blocks = table_sections(title, _followup_line("Rep", None), lines, max(budget - 1, 1))
    note = (
        "Tasks on time: cadence tasks due in the period done by the end of their day on the "
        "rep's clock (a task cancelled before then, or still open today, is left out). "
        "Touches: contacts logged per lead with a task due (mean, median). Single touch: leads "
        "claimed in the period whose follow-up ended after one touch, with no reply, meeting or "
        "not-a-fit."
    )
    return [*blocks, _context(note)] if budget > 1 else blocks


def _footnote(report: StatsReport) -> Block:
    return _context(
        "By rep: median and p90 time to claim and to first contact; Not yet: no contact logged. "
        "Median and p90 over the leads claimed or contacted; shares are of the "
        f"{leads(report.total.leads)} (nearest rank, wall-clock time from arrival). "
        "SLA: breached, claimed after the deadline, or unclaimed past it."
    )


def _code(lines: Sequence[str]) -> str:
    return FENCE + "\n" + "\n".join(lines) + "\n" + FENCE


def _section(text: str) -> Block:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _context(text: str) -> Block:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])
