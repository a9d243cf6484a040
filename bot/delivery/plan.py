"""What outbox rows ask Slack for, decided from the leads' state now: the one place that decides
what is sent. It only reads; the dispatcher sends, and `DeliveryLog` records the result.

A batch is planned in one read transaction with one query per table (rows, leads, copies,
nudges), and a lead's card is drawn once for all the copies that show it alike.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.delivery.cards import nudges_by_lead
from bot.delivery.lanes import DM_CARD
from bot.delivery.outbox import (
    MESSAGE,
    POST_CARD,
    TASK_CARD,
    TASK_REDRAW,
    CardRenderer,
    DeliveryError,
    MessageRenderer,
    RenderedMessage,
    TaskRenderer,
    WordsRenderer,
)
from bot.delivery.permalinks import with_card_links
from bot.vocabulary import CopyKind, LeadStatus, TaskStatus
from storage.db import Database
from storage.followup import Task, Touch
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
    # time.monotonic() after which no earlier attempt can still post it: a history read that
    # began later tells whether one did (delivery.history). By default when it was planned,
    # after its lease; earlier when the lease knows better (Leases.unsure_since).
    unsure_since: float = field(default_factory=time.monotonic)
    priority: int = DM_CARD  # the row's (bot/delivery/lanes.py): lower goes first
    task_id: int | None = None  # a task card (its posted place and shown version are the task's)
    # A file shared instead of a message (the digest's chart): {"name", "title", "png" (base64)}
    file: dict[str, str] | None = None
    redraw: bool = False  # once delivered, the lead's cards are redrawn (an escalation's message)

    @property
    def looked_up_first(self) -> bool:
        """A post an earlier attempt may have made: its channel's history is read before it is
        posted (slack.py). A redraw needs no read, and a file that may have gone is not sent
        again at all."""
        return self.maybe_sent and self.ts is None and self.file is None


@dataclass(frozen=True)
class Skip:
    """Nothing to send; the row is closed with `status` (and a nudge dropped says why)."""

    status: str
    reason: str | None = None


Plan = Send | Skip | DeliveryError | None  # None: no longer pending (another sender did it)


class Planner:
    def __init__(
        self,
        db: Database,
        render: CardRenderer,
        render_message: MessageRenderer,
        render_task: TaskRenderer | None = None,
        render_words: WordsRenderer | None = None,
        workspace: Callable[[], str | None] | None = None,
    ) -> None:
        self.db = db
        self.render = render
        self.render_message = render_message
        self.render_task = render_task
        self.render_words = render_words
        self.workspace = workspace  # its address, for a summary's links to DM cards

    def plan(self, row_ids: Sequence[int]) -> dict[int, Plan]:
        """Each row's plan. A row that cannot be sent at all (its lead or card copy is gone)
        gets a permanent DeliveryError; one that cannot be drawn, a `render_error`."""
        with self.db.read() as session:
            rows = list(session.scalars(_ROWS, {"ids": list(row_ids)}))
            tasks, touches = _tasks_of(session, rows)
            # A task card's redraw names its task only: its lead is drawn too.
            lead_ids = {row.lead_id for row in rows if row.lead_id is not None}
            lead_ids |= {task.lead_id for task in tasks.values()}
            leads = {lead.id: lead for lead in session.scalars(_LEADS, {"ids": list(lead_ids)})}
            copy_ids = [row.card_copy_id for row in rows if row.card_copy_id is not None]
            copies = (
                {c.id: c for c in session.scalars(_COPIES, {"ids": copy_ids})}
                if copy_ids
                else {}  # new posts only: nothing to ask
            )
            batch = _Batch(self, session, leads, copies, nudges_by_lead(session, lead_ids))
            batch.tasks, batch.touches = tasks, touches
            plans: dict[int, Plan] = {row_id: None for row_id in row_ids}
            for row in rows:
                plans[row.id] = batch.plan(row)
        return plans


# Built once: building a statement costs about as much as SQLite runs it (lease_statements.py).
_ROWS = select(OutboxMessage).where(OutboxMessage.id.in_(bindparam("ids", expanding=True)))
_LEADS = select(Lead).where(Lead.id.in_(bindparam("ids", expanding=True)))
_COPIES = select(CardCopy).where(CardCopy.id.in_(bindparam("ids", expanding=True)))


class _Batch:
    def __init__(
        self,
        planner: Planner,
        session: Session,
        leads: dict[int, Lead],
        copies: dict[int, CardCopy],
        nudges: dict[int, tuple[Any, ...]],
    ) -> None:
        self.planner = planner
        self.session = session
        self.leads = leads
        self.copies = copies
        self.nudges = nudges
        self.drawn: dict[tuple[int, str, str | None], RenderedMessage] = {}
        self.tasks: dict[int, Task] = {}
        self.touches: dict[int, list[Touch]] = {}

    def plan(self, row: OutboxMessage) -> Plan:
        if row.status != OutboxStatus.PENDING:
            return None
        lead = self.leads.get(row.lead_id) if row.lead_id is not None else None
        try:
            if row.kind == MESSAGE:
                return self._message(row, lead)
            if row.kind in (TASK_CARD, TASK_REDRAW):
                return self._task(row, lead)
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

    def _task(self, row: OutboxMessage, lead: Lead | None) -> Send | Skip:
        task = self.tasks.get(int((row.payload or {}).get("task_id") or 0))
        if task is None or self.planner.render_task is None:
            raise DeliveryError("task_gone", permanent=True)
        lead = lead or self.leads.get(task.lead_id)
        if lead is None:
            raise DeliveryError("lead_gone", permanent=True)
        touches = self.touches.get(lead.id, [])
        if row.kind == TASK_CARD:
            if task.status != TaskStatus.OPEN or task.card_ts is not None:
                return Skip(OutboxStatus.CANCELLED)  # done before its card went, or posted
            if row.target != task.owner_id:
                return Skip(OutboxStatus.CANCELLED)  # the lead changed hands while it waited
            rendered = self.planner.render_task(task, lead, touches, False)
            return replace(_post(row, rendered), task_id=task.id)
        moved = (row.payload or {}).get("moved")
        if isinstance(moved, dict):
            # The old owner's card: no task_id on the Send, so the task's own card (the new
            # owner's) keeps its place and version.
            rendered = self.planner.render_task(task, lead, touches, True)
            channel, ts = str(moved.get("channel")), str(moved.get("ts"))
            return Send(row.id, row.kind, rendered, channel, ts, CopyKind.DM, None, lead.id,
                        None, lane=channel, priority=row.priority)  # fmt: skip
        if task.card_ts is None or task.card_channel is None:
            return Skip(OutboxStatus.CANCELLED)  # never posted: nothing to redraw
        if task.shown_version >= task.version:
            return Skip(OutboxStatus.SENT)
        rendered = self.planner.render_task(task, lead, touches, False)
        return Send(
            row.id, row.kind, rendered, task.card_channel, task.card_ts, CopyKind.DM,
            task.owner_id, lead.id, None, lane=task.card_channel, priority=row.priority,
            task_id=task.id,
        )  # fmt: skip

    def _message(self, row: OutboxMessage, lead: Lead | None) -> Send | Skip:
        payload: dict[str, Any] = row.payload or {}
        guard = payload.get("guard") or {}
        if "task" in guard:
            task = self.tasks.get(int(guard["task"] or 0))
            if task is None or task.status != TaskStatus.OPEN:
                return Skip(OutboxStatus.CANCELLED)  # the task was done or moved meanwhile
        broken = _guard_broken(guard, lead) if lead is not None else None
        if broken:
            # Claimed (or moved on) since the step ran: the nudge would be wrong now.
            return Skip(OutboxStatus.CANCELLED, broken)
        problem = None
        if payload.get("say") is not None:  # a step's words, drawn now from the lead
            payload, problem = _with_words(self.planner.render_words, row, payload, lead)
        if payload.get("summary") and self.planner.workspace is not None:
            address = self.planner.workspace()
            summary = with_card_links(self.session, payload["summary"], address)
            payload = {**payload, "summary": summary}
        blocks = self.planner.render_message(payload, row.lead_id)
        rendered = RenderedMessage(str(payload.get("text", "")), blocks, 0, problem=problem)
        send = _post(row, rendered)
        file = payload.get("file")
        if isinstance(file, dict):
            send = replace(send, file=file)
        if payload.get("redraw") and row.lead_id is not None:
            send = replace(send, redraw=True)
        return send


def _with_words(
    render: WordsRenderer | None, row: OutboxMessage, payload: dict[str, Any], lead: Lead | None
) -> tuple[dict[str, Any], str | None]:
    if lead is None:
        raise DeliveryError("lead_gone", permanent=True)
    if render is None:
        raise DeliveryError("render_error", permanent=True)  # a dispatcher without the words
    words, problem = render(payload["say"], lead, as_utc(row.created_at))
    return {**payload, "text": words + str(payload.get("text") or "")}, problem


def _tasks_of(
    session: Session, rows: list[OutboxMessage]
) -> tuple[dict[int, Task], dict[int, list[Touch]]]:
    """The tasks these rows draw or are guarded by, and their leads' touches: one query each."""
    ids = {int(task_id) for row in rows if (task_id := _task_id(row))}
    if not ids:
        return {}, {}
    tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(ids)))}
    drawn = {t.lead_id for t in tasks.values()}
    touches: dict[int, list[Touch]] = {}
    for touch in session.scalars(
        select(Touch).where(Touch.lead_id.in_(drawn)).order_by(Touch.at, Touch.id)
    ):
        touches.setdefault(touch.lead_id, []).append(touch)
    return tasks, touches


def _task_id(row: OutboxMessage) -> object:
    payload = row.payload or {}
    return payload.get("task_id") or (payload.get("guard") or {}).get("task")


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
