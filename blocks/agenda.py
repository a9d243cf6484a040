"""A rep's follow-up agenda: today's tasks and the overdue ones, oldest first, each with its
Done menu (the morning DM and `/leads today` show the same blocks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
    StaticSelectElement,
)

from blocks import ids
from blocks.mrkdwn import date as slack_date
from blocks.mrkdwn import literal_truncated
from blocks.task_card import TaskView, done_options, title

MAX_SHOWN = 15  # one block each, within Slack's 50 blocks a message, and a list one reads

# A row of the agenda: its Done menu redraws the agenda it is on (handlers/tasks.py).
AGENDA_ROW_PREFIX = f"{ids.TASK_BLOCK_PREFIX}_agenda_"


@dataclass(frozen=True)
class AgendaItem:
    view: TaskView
    overdue: bool


@dataclass(frozen=True)
class Agenda:
    """A rep's agenda: the tasks shown (oldest first, at most MAX_SHOWN) and the counts."""

    day: date
    shown: tuple[AgendaItem, ...]
    total: int
    overdue: int


def agenda_text(agenda: Agenda) -> str:
    overdue = f", {agenda.overdue} overdue" if agenda.overdue else ""
    return f"🗓 Your follow-ups for {agenda.day:%a %d %b}: {agenda.total} task(s){overdue}"


def agenda_blocks(agenda: Agenda) -> list[Block]:
    blocks: list[Block] = [HeaderBlock(text=f"🗓 Your follow-ups for {agenda.day:%a %d %b}")]
    if not agenda.shown:
        blocks.append(SectionBlock(text="Nothing due today. 🎉"))
        return blocks
    blocks += [agenda_line(item) for item in agenda.shown]
    hidden = agenda.total - len(agenda.shown)
    footer = "Skip or move a task from its card."
    if hidden > 0:
        footer = f"…and {hidden} more: `/leads today` shows them once these are done. {footer}"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    return blocks


def agenda_line(item: AgendaItem) -> SectionBlock:
    view = item.view
    who = literal_truncated(view.lead_name or view.company or "a lead", 120)
    company = f" ({literal_truncated(view.company, 80)})" if view.company and view.lead_name else ""
    due = _when(view.due_at)
    state = f"⚠️ overdue since {due}" if item.overdue else f"due {due}"
    text = f"*{literal_truncated(title(view), 120)}*\n{who}{company} #{view.lead_id} · {state}"
    return SectionBlock(
        block_id=f"{AGENDA_ROW_PREFIX}{view.task_id}",
        text=MarkdownTextObject(text=text),
        accessory=StaticSelectElement(
            action_id=ids.TASK_DONE, placeholder="Done…", options=done_options(view)
        ),
    )


def _when(moment: datetime) -> str:
    return slack_date(moment, "{date_short_pretty} {time}", f"{moment:%Y-%m-%d %H:%M} UTC")
