"""The task card: one pure function of a follow-up task's state (bot/followup/cards.py draws the
view). An open task shows what to do and why now, the outreach ready to copy, and its buttons;
a closed one shows what happened, without buttons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    SectionBlock,
    StaticSelectElement,
)

from blocks import ids
from blocks.mrkdwn import date, escape_truncated, literal_truncated, quote_truncated, user
from bot.vocabulary import (
    TASK_RESULT_LABELS,
    FollowUpChannel,
    TaskResult,
    TaskStatus,
    outcome_label,
)

CHANNEL_LABELS = {
    FollowUpChannel.EMAIL: "✉️ Email",
    FollowUpChannel.CALL: "📞 Call",
    FollowUpChannel.LINKEDIN: "💼 LinkedIn",
    FollowUpChannel.SMS: "💬 SMS",
}
# The Done menu offers the results of the step's channels, then the outcomes any touch can have.
_RESULTS_BY_CHANNEL = {
    FollowUpChannel.EMAIL: (TaskResult.EMAIL_SENT,),
    FollowUpChannel.CALL: (
        TaskResult.CALL_CONNECTED,
        TaskResult.CALL_VOICEMAIL,
        TaskResult.CALL_NO_ANSWER,
    ),
    FollowUpChannel.LINKEDIN: (TaskResult.LINKEDIN_SENT,),
    FollowUpChannel.SMS: (TaskResult.SMS_SENT,),
}
_OUTCOMES = (TaskResult.REPLIED, TaskResult.MEETING_BOOKED, TaskResult.NOT_A_FIT)
RESCHEDULE_CHOICES = (
    ("next_day", "+1 business day"),
    ("tomorrow", "Tomorrow 9:00"),
    ("pick", "Pick a date…"),
)
TEXT_LIMIT = 2900  # a section's text allows 3000
OUTREACH_LIMIT = 2600
MAILTO_LIMIT = 2900  # a context element's text allows 3000


# A view's status for the card a task left in its old owner's DM; no task row has it.
MOVED = "moved"


@dataclass(frozen=True)
class TaskView:
    task_id: int
    lead_id: int
    lead_name: str | None
    company: str | None
    owner_id: str
    step: int
    steps: int
    day: int | None
    channels: tuple[str, ...]
    status: str
    due_at: datetime
    result: str | None = None
    note: str | None = None
    done_by: str | None = None
    done_at: datetime | None = None
    email: str | None = None
    phone: str | None = None
    linkedin: str | None = None  # a profile URL, checked safe already
    crm_url: str | None = None  # checked safe already
    asked_for: str | None = None  # what the lead wrote when they came in
    tried: tuple[str, ...] = ()  # the touches so far, as lines (mrkdwn, escaped already)
    suggestion: str | None = None  # e.g. "two emails unanswered: try calling"
    subject: str | None = None  # the rendered template (plain text)
    outreach: str | None = None
    mailto: str | None = None
    template: str | None = None
    template_failed: bool = False  # it could not be filled in for this lead (admins told)


def title(view: TaskView) -> str:
    if view.step == 0:  # the first contact after a claim: any channel will do
        return "First contact"
    what = " + ".join(CHANNEL_LABELS.get(FollowUpChannel(c), c) for c in view.channels)
    return f"Day {view.day} of {view.steps} · {what}" if view.day else what


def fallback_text(view: TaskView) -> str:
    who = view.lead_name or view.company or f"lead #{view.lead_id}"
    return escape_truncated(f"{title(view)}: {who}", 300)


def task_card(view: TaskView) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text=literal_truncated(title(view), 150)),
        SectionBlock(text=MarkdownTextObject(text=_headline(view))),
    ]
    if view.status == TaskStatus.OPEN:
        blocks += _open_parts(view)
    else:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_closed_line(view))]))
    return blocks


def _headline(view: TaskView) -> str:
    who = literal_truncated(view.lead_name or "a lead", 200)
    company = f" ({literal_truncated(view.company, 200)})" if view.company else ""
    due = date(view.due_at, "{date_short_pretty} {time}", f"{view.due_at:%Y-%m-%d %H:%M} UTC")
    lines = [f"*{who}*{company} #{view.lead_id} · {user(view.owner_id)} · due {due}"]
    reach = [f"✉️ {escape_truncated(view.email, 320)}" if view.email else "",
             f"📞 {escape_truncated(view.phone, 64)}" if view.phone else "",
             f"💼 <{view.linkedin}|LinkedIn>" if view.linkedin else ""]  # fmt: skip
    if any(reach):
        lines.append("   ".join(part for part in reach if part))
    return "\n".join(lines)[:TEXT_LIMIT]


def _open_parts(view: TaskView) -> list[Block]:
    parts: list[Block] = []
    context = _context_text(view)
    if context:
        parts.append(SectionBlock(text=MarkdownTextObject(text=context)))
    if view.outreach:
        subject = f"*Subject:* {escape_truncated(view.subject, 250)}\n" if view.subject else ""
        body = quote_truncated(view.outreach, OUTREACH_LIMIT - len(subject))
        label = f"`{view.template}`" if view.template else "template"
        parts.append(SectionBlock(text=MarkdownTextObject(text=f"{label}\n{subject}{body}")))
        if view.mailto and _linkable(view.mailto):
            # A link, not a button: Slack takes only http(s) URLs in buttons.
            link = f"<{view.mailto}|✉️ Open this email in your mail app>"
            parts.append(ContextBlock(elements=[MarkdownTextObject(text=link)]))
    if view.template_failed and view.template:
        failed = (
            f"⚠️ The template `{escape_truncated(view.template, 64)}` could not be filled in for "
            "this lead (the admins have been told): write this touch yourself."
        )
        parts.append(ContextBlock(elements=[MarkdownTextObject(text=failed)]))
    parts.append(ActionsBlock(block_id=f"{ids.TASK_BLOCK_PREFIX}_{view.task_id}",
                              elements=_buttons(view)))  # fmt: skip
    return parts


def _linkable(url: str) -> bool:
    # mailto_url percent-encodes everything but letters, digits and -._~, so none of the
    # characters that end a Slack link can be in it; checked anyway, and the length with it.
    return len(url) <= MAILTO_LIMIT and not any(char in url for char in "<>|\n")


def _context_text(view: TaskView) -> str:
    lines: list[str] = []
    if view.asked_for:
        lines.append("*They asked:*\n" + quote_truncated(view.asked_for, 600))
    if view.tried:
        lines.append("*Tried so far:*\n" + "\n".join(f"• {line}" for line in view.tried[-6:]))
    else:
        lines.append("*Tried so far:* nothing yet")
    if view.suggestion:
        lines.append(f"💡 {view.suggestion}")
    if view.note:  # rescheduled, or moved from another rep: why it is here now
        lines.append(f"↪️ {escape_truncated(view.note, 300)}")
    return "\n".join(lines)[:TEXT_LIMIT]


def _buttons(view: TaskView) -> list[StaticSelectElement | ButtonElement | OverflowMenuElement]:
    value = str(view.task_id)
    elements: list[StaticSelectElement | ButtonElement | OverflowMenuElement] = [
        StaticSelectElement(
            action_id=ids.TASK_DONE, placeholder="Done…", options=done_options(view)
        ),
        ButtonElement(text="Skip", action_id=ids.TASK_SKIP, value=value),
        OverflowMenuElement(
            action_id=ids.TASK_RESCHEDULE,
            options=[
                Option(value=f"{value}:{key}", text=label) for key, label in RESCHEDULE_CHOICES
            ],
        ),
    ]
    if view.crm_url:
        elements.append(
            ButtonElement(text="Open in CRM", action_id=ids.TASK_OPEN_CRM, url=view.crm_url)
        )
    return elements


def done_options(view: TaskView) -> list[Option]:
    results: list[TaskResult] = []
    for channel in view.channels or tuple(_RESULTS_BY_CHANNEL):  # none named: any channel
        results += _RESULTS_BY_CHANNEL.get(FollowUpChannel(channel), ())
    results += [outcome for outcome in _OUTCOMES if outcome not in results]
    return [
        Option(value=f"{view.task_id}:{result}", text=TASK_RESULT_LABELS[result])
        for result in results
    ]


def _closed_line(view: TaskView) -> str:
    when = (
        date(view.done_at, "{date_short_pretty} {time}", f"{view.done_at:%Y-%m-%d %H:%M} UTC")
        if view.done_at
        else ""
    )
    by = f" by {user(view.done_by)}" if view.done_by else ""
    if view.status == TaskStatus.DONE:
        label = outcome_label(view.result)
        return f"✅ Done: {label}{by} {when}".rstrip()
    if view.status == MOVED:
        return f"↪️ {escape_truncated(view.note or 'Moved to another rep', 300)}: nothing to do here"
    if view.status == TaskStatus.SKIPPED:
        why = f" ({escape_truncated(view.note, 300)})" if view.note else ""
        return f"⏭ Skipped{why}{by} {when}".rstrip()
    why = f": {escape_truncated(view.note, 300)}" if view.note else ""
    return f"✖️ Cancelled{why} {when}".rstrip()
