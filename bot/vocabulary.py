"""The words leadbot stores and sends, each defined once: lead statuses, event kinds, escalation
actions and tones, card copy kinds, contact outcomes.

Every value here is written to the database (`leads.status`, `lead_events.kind`, the chain
snapshot on each lead), to `leadbot.yml`, or into Slack payloads already posted: renaming a
value breaks rows and cards that exist. Add values; never rename one. They are `StrEnum`s, so a
value read back from the database (a plain `str`) compares equal to its member.

Pure: imports nothing of leadbot's, so every layer (blocks included) may use it.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum, nonmember


class LeadStatus(StrEnum):
    ASSIGNED = "assigned"  # has an owner, nobody has claimed it yet
    QUEUED = "queued"  # in the shared queue, anyone may claim
    CLAIMED = "claimed"
    CLOSED = "closed"
    # Still waiting for someone to take it: the escalation chain runs only while a lead is open.
    OPEN = nonmember((ASSIGNED, QUEUED))


class EventKind(StrEnum):
    """`lead_events.kind`: the audit trail and the change feed the App Home reads."""

    RECEIVED = "received"
    ASSIGNED = "assigned"  # by routing, or by the chain (then the detail has a `step`)
    QUEUED = "queued"
    CLAIMED = "claimed"
    PASSED = "passed"
    REASSIGNED = "reassigned"  # by a manager
    SNOOZED = "snoozed"
    CONTACTED = "contacted"
    CLOSED = "closed"
    SLA_BREACHED = "sla_breached"
    REMINDED = "reminded"
    MANAGER_NOTIFIED = "manager_notified"
    CHANNEL_NOTIFIED = "channel_notified"
    QUEUE_REMINDED = "queue_reminded"
    BACKUP_SKIPPED = "backup_skipped"
    DELIVERY_FAILED = "delivery_failed"  # Slack refused a card or message for good
    NUDGE_DROPPED = "nudge_dropped"  # a nudge not sent after all: the lead moved on first
    # The owner written back to the CRM the lead came from (bot/sources/writeback.py), or not.
    CRM_OWNER_WRITTEN = "crm_owner_written"
    CRM_OWNER_FAILED = "crm_owner_failed"  # given up: the card and the admins say why
    # Follow-up after the claim (bot/followup/): the touches and the cadence's tasks.
    TASK_DUE = "task_due"  # a task card went to its owner (written when Slack took it)
    TASK_DONE = "task_done"
    TASK_SKIPPED = "task_skipped"
    TASK_RESCHEDULED = "task_rescheduled"
    TASK_REMINDED = "task_reminded"  # a task (or the first contact) overdue: owner, then manager
    CADENCE_STARTED = "cadence_started"
    CADENCE_STOPPED = "cadence_stopped"


class Action(StrEnum):
    """What an escalation step does (`escalation[].do` in leadbot.yml, and the chain snapshot)."""

    REMIND_OWNER = "remind_owner"
    NOTIFY_MANAGER = "notify_manager"
    MOVE_TO_QUEUE = "move_to_queue"
    REASSIGN = "reassign"
    NOTIFY_CHANNEL = "notify_channel"
    # Added by leadbot itself, never written in leadbot.yml:
    BACKUP = "backup"  # routing.ack_timeout: the next rep in the pool, once
    QUEUE_REMINDER = "queue_reminder"  # a step's `repeat`


CONFIGURABLE_ACTIONS: tuple[Action, ...] = (
    Action.REMIND_OWNER,
    Action.NOTIFY_MANAGER,
    Action.MOVE_TO_QUEUE,
    Action.REASSIGN,
    Action.NOTIFY_CHANNEL,
)
# Steps about the owner alone: a snooze may push them as far as the owner asks (a rep who
# snoozed is working the lead, so the ack-timeout backup waits too).
OWNER_ONLY_ACTIONS = frozenset({Action.REMIND_OWNER, Action.BACKUP})


class Tone(StrEnum):
    """How firmly a reminder is worded (`remind_owner_<tone>` templates)."""

    GENTLE = "gentle"
    DIRECT = "direct"
    URGENT = "urgent"


class CopyKind(StrEnum):
    """Which copy of a lead's card is drawn: it decides the card's wording and buttons."""

    DM = "dm"  # the owner's direct message
    CHANNEL = "channel"  # channels.leads, or a channel an escalation step tells
    QUEUE = "queue"  # the shared queue channel
    LIST = "list"  # a row in `/leads queue` or the App Home (never posted as a card)


class ContactOutcome(StrEnum):
    """What a rep logs after reaching out to a lead; the values ride in the card's Log contact
    menu ("42:call")."""

    CALL = "call"
    EMAIL = "email"
    LINKEDIN = "linkedin"
    MEETING = "meeting"
    NOT_A_FIT = "not_a_fit"


CONTACT_LABELS: dict[ContactOutcome, str] = {
    ContactOutcome.CALL: "📞 Call",
    ContactOutcome.EMAIL: "✉️ Email",
    ContactOutcome.LINKEDIN: "💼 LinkedIn",
    ContactOutcome.MEETING: "📅 Meeting booked",
    ContactOutcome.NOT_A_FIT: "🚫 Not a fit",
}
# Logging this closes the lead: there is nothing left to follow up.
CLOSING_OUTCOMES = frozenset({ContactOutcome.NOT_A_FIT})


def outcome_label(key: str | None) -> str:
    """The label a person reads; an outcome this version does not know is shown as stored."""
    if not key:
        return ""
    labels = {**CONTACT_LABELS, **TASK_RESULT_LABELS}
    return next((label for outcome, label in labels.items() if outcome == key), key)


class FollowUpChannel(StrEnum):
    """How a rep reaches a prospect in a cadence step (`cadences.*.steps[].do`)."""

    EMAIL = "email"
    CALL = "call"
    LINKEDIN = "linkedin"
    SMS = "sms"


class TaskStatus(StrEnum):
    OPEN = "open"  # planned or due; not done yet
    DONE = "done"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"  # its cadence stopped (an outcome, a close, a manager)


class TaskResult(StrEnum):
    """What the rep reports on a task card's Done menu; each is a touch in the log."""

    EMAIL_SENT = "email_sent"
    CALL_CONNECTED = "call_connected"
    CALL_VOICEMAIL = "call_voicemail"
    CALL_NO_ANSWER = "call_no_answer"
    LINKEDIN_SENT = "linkedin_sent"
    SMS_SENT = "sms_sent"
    REPLIED = "replied"
    MEETING_BOOKED = "meeting_booked"
    NOT_A_FIT = "not_a_fit"


TASK_RESULT_LABELS: dict[TaskResult, str] = {
    TaskResult.EMAIL_SENT: "✉️ Email sent",
    TaskResult.CALL_CONNECTED: "📞 Call: connected",
    TaskResult.CALL_VOICEMAIL: "📞 Call: voicemail",
    TaskResult.CALL_NO_ANSWER: "📞 Call: no answer",
    TaskResult.LINKEDIN_SENT: "💼 LinkedIn sent",
    TaskResult.SMS_SENT: "💬 SMS sent",
    TaskResult.REPLIED: "↩️ They replied",
    TaskResult.MEETING_BOOKED: "📅 Meeting booked",
    TaskResult.NOT_A_FIT: "🚫 Not a fit",
}
# The channel each result is a touch on (outcomes that are no touch of their own: None).
RESULT_CHANNEL: dict[TaskResult, FollowUpChannel | None] = {
    TaskResult.EMAIL_SENT: FollowUpChannel.EMAIL,
    TaskResult.CALL_CONNECTED: FollowUpChannel.CALL,
    TaskResult.CALL_VOICEMAIL: FollowUpChannel.CALL,
    TaskResult.CALL_NO_ANSWER: FollowUpChannel.CALL,
    TaskResult.LINKEDIN_SENT: FollowUpChannel.LINKEDIN,
    TaskResult.SMS_SENT: FollowUpChannel.SMS,
    TaskResult.REPLIED: None,
    TaskResult.MEETING_BOOKED: None,
    TaskResult.NOT_A_FIT: None,
}


class LeadOutcome(StrEnum):
    """How a lead's follow-up ends (`cadences.*.goal`, `stop_on`)."""

    REPLIED = "replied"
    MEETING_BOOKED = "meeting_booked"
    NOT_A_FIT = "not_a_fit"
    CLOSED = "closed"
    WON = "won"
    LOST = "lost"
    NO_RESPONSE = "no_response"  # the final step done and nothing came back
    STOPPED = "stopped"  # a manager stopped the follow-up from the lead's card


class ExitCode(IntEnum):
    """What every `leadbot` command exits with: the same problem, the same code (README, and
    `leadbot --help`). Scripts and process managers read them: add codes, never renumber one."""

    OK = 0
    # The command ran and found problems: a check's findings (`config check`, `templates
    # check`), rows refused (`import`, `route`), a retry that still fails, a reader that left.
    FINDINGS = 1
    # It could not run with what it was given: options, an input file, leadbot.yml (outside
    # `config check`, whose findings they are), an environment variable, Slack's tokens.
    USAGE = 2
    DATABASE = 3  # DATABASE_URL cannot be used, or the database cannot be reached or opened
    NOT_FOUND = 4  # no such lead, no such payload in the quarantine
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells count
