"""What an outbox row asks Slack for, decided from the lead's state now: the one place that
decides what is sent. It only reads; the dispatcher sends, and `DeliveryLog` records the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.delivery.outbox import (
    MESSAGE,
    POST_CARD,
    CardRenderer,
    DeliveryError,
    MessageRenderer,
    RenderedMessage,
)
from bot.vocabulary import CopyKind, LeadStatus
from storage.db import Database
from storage.models import CardCopy, Lead, OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Send:
    """One Slack call: a `chat.postMessage` (no `ts`) or a `chat.update` of a posted copy."""

    row_id: int
    kind: str  # post_card | update_card | message
    rendered: RenderedMessage
    channel: str  # a channel id, or the user id of a DM copy not yet resolved to its channel
    ts: str | None
    copy_kind: str  # a CopyKind, as stored
    recipient: str | None  # the user a DM copy is for
    lead_id: int | None
    copy_id: int | None  # the copy an update redraws


@dataclass(frozen=True)
class Skip:
    """Nothing to send; the row is closed with `status`."""

    status: str


class Planner:
    def __init__(self, db: Database, render: CardRenderer, render_message: MessageRenderer):
        self.db = db
        self.render = render
        self.render_message = render_message

    def plan(self, row_id: int) -> Send | Skip | None:
        """None: the row is no longer pending (another sender finished it). Raises a permanent
        DeliveryError when the row cannot be sent at all (its lead or card copy is gone)."""
        with self.db.read() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None or row.status != OutboxStatus.PENDING:
                return None
            lead = session.get(Lead, row.lead_id) if row.lead_id else None
            if row.kind == MESSAGE:
                return self._message(row, lead)
            if lead is None:
                raise DeliveryError("lead_gone", permanent=True)
            if row.kind == POST_CARD:
                rendered = self.render(session, lead, row.copy_kind or CopyKind.DM, row.target)
                return _post(row, rendered)
            return self._update(session, row, lead)

    def _update(self, session: Session, row: OutboxMessage, lead: Lead) -> Send | Skip:
        copy = session.get(CardCopy, row.card_copy_id) if row.card_copy_id else None
        if copy is None:
            raise DeliveryError("card_copy_gone", permanent=True)
        if copy.shown_version >= lead.version:
            return Skip(OutboxStatus.SENT)  # an earlier update already drew this version
        rendered = self.render(session, lead, copy.kind, copy.recipient)
        return Send(
            row.id,
            row.kind,
            rendered,
            copy.channel,
            copy.ts,
            copy.kind,
            copy.recipient,
            lead.id,
            copy.id,
        )

    def _message(self, row: OutboxMessage, lead: Lead | None) -> Send | Skip:
        payload: dict[str, Any] = row.payload or {}
        if lead is not None and _guard_broken(payload.get("guard") or {}, lead):
            # Claimed (or moved on) since the step ran: the nudge would be wrong now.
            return Skip(OutboxStatus.CANCELLED)
        blocks = self.render_message(payload, row.lead_id)
        return _post(row, RenderedMessage(str(payload.get("text", "")), blocks, 0))


def _guard_broken(guard: dict[str, Any], lead: Lead) -> bool:
    """What a nudge said must still hold when it is sent: the lead is unclaimed (`open`), it is
    still this rep's (`owner`)."""
    if guard.get("open") and lead.status not in LeadStatus.OPEN:
        return True
    return bool(guard.get("owner")) and lead.owner_id != guard["owner"]


def _post(row: OutboxMessage, rendered: RenderedMessage) -> Send:
    """A chat.postMessage: to a channel, or to a user whose DM channel is looked up."""
    copy_kind = row.copy_kind or CopyKind.DM
    target = row.target or ""
    return Send(row.id, row.kind, rendered, target, None, copy_kind, row.target, row.lead_id, None)
