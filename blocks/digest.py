"""The weekly digest as Block Kit: pure, drawn from `bot.review.digest_report.Digest`.

Reading order is the 15-minute review's: how fast this week was against last week and the
trend; which leads breached the SLA (the worst five); whether follow-up happened; whether speed
paid (conversion by response time); which templates work; where each rep stands. An empty week
says so in one line. Names from leads are escaped (they are lead-supplied).
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject

from blocks.mrkdwn import escape, literal_truncated, user
from blocks.stats import NONE, count, duration, of, share
from bot.review.digest_report import Digest, Standing, Week

TREND = "▁▂▃▄▅▆▇█"
BOARD_SHOWN = 10  # a hundred reps would overflow a section (3,000 characters)


def digest_text(digest: Digest) -> str:
    """The notification line (and the whole digest, for an empty week)."""
    week = digest.week
    if digest.empty:
        return f"📊 Week of {week.period.label}: no leads and no follow-up for {digest.scope}."
    return (f"📊 Week of {week.period.label} for {digest.scope}: {count(week.leads)} leads, "
            f"median claim {duration(week.claim_median)}")  # fmt: skip


def digest_blocks(digest: Digest) -> list[Block]:
    title = f"Weekly review · {digest.week.period.label}"
    blocks: list[Block] = [HeaderBlock(text=title[:150])]
    if digest.empty:
        return [*blocks, _section(digest_text(digest))]
    blocks += [_section(_speed(digest)), _context(_trend(digest.weeks, digest.tz))]
    blocks += [DividerBlock(), _section(_breaches(digest)), _section(_followup(digest))]
    blocks.append(_section(_conversion(digest)))
    if digest.snoozes:
        blocks.append(_section(_snoozes(digest)))
    if digest.templates:
        blocks.append(_section(_templates(digest)))
    if digest.leaderboard:
        blocks.append(_section(_leaderboard(digest)))
    return blocks


def _speed(d: Digest) -> str:
    week, last = d.week, d.last
    within = share(week.within_sla) if week.within_sla is not None else NONE
    return (
        f"*Speed to lead, {d.scope}*: {count(week.leads)} leads · median claim "
        f"*{duration(week.claim_median)}* ({_change(week.claim_median, last.claim_median)}) · "
        f"p90 {duration(week.claim_p90)} · first contact {duration(week.contact_median)} · "
        f"*{within}* within SLA (last week "
        f"{share(last.within_sla) if last.within_sla is not None else NONE})"
    )


def _change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return "no week before to compare"
    if now == before:
        return "as last week"
    arrow = "faster ⬇" if now < before else "slower ⬆"
    return f"{arrow} from {duration(before)}"


def _trend(weeks: tuple[Week, ...], tz: str) -> str:
    """Four weeks' median claim as a sparkline and in figures, oldest first."""
    medians = [w.claim_median for w in weeks]
    known = [m for m in medians if m is not None]
    top = max(known) if known else 0.0
    bars = "".join(" " if m is None else TREND[min(int(m / top * 7), 7) if top else 0]
                   for m in medians)  # fmt: skip
    figures = " → ".join(duration(m) for m in medians)
    return f"4-week trend of the median claim: `{bars}` {figures} (weeks in {tz})"


def _breaches(d: Digest) -> str:
    if not d.worst:
        return f"*SLA breaches*: none this week ({count(d.week.breaches)})."
    lines = [f"*SLA breaches*: {count(d.week.breaches)}; the worst:"]
    for b in d.worst:
        waited = duration(b.waited) + ("" if b.claimed else ", still unclaimed")
        owner = user(b.owner) if b.owner else "the shared queue"
        lines.append(f"• {literal_truncated(b.name, 80)} #{b.lead_id}: {waited} · {owner}")
    return "\n".join(lines)


def _followup(d: Digest) -> str:
    f = d.followup
    return (f"*Follow-up*: tasks done on time {of(f.on_time, f.tasks)} · single-touch "
            f"abandonment {of(f.single_touch, f.claimed)}")  # fmt: skip


def _conversion(d: Digest) -> str:
    parts = [f"{name} {of(won, leads)}" for name, leads, won in d.conversion if leads]
    return "*Converted by response time* (won or meeting): " + (" · ".join(parts) or NONE)


def _snoozes(d: Digest) -> str:
    total = sum(n for _, n in d.snoozes)
    parts = [f"{escape(reason)} {count(n)}" for reason, n in d.snoozes]
    return f"*Snoozes*: {count(total)} · " + " · ".join(parts)


def _templates(d: Digest) -> str:
    ranked = [f"`{escape(t.name)}` {of(t.replies, t.uses)}" for t in d.templates]
    return "*Templates by reply rate*: " + " · ".join(ranked)


def _leaderboard(d: Digest) -> str:
    """The first BOARD_SHOWN places, and the reader's own if it is further down."""
    standings = list(enumerate(d.leaderboard or (), start=1))
    shown = standings[:BOARD_SHOWN]
    yours = next(((place, s) for place, s in standings[BOARD_SHOWN:] if s.you), None)
    rows = [_standing(place, s) for place, s in shown]
    if yours is not None:
        rows += ["…", _standing(*yours)]
    elif len(standings) > BOARD_SHOWN:
        rows.append(f"… and {len(standings) - BOARD_SHOWN} more")
    return "*Leaderboard* (fastest median claim first)\n" + "\n".join(rows)


def _standing(place: int, s: Standing) -> str:
    name = f"*{escape(s.name)}* (you)" if s.you else escape(s.name)
    return f"{place}. {name}: {duration(s.median)} median claim, {count(s.leads)} leads"


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:3000]))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:3000])])
