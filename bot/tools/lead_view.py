"""`leadbot lead 42`'s words: a lead's state and its event log as lines people read (who, what,
when, in the reader's time zone), and as JSON. The lead's email and phone appear only when the
reader asks (`show_contact`): the history is shown to managers, pasted into tickets and chats.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.durations import format_duration
from bot.leads.history import Event, LeadHistory, LeadState
from bot.tools.table import clean
from bot.vocabulary import LeadStatus

HIDDEN = "(hidden: --show-contact)"
# What each kind of event says; {key} is a value of its detail, the rest is appended.
PHRASES: dict[str, str] = {
    "received": "received from {source}",
    "assigned": "assigned to {owner}",
    "queued": "moved to the shared queue",
    "claimed": "claimed it after {waited_seconds}",
    "passed": "passed it on",
    "reassigned": "reassigned it to {owner}",
    "snoozed": "snoozed it until {until}",
    "contacted": "logged a contact: {outcome}",
    "closed": "closed it: {outcome}",
    "sla_breached": "SLA breached",
    "reminded": "reminded {to}",
    "manager_notified": "told the manager: {to}",
    "channel_notified": "posted it to {to}",
    "queue_reminded": "reminded the queue",
    "backup_skipped": "found no backup rep",
    "delivery_failed": "could not reach {to} in Slack",
    "nudge_dropped": "dropped the nudge to {to}",
    "crm_owner_written": "wrote the owner to the CRM",
    "crm_owner_failed": "could not write the owner to the CRM",
    "task_due": "task due",
    "task_done": "task done",
    "task_skipped": "task skipped",
    "task_rescheduled": "task moved to {until}",
    "task_reminded": "task overdue: reminded {to}",
    "cadence_started": "cadence {cadence} started",
    "cadence_stopped": "cadence {cadence} stopped: {outcome}",
}
_PEOPLE = {"owner", "previous_owner", "to", "by", "user", "claimed_by"}
_MOMENTS = {"until", "held_until", "card_held_until", "due_at", "at"}
_CONTACT = {"email", "phone"}


@dataclass(frozen=True)
class View:
    """How to show a history: the reader's zone, names for Slack ids, contact shown or not."""

    tz: ZoneInfo
    name_of: Callable[[str], str]
    show_contact: bool = False

    def when(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.tz):%Y-%m-%d %H:%M:%S}"

    def who(self, actor: str) -> str:
        return clean(self.name_of(actor))


def summary(lead: LeadState, view: View) -> list[tuple[str, str]]:
    """The top of the history: (label, value) pairs."""
    title = " · ".join(clean(part) for part in (lead.name, lead.company) if part)
    title = title if view.show_contact else mask(title, lead)
    rows = [
        ("Lead", f"#{lead.id} {title}".rstrip()),
        ("Status", _status(lead, view)),
        ("Owner", view.who(lead.owner_id) if lead.owner_id else "nobody (the shared queue)"),
        ("Source", clean(lead.source + (f" ({lead.external_id})" if lead.external_id else ""))),
        ("Tier", clean(lead.tier)),
        ("SLA", sla(lead, view)),
        ("Received", f"{view.when(lead.received_at)} ({view.tz.key})"),
    ]
    if lead.routing_reason:
        rows.append(("Routing", clean(lead.routing_reason)))
    contact = [part for part in (lead.email, lead.phone) if part]
    if contact:
        rows.append(("Contact", " · ".join(map(clean, contact)) if view.show_contact else HIDDEN))
    return rows


def _status(lead: LeadState, view: View) -> str:
    said = lead.status
    if lead.claimed_by and lead.claimed_at:
        said = f"claimed by {view.who(lead.claimed_by)} at {view.when(lead.claimed_at)}"
        said += ", closed" if lead.status == LeadStatus.CLOSED else ""
    if lead.first_contact_at:
        said += f", first contact at {view.when(lead.first_contact_at)}"
    if lead.snoozed_until and lead.status != LeadStatus.CLOSED:
        said += f", snoozed until {view.when(lead.snoozed_until)}"
    if lead.outcome:
        amount = f" {lead.outcome_amount}" if lead.outcome_amount is not None else ""
        reason = f" ({lead.outcome_reason})" if lead.outcome_reason else ""
        said += f", outcome: {lead.outcome}{amount}{reason}"
    return clean(said)


def sla(lead: LeadState, view: View) -> str:
    """Met or breached, and by how much; or when it falls due."""
    if lead.sla_due_at is None:
        return "none"
    due = view.when(lead.sla_due_at)
    if lead.claimed_at is not None:
        waited = _waited(lead)
        if lead.claimed_at <= lead.sla_due_at and lead.sla_breached_at is None:
            return f"met: claimed after {waited} (due {due})"
        return f"breached: claimed after {waited} (due {due})"
    if lead.sla_breached_at is not None:
        return f"breached at {view.when(lead.sla_breached_at)} (due {due}), not claimed"
    return f"due {due}, not claimed yet"


def _waited(lead: LeadState) -> str:
    seconds = lead.claim_wait_seconds
    if seconds is None and lead.claimed_at is not None:
        seconds = (lead.claimed_at - lead.received_at).total_seconds()
    return format_duration(timedelta(seconds=seconds or 0))


def describe(event: Event, lead: LeadState, view: View) -> str:
    """What happened, in words: the kind's phrase with its detail filled in, then the rest."""
    values = {key: _value(key, value, lead, view) for key, value in event.detail.items()}
    phrase = PHRASES.get(event.kind, "{kind}")  # a kind a newer leadbot wrote: its own name
    wanted = {field for _, field, _, _ in string.Formatter().parse(phrase) if field}
    if not wanted <= values.keys() | {"kind"}:
        phrase, wanted = phrase.split(" {")[0].removesuffix(":"), set()
    said = phrase.format_map({**values, "kind": event.kind.replace("_", " ")})
    rest = [f"{key.replace('_', ' ')}: {values[key]}" for key in values if key not in wanted]
    return clean(said + (f" ({'; '.join(rest)})" if rest else ""))


def _value(key: str, value: Any, lead: LeadState, view: View) -> str:
    if not view.show_contact and key in _CONTACT:
        return HIDDEN
    if isinstance(value, str) and not view.show_contact:
        value = mask(value, lead)
    if isinstance(value, list):
        return ", ".join(_value(key, item, lead, view) for item in value)
    if key in _PEOPLE and isinstance(value, str):
        return view.who(value)
    if key in _MOMENTS and isinstance(value, str):
        return _moment(value, view)
    if key.endswith("_seconds") and isinstance(value, int | float):
        return format_duration(timedelta(seconds=value))
    if key == "first" and isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def mask(text: str, lead: LeadState) -> str:
    """`text` with the lead's email and phone hidden wherever they appear in it."""
    for part in (lead.email, lead.phone):
        if part:
            text = text.replace(part, HIDDEN)
    return text


def _moment(text: str, view: View) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return view.when(moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC")))


def as_json(history: LeadHistory, view: View) -> dict[str, Any]:
    """Times as ISO 8601 in the reader's zone, people as ids with names beside them."""
    lead = history.lead
    state: dict[str, Any] = {
        key: _json_value(value, view)
        for key, value in vars(lead).items()
        if view.show_contact or key not in _CONTACT
    }
    state["sla"] = sla(lead, view)
    events = [
        {
            "at": event.at.astimezone(view.tz).isoformat(),
            "actor": event.actor,
            "actor_name": view.name_of(event.actor),
            "kind": event.kind,
            "text": describe(event, lead, view),
            "detail": _json_detail(event.detail, lead, view),
        }
        for event in history.events
    ]
    return {"lead": state, "timezone": view.tz.key, "events": events}


def _json_value(value: Any, view: View) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(view.tz).isoformat()
    return value if value is None or isinstance(value, int | float | str) else str(value)


def _json_detail(detail: dict[str, Any], lead: LeadState, view: View) -> dict[str, Any]:
    if view.show_contact:
        return detail
    return {
        key: HIDDEN if key in _CONTACT else _masked(value, lead) for key, value in detail.items()
    }


def _masked(value: Any, lead: LeadState) -> Any:
    if isinstance(value, str):
        return mask(value, lead)
    return [_masked(item, lead) for item in value] if isinstance(value, list) else value
