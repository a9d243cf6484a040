"""What happens when Slack refuses a card or a message for good: a person is told, and the
lead keeps moving.

The dispatcher gives a row up at once for an error that waiting cannot fix (`PERMANENT_ERRORS`:
a deactivated user, a channel leadbot is not in, blocks Slack refuses, a message leadbot could
not draw) and after `RetryPolicy.give_up_after` for the rest. Then, in one transaction:
- the admins are told (`channels.alerts`, else a DM to each admin, else to each manager): which
  lead, which channel or person, what Slack said, and what fixes it;
- a lead whose owner cannot be reached in a DM goes on as if unclaimed: the owner's manager is
  told and the lead moves to the shared queue; its card says why.
An alert that fails is only logged: no alert about an alert.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from blocks.mrkdwn import escape_truncated, literal_truncated, user
from bot.clock import OncePerHour
from bot.delivery.alerts import tell_admins
from bot.delivery.outbox import (
    POST_CARD,
    DeliveryError,
    enqueue_card_updates,
    enqueue_message,
    enqueue_post,
)
from bot.escalation.sweep import plan_next
from bot.leads.events import LEADBOT, add_event
from bot.services import Deps
from bot.vocabulary import CopyKind, EventKind, LeadStatus
from storage.models import Lead, OutboxMessage

log = logging.getLogger(__name__)
FIXES = {
    "not_in_channel": "invite leadbot there: /invite @leadbot in {where}",
    "channel_not_found": "check the channel id in leadbot.yml, and invite leadbot to it",
    "is_archived": "{where} is archived: unarchive it, or set another channel in leadbot.yml",
    "user_disabled": "{where} is deactivated: take them out of leadbot.yml, reassign their leads",
    "user_not_found": "{where} is not in this workspace: fix the id in leadbot.yml",
    "user_not_visible": "leadbot may not see {where}: check that they are in this workspace",
    "cannot_dm_bot": "{where} is a bot: leadbot.yml should name people",
    "restricted_action": "a workspace setting stops leadbot posting in {where}",
    "invalid_blocks": "Slack refused a card leadbot drew: please report it with the lead's number",
    "render_error": "leadbot could not draw this message: please report it with the lead's number",
}


class FailureHandler:
    """Called by the dispatcher with each row it gives up on."""

    def __init__(self, deps: Deps, count: Callable[[str], None] = lambda _error: None) -> None:
        self.deps = deps
        self.count = count
        self._told = OncePerHour()  # per (place, error)

    def gave_up(
        self, session: Session, row: OutboxMessage, err: DeliveryError, now: datetime
    ) -> None:
        """In the transaction that marks `row` failed (DeliveryLog.on_give_up)."""
        self.count(err.error)
        if (row.payload or {}).get("alert"):
            log.error("an alert to %s failed too (%s): see the log", row.target, err.error)
            return
        lead = session.get(Lead, row.lead_id, with_for_update=True) if row.lead_id else None
        self._alert(session, row, lead, err, now)
        if lead is not None and _owner_unreachable(row, lead):
            self._queue(session, row, lead, err, now)

    def _alert(
        self,
        session: Session,
        row: OutboxMessage,
        lead: Lead | None,
        err: DeliveryError,
        now: datetime,
    ) -> None:
        where = _where(row, err)
        if not self._told.first((where, err.error)):
            return  # said already: one alert an hour per place and error, not one per message
        fix = FIXES.get(err.error, "see Slack's error code in the log").format(where=where)
        what = "the card" if row.kind == POST_CARD else "a message"
        about = f" for lead #{lead.id} ({_name(lead)})" if lead is not None else ""
        text = (
            f"⚠️ leadbot could not deliver {what}{about} to {where}: Slack said "
            f"{_code(err.error)}. To fix it: {fix}."
        )
        tell_admins(session, self.deps.config, lead.id if lead is not None else None, text, now)

    def _queue(
        self, session: Session, row: OutboxMessage, lead: Lead, err: DeliveryError, now: datetime
    ) -> None:
        """The owner cannot be reached: on to their manager and the shared queue, now."""
        owner, config = lead.owner_id or "", self.deps.config
        lead.status, lead.owner_id = LeadStatus.QUEUED, None
        lead.snoozed_until = lead.snoozed_by = None
        lead.version += 1
        lead.next_action_at = plan_next(lead, config, self.deps.calendar)
        add_event(session, lead, LEADBOT, EventKind.DELIVERY_FAILED, now, to=owner, error=err.error)
        add_event(session, lead, LEADBOT, EventKind.QUEUED, now, previous_owner=owner,
                  reason="owner unreachable")  # fmt: skip
        session.flush()
        enqueue_card_updates(session, lead.id, now)
        enqueue_post(session, lead.id, CopyKind.QUEUE, config.channels.queue, now)
        rep = config.rep(owner)
        text = (
            f"📣 *{_name(lead)}* #{lead.id} could not reach {user(owner)} "
            f"(Slack said {_code(err.error)}): it is in the shared queue now."
        )
        manager = rep.manager if rep and rep.manager else None
        kind, target = (
            (CopyKind.DM, manager) if manager else (CopyKind.CHANNEL, config.channels.managers)
        )
        if target:
            enqueue_message(session, lead.id, kind, target, now, text=text, guard={"open": True})


def _owner_unreachable(row: OutboxMessage, lead: Lead) -> bool:
    """A DM to the lead's owner, while the lead still waits for them to claim it."""
    return (
        row.copy_kind == CopyKind.DM
        and row.target == lead.owner_id
        and lead.status == LeadStatus.ASSIGNED
    )


def _where(row: OutboxMessage, err: DeliveryError) -> str:
    if row.copy_kind == CopyKind.DM and row.target:
        return user(row.target)
    channel = err.channel or row.target or ""
    return f"<#{channel}>" if channel[:1] in ("C", "G") and channel.isalnum() else "that channel"


def _code(error: str) -> str:
    """Slack's error code as code: escaped, and no backtick of its own to end the span early."""
    shown = escape_truncated(error.replace("`", "'"), 100)
    return f"`{shown}`"


def _name(lead: Lead) -> str:
    return literal_truncated(lead.name or lead.email or lead.phone or "unnamed lead", 100)
