"""Durable delivery of Slack calls.

The transaction that changes a lead writes outbox rows; the dispatcher sends them right after
commit (it is woken, not polled) and retries with backoff. A row is leased before sending so two
dispatchers (two `leadbot serve` processes) never send the same row. `chat.postMessage` has no
idempotency key, so the window between "Slack answered" and "row marked sent" is kept to one
small transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Insert,
    Integer,
    SmallInteger,
    String,
    bindparam,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot.delivery.lanes import DM_MESSAGE, REDRAW, message_priority, post_priority
from bot.vocabulary import CopyKind
from storage.bulk import add_row
from storage.models import CardCopy, Lead, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

# What a row asks for (`outbox.kind`).
POST_CARD = "post_card"  # a new copy of a lead's card
UPDATE_CARD = "update_card"  # redraw a posted copy from the lead's state now
MESSAGE = "message"  # a reminder or escalation, drawn from its payload
TASK_CARD = "task_card"  # a follow-up task's card, to its owner's DM (payload: task_id)
TASK_REDRAW = "task_redraw"  # redraw a posted task card from the task's state now

# Slack errors that will not go away by waiting: retrying them only delays the alarm.
PERMANENT_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_blocks",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "user_not_found",
    "cant_update_message",
    "message_not_found",
    "msg_too_long",
    "no_text",
    "user_disabled",
    "user_not_visible",
    "cannot_dm_bot",
    "restricted_action",
    "render_error",  # leadbot could not draw the message: drawing it again gives the same
}


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    blocks: list[dict[str, Any]]
    lead_version: int
    # A task card drawn without its outreach template (it failed for this lead): why, with the
    # file and line. The delivery log tells the admins once the card is posted.
    problem: str | None = None


# Renders a card copy from the lead's current state and its nudges (from the event log, read for
# a whole batch at once): (lead, copy_kind, recipient, nudges).
CardRenderer = Callable[[Lead, str, str | None, tuple[Any, ...]], RenderedMessage]
# Draws a task's card: (task, its lead, the lead's touches so far) -> the message.
# (task, lead, touches, moved): `moved` draws the card a task left behind with its old owner.
TaskRenderer = Callable[[Any, Lead, Sequence[Any], bool], RenderedMessage]
# Draws a plain message's blocks from its outbox payload: (payload, lead id).
MessageRenderer = Callable[[dict[str, Any], int | None], list[dict[str, Any]]]
# Draws the words of a step's message (its payload's `say`) from the lead at the step's moment:
# (say, lead, moment) -> (words, the admins' alert if the admin's template failed, else None).
WordsRenderer = Callable[[dict[str, Any], Lead, datetime], tuple[str, str | None]]


@dataclass(frozen=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(minutes=5)
    give_up_after: timedelta = timedelta(hours=24)

    def delay(self, attempts: int, retry_after: float | None) -> timedelta:
        if retry_after is not None:
            return timedelta(seconds=retry_after)  # Slack said when: no longer than that
        return min(self.base * (2 ** max(attempts - 1, 0)), self.cap)


def enqueue_post(
    session: Session,
    lead_id: int,
    copy_kind: str,
    target: str,
    now: datetime,
    *,
    urgent: bool = False,
    not_before: datetime | None = None,
) -> None:
    """Post a new copy of a lead's card: to a user's DM (`dm`) or to a channel. `urgent`: the
    lead is of the hottest tier, so its DM card goes before every other. `not_before`: a DM
    card held for the person's quiet hours; it goes only if the lead is still theirs then."""
    held = not_before is not None and not_before > now
    add_row(
        session,
        OutboxMessage,
        lead_id=lead_id,
        kind=POST_CARD,
        copy_kind=copy_kind,
        target=target,
        lane=target,
        priority=post_priority(copy_kind, urgent=urgent),
        created_at=now,
        next_attempt_at=not_before if held else now,
        payload={"guard": {"owner": target}} if held else None,
    )


def enqueue_card_updates(session: Session, lead_id: int, now: datetime) -> None:
    """Re-render every posted copy of the lead's card (copies not yet posted render fresh)."""
    enqueue_card_updates_for(session, [lead_id], now)


def enqueue_card_updates_for(session: Session, lead_ids: list[int], now: datetime) -> None:
    if lead_ids:
        session.execute(_REDRAWS, {"ids": lead_ids, "now": now})


def _redraws() -> Insert:
    """A redraw row for every posted copy of the leads `ids`: one INSERT … SELECT (a sweep
    redraws hundreds of cards), the copies never read into Python."""
    now = bindparam("now", type_=DateTime(timezone=True))
    copies = (
        select(
            CardCopy.lead_id,
            literal(UPDATE_CARD, String),
            CardCopy.id,
            CardCopy.channel,
            literal(REDRAW, SmallInteger),
            literal(OutboxStatus.PENDING, String),
            literal(0, Integer),
            literal(False, Boolean),
            now,
            now,
        )
        .where(CardCopy.lead_id.in_(bindparam("ids", expanding=True)))
        .order_by(CardCopy.id)
    )
    columns = ["lead_id", "kind", "card_copy_id", "lane", "priority", "status", "attempts",
               "maybe_sent", "created_at", "next_attempt_at"]  # fmt: skip
    return insert(OutboxMessage.__table__).from_select(columns, copies)


_REDRAWS = _redraws()


class DeliveryError(Exception):
    """A Slack call that did not succeed. `retry_after`: Slack's 429 said when to try again;
    `permanent`: waiting will not fix it; `maybe_sent`: no answer came back (a timeout, a lost
    connection, a 5xx), so the message may be in Slack already."""

    def __init__(
        self,
        error: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        maybe_sent: bool = False,
    ):
        super().__init__(error)
        self.error = error
        self.retry_after = retry_after
        self.permanent = permanent
        self.maybe_sent = maybe_sent
        self.channel: str | None = None


def enqueue_message(
    session: Session,
    lead_id: int | None,
    copy_kind: str,
    target: str,
    now: datetime,
    *,
    text: str,
    buttons: tuple[str, ...] = (),
    lines: list[str] | None = None,
    guard: dict[str, Any] | None = None,
    alert: bool = False,
    digest: bool = False,
    not_before: datetime | None = None,
    prebuilt: list[dict[str, Any]] | None = None,
    file: dict[str, str] | None = None,
    redraw: bool = False,
    say: dict[str, Any] | None = None,
) -> None:
    """A plain message (reminder, escalation), drawn into blocks when it is sent: `text` (mrkdwn,
    escaped already), optional `lines` (a list under it) and `buttons` ("claim", "snooze").
    `guard` says what must still hold at send time: `{"open": True}` the lead is unclaimed,
    `{"owner": "U…"}` it still belongs to that rep. `alert`: a message to the admins about a
    delivery that failed (if it fails too, only the log says so: no alert about an alert).
    `digest`: a summary that may wait behind everything else. `not_before`: held until then
    (the person's quiet hours). `prebuilt`: blocks drawn already (Slack JSON; an agenda).
    `file`: share this file instead (the digest's chart: name, title, base64 png). `redraw`:
    once delivered (or given up), its lead's cards are redrawn (an escalation step's message:
    the card then says it went out). `say`: words drawn when it is sent, from the lead as it is
    then (an escalation step's template and extras: bot/escalation/words.py), before `text`."""
    add_row(
        session,
        OutboxMessage,
        lead_id=lead_id,
        kind=MESSAGE,
        copy_kind=copy_kind,
        target=target,
        lane=target,
        priority=message_priority(target, alert=alert, digest=digest),
        created_at=now,
        next_attempt_at=max(not_before, now) if not_before is not None else now,
        payload={
            "text": text,
            "buttons": list(buttons),
            "lines": lines or [],
            "guard": guard or {},
            "alert": alert,
            **({"blocks": prebuilt} if prebuilt is not None else {}),
            **({"file": file} if file is not None else {}),
            **({"redraw": True} if redraw else {}),
            **({"say": say} if say is not None else {}),
        },
    )


def cancel_pending_messages(session: Session, lead_id: int, now: datetime) -> list[str]:
    """A claim makes every nudge about the lead that has not gone out yet wrong: drop them now,
    in the claim's own transaction (the dispatcher also re-checks each guard before sending).
    Returns whom the dropped nudges were for: the card must not say they were nudged."""
    dropped = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.lead_id == lead_id,
            OutboxMessage.kind == MESSAGE,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED, sent_at=now)
        .returning(OutboxMessage.target)
    )
    return [str(target) for target in dropped.scalars() if target]


def enqueue_task_card(
    session: Session, lead_id: int, task_id: int, owner: str, now: datetime,
    not_before: datetime | None = None,
) -> None:  # fmt: skip
    """A task's card for its owner, drawn when sent (and not sent if the task closed first)."""
    add_row(
        session,
        OutboxMessage,
        lead_id=lead_id,
        kind=TASK_CARD,
        copy_kind=CopyKind.DM,
        target=owner,
        lane=owner,
        priority=DM_MESSAGE,
        created_at=now,
        next_attempt_at=max(not_before, now) if not_before is not None else now,
        payload={"task_id": task_id},
    )


def enqueue_task_redraws(session: Session, task_ids: list[int], now: datetime) -> None:
    """Redraw posted task cards (done, skipped, moved, cancelled): one chat.update each."""
    for task_id in task_ids:
        _task_redraw(session, {"task_id": task_id}, now)


def enqueue_moved_task_card(
    session: Session, task_id: int, channel: str, ts: str, now: datetime
) -> None:
    """The card a task left in its old owner's DM when its lead changed hands: redrawn once to
    say where it went (the task's own card is posted afresh to the new owner)."""
    _task_redraw(session, {"task_id": task_id, "moved": {"channel": channel, "ts": ts}}, now)


def _task_redraw(session: Session, payload: dict[str, Any], now: datetime) -> None:
    add_row(
        session,
        OutboxMessage,
        lead_id=None,
        kind=TASK_REDRAW,
        copy_kind=CopyKind.DM,
        target=None,
        lane=None,
        priority=REDRAW,
        created_at=now,
        next_attempt_at=now,
        payload=payload,
    )
