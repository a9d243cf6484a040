"""What outbox rows ask Slack for, decided from the leads' state now: the one place that decides
what is sent. It only reads; the dispatcher sends, and `DeliveryLog` records the result.

A batch is planned in one read transaction with one query per table (rows, leads, copies,
nudges), and a lead's card is drawn once for all the copies that show it alike.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.clock import as_utc
from bot.delivery.cards import nudges_by_lead
from bot.delivery.lanes import DM_CARD
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

log = logging.getLogger(__name__)


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
    lane: str = ""  # what the call is paced on (bot/delivery/lanes.py)
    maybe_sent: bool = False  # an earlier attempt may have posted it: look before posting
    created_at: datetime | None = None
    # time.monotonic() when planned, after the row was leased: a history read that began later
    # can tell whether an earlier attempt posted it (delivery.history)
    planned_at: float = field(default_factory=time.monotonic)
    priority: int = DM_CARD  # the row's (bot/delivery/lanes.py): lower goes first


@dataclass(frozen=True)
class Skip:
    """Nothing to send; the row is closed with `status` (and a nudge dropped says why)."""

    status: str
    reason: str | None = None


Plan = Send | Skip | DeliveryError | None  # None: no longer pending (another sender did it)


class Planner:
    def __init__(self, db: Database, render: CardRenderer, render_message: MessageRenderer):
        self.db = db
        self.render = render
        self.render_message = render_message

    def plan(self, row_ids: Sequence[int]) -> dict[int, Plan]:
        """Each row's plan. A row that cannot be sent at all (its lead or card copy is gone)
        gets a permanent DeliveryError; one that cannot be drawn, a `render_error`."""
        with self.db.read() as session:
            rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(row_ids))))
            lead_ids = {row.lead_id for row in rows if row.lead_id is not None}
            leads = {
                lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(lead_ids)))
            }
            copy_ids = [row.card_copy_id for row in rows if row.card_copy_id is not None]
            copies = (
                {
                    c.id: c
                    for c in session.scalars(select(CardCopy).where(CardCopy.id.in_(copy_ids)))
                }
                if copy_ids
                else {}  # new posts only: nothing to ask
            )
            batch = _Batch(self, leads, copies, nudges_by_lead(session, lead_ids))
            plans: dict[int, Plan] = {row_id: None for row_id in row_ids}
            for row in rows:
                plans[row.id] = batch.plan(row)
        return plans


class _Batch:
    def __init__(
        self,
        planner: Planner,
        leads: dict[int, Lead],
        copies: dict[int, CardCopy],
        nudges: dict[int, tuple[Any, ...]],
    ) -> None:
        self.planner = planner
        self.leads = leads
        self.copies = copies
        self.nudges = nudges
        self.drawn: dict[tuple[int, str, str | None], RenderedMessage] = {}

    def plan(self, row: OutboxMessage) -> Plan:
        if row.status != OutboxStatus.PENDING:
            return None
        lead = self.leads.get(row.lead_id) if row.lead_id is not None else None
        try:
            if row.kind == MESSAGE:
                return self._message(row, lead)
            if lead is None:
                return DeliveryError("lead_gone", permanent=True)
            if row.kind == POST_CARD:
                return self._new_copy(row, lead)
            return self._update(row, lead)
        except DeliveryError as err:
            return err
        except Exception as err:
            # Drawing it again would fail again: a poison row, given up at once, so it holds up
            # neither itself (retried for ever) nor the rest of its batch.
            log.exception("outbox row %s: the message could not be drawn", row.id)
            error = DeliveryError("render_error", permanent=True)
            error.__cause__ = err
            return error

    def _card(self, lead: Lead, copy_kind: str, recipient: str | None) -> RenderedMessage:
        key = (lead.id, copy_kind, recipient if copy_kind == CopyKind.DM else None)
        if key not in self.drawn:
            nudges = self.nudges.get(lead.id, ())
            self.drawn[key] = self.planner.render(lead, copy_kind, recipient, nudges)
        return self.drawn[key]

    def _new_copy(self, row: OutboxMessage, lead: Lead) -> Send | Skip:
        # A card held through its owner's quiet hours carries a guard: if the lead went to
        # someone else meanwhile, posting it at 9:00 would wake them for a lead not theirs.
        # No reason given: that would take back a reminder the card names (NUDGE_DROPPED).
        guard = (row.payload or {}).get("guard") or {}
        if _guard_broken(guard, lead):
            return Skip(OutboxStatus.CANCELLED)
        return _post(row, self._card(lead, row.copy_kind or CopyKind.DM, row.target))

    def _update(self, row: OutboxMessage, lead: Lead) -> Send | Skip:
        copy = self.copies.get(row.card_copy_id) if row.card_copy_id else None
        if copy is None:
            raise DeliveryError("card_copy_gone", permanent=True)
        if copy.shown_version >= lead.version:
            return Skip(OutboxStatus.SENT)  # an earlier update already drew this version
        rendered = self._card(lead, copy.kind, copy.recipient)
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
            lane=copy.channel,
            priority=row.priority,
        )

    def _message(self, row: OutboxMessage, lead: Lead | None) -> Send | Skip:
        payload: dict[str, Any] = row.payload or {}
        broken = _guard_broken(payload.get("guard") or {}, lead) if lead is not None else None
        if broken:
            # Claimed (or moved on) since the step ran: the nudge would be wrong now.
            return Skip(OutboxStatus.CANCELLED, broken)
        blocks = self.planner.render_message(payload, row.lead_id)
        return _post(row, RenderedMessage(str(payload.get("text", "")), blocks, 0))


def _guard_broken(guard: dict[str, Any], lead: Lead) -> str | None:
    """What a nudge said must still hold when it is sent: the lead is unclaimed (`open`), it is
    still this rep's (`owner`). Why it no longer holds, or None."""
    if guard.get("open") and lead.status not in LeadStatus.OPEN:
        return f"lead {lead.status}"
    if guard.get("owner") and lead.owner_id != guard["owner"]:
        return "lead moved on"
    return None


def _post(row: OutboxMessage, rendered: RenderedMessage) -> Send:
    """A chat.postMessage: to a channel, or to a user whose DM channel is looked up."""
    copy_kind = row.copy_kind or CopyKind.DM
    target = row.target or ""
    return Send(
        row.id,
        row.kind,
        rendered,
        target,
        None,
        copy_kind,
        row.target,
        row.lead_id,
        None,
        lane=row.lane or target,
        maybe_sent=row.maybe_sent,
        created_at=as_utc(row.created_at),
        priority=row.priority,
    )
