"""Draws a task card from the database's state: the task, its lead, the touches so far (what
was tried and what happened), a suggestion when one channel keeps failing, and the step's
outreach template rendered for this lead and rep (`blocks/task_card.py` builds the blocks).

The dispatcher calls `render` when it sends the card, so the card shows the state at send time,
and a template that fails for this lead costs only its own text: the card goes without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from blocks.mrkdwn import date, safe_url
from blocks.task_card import MOVED, TaskView, fallback_text, task_card
from blocks.wire import wire
from bot.clock import as_utc
from bot.delivery.outbox import RenderedMessage
from bot.vocabulary import TaskResult, outcome_label
from storage.followup import Task, Touch
from storage.models import Lead

log = logging.getLogger(__name__)

# Outreach for a task: (template name, task, lead) -> (subject, body, mailto url), or why it
# could not be filled in for this lead (a str: file, line and error).
Filled = tuple[str | None, str, str | None]
Outreach = Callable[[str, Task, Lead], Filled | str]

_UNANSWERED = {
    TaskResult.EMAIL_SENT: ("emails", "try calling"),
    TaskResult.CALL_NO_ANSWER: ("calls", "try an email or LinkedIn"),
    TaskResult.CALL_VOICEMAIL: ("voicemails", "try an email that mentions your message"),
    TaskResult.LINKEDIN_SENT: ("LinkedIn messages", "try calling"),
}
_WORDS = {2: "Two", 3: "Three", 4: "Four", 5: "Five"}


def suggestion(touches: Sequence[Touch]) -> str | None:
    """When the last touches all went unanswered on one channel: a nudge to switch."""
    results = [touch.result for touch in touches]
    if not results or results[-1] not in _UNANSWERED:
        return None
    last = results[-1]
    streak = 0
    for result in reversed(results):
        if result != last:
            break
        streak += 1
    if streak < 2:
        return None
    noun, advice = _UNANSWERED[TaskResult(last)]
    return f"{_WORDS.get(streak, str(streak))} {noun} unanswered: {advice}."


def tried_lines(touches: Sequence[Touch]) -> tuple[str, ...]:
    lines = []
    for touch in touches:
        at = as_utc(touch.at)
        when = date(at, "{date_short_pretty}", f"{at:%Y-%m-%d}")
        template = f" (`{touch.template}`)" if touch.template else ""
        lines.append(f"{when}: {outcome_label(touch.result)}{template}")
    return tuple(lines)


def task_view(
    task: Task,
    lead: Lead,
    touches: Sequence[Touch],
    filled: Filled | str | None = None,
    moved: bool = False,
) -> TaskView:
    """`filled`: the step's outreach template for this lead (None: none; a str: it failed).
    `moved`: the card the task left in its old owner's DM when the lead changed hands."""
    fields: dict[str, Any] = dict(lead.fields or {})
    linkedin = fields.get("linkedin")
    failed = isinstance(filled, str)
    subject, body, mailto = filled if filled and not failed else (None, None, None)
    return TaskView(
        task_id=task.id, lead_id=lead.id, lead_name=lead.name, company=lead.company,
        owner_id=task.owner_id, step=task.step, steps=task.steps, day=task.day,
        channels=tuple(task.channels or ()), status=MOVED if moved else task.status,
        due_at=as_utc(task.due_at),
        result=task.result, note=task.note, done_by=task.done_by,
        done_at=as_utc(task.done_at) if task.done_at else None,
        email=lead.email, phone=lead.phone,
        linkedin=safe_url(linkedin) if isinstance(linkedin, str) else None,
        crm_url=safe_url(lead.crm_url) if lead.crm_url else None,
        asked_for=lead.message, tried=tried_lines(touches), suggestion=suggestion(touches),
        subject=subject, outreach=body, mailto=mailto, template=task.template,
        template_failed=failed,
    )  # fmt: skip


def task_renderer(
    outreach: Outreach | None = None,
) -> Callable[[Task, Lead, Sequence[Touch]], RenderedMessage]:
    """The dispatcher's TaskRenderer: the card as Slack JSON, with the task version it shows."""

    def render(
        task: Task, lead: Lead, touches: Sequence[Touch], moved: bool = False
    ) -> RenderedMessage:
        filled = None
        if outreach is not None and task.template and task.status == "open" and not moved:
            filled = outreach(task.template, task, lead)
        view = task_view(task, lead, touches, filled, moved)
        problem = filled if isinstance(filled, str) else None
        return RenderedMessage(fallback_text(view), wire(task_card(view)), task.version, problem)

    return render
