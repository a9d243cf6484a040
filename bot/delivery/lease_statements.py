"""The outbox lease's statements (bot/delivery/leases.py), built once: building one costs more
than SQLite takes to run it, and every pass of the dispatcher runs them."""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, Select, Update, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningUpdate

from bot.delivery.lanes import URGENT_DM_CARD
from bot.delivery.outbox import UPDATE_CARD
from storage.models import Instance, OutboxMessage, OutboxStatus

_OUTBOX = OutboxMessage.__table__.c
# The holders that beat within STALE (bot/delivery/leases.py)
LIVE = select(Instance.id).where(Instance.seen_at >= bindparam("alive_since"))
# id, kind, locked_by and locked_until as they were before this lease, priority
Due = tuple[int, str, str | None, datetime | None, int]
Shape = tuple[bool, bool, bool]  # busy lanes, rows in hand, urgent lanes: see due_query


def free_to_take(
    locked_until: ColumnElement[datetime | None], locked_by: ColumnElement[str | None]
) -> ColumnElement[bool]:
    """A leased row another holder may take (the outbox's, a CRM write's): unleased, expired,
    or held by a holder gone silent, never this one (a clock that jumps in tests must not make
    a process take rows from its own other sender). Binds `now`, `holder`, `alive_since`."""
    return or_(
        locked_until.is_(None),
        locked_until < bindparam("now"),
        locked_by.is_(None),
        and_(locked_by != bindparam("holder"), locked_by.not_in(LIVE)),
    )


@functools.cache
def due_query(busy: bool, in_hand: bool, urgent: bool, *, lock: bool) -> Select[Due]:
    """Due rows, most urgent first: unleased, expired, or held by a holder gone silent; none in
    a `busy` lane (waiting out its pace), none `in_hand` (leased here, not recorded yet: never
    taken twice, even when a test's clock jumps past their lease), and only urgent DM cards in
    an `urgent` lane."""
    due = (
        select(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.locked_by,
            OutboxMessage.locked_until,
            OutboxMessage.priority,
        )
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .where(OutboxMessage.next_attempt_at <= bindparam("now"))
        .where(free_to_take(OutboxMessage.locked_until, OutboxMessage.locked_by))
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .limit(bindparam("limit"))
    )
    if busy:
        lane = OutboxMessage.lane
        due = due.where(or_(lane.is_(None), lane.not_in(bindparam("busy", expanding=True))))
    if in_hand:
        due = due.where(OutboxMessage.id.not_in(bindparam("in_hand", expanding=True)))
    if urgent:
        lane = OutboxMessage.lane
        due = due.where(
            or_(
                lane.is_(None),
                lane.not_in(bindparam("urgent", expanding=True)),
                OutboxMessage.priority == URGENT_DM_CARD,
            )
        )
    return due.with_for_update(of=OutboxMessage, skip_locked=True) if lock else due


LEASE_ROWS = (
    update(OutboxMessage.__table__)
    .where(_OUTBOX.id.in_(bindparam("ids", expanding=True)))
    .values(
        locked_until=bindparam("until"),
        locked_by=bindparam("holder"),
        # Taken from another holder: it may have sent the row before it died.
        maybe_sent=_OUTBOX.maybe_sent | _OUTBOX.locked_by.is_not(None),
    )
)


@functools.cache
def lease_due(busy: bool, in_hand: bool, urgent: bool) -> ReturningUpdate[Due]:
    """PostgreSQL: the due rows locked (skipping rows another sender holds) and leased in one
    statement, answering what each row was before: taken from another holder, it may have
    been sent by it (`maybe_sent`, `unsure_since`)."""
    due = due_query(busy, in_hand, urgent, lock=True).cte("due")
    return (
        update(OutboxMessage.__table__)
        .where(_OUTBOX.id == due.c.id)
        .values(
            locked_until=bindparam("until"),
            locked_by=bindparam("holder"),
            maybe_sent=_OUTBOX.maybe_sent | due.c.locked_by.is_not(None),
        )
        .returning(due.c.id, due.c.kind, due.c.locked_by, due.c.locked_until, due.c.priority)
    )


def _superseded_redraws() -> Update:
    """A redraw draws the lead's state when it is sent, so one leased redraw of a posted copy
    stands for every other waiting redraw of it: those are closed, and Slack gets one
    `chat.update` of the latest state instead of one per change."""
    leased = _OUTBOX.id.in_(bindparam("leased", expanding=True))
    redraw = _OUTBOX.kind == UPDATE_CARD
    copies = select(_OUTBOX.card_copy_id).where(leased, redraw)
    keep = select(func.max(_OUTBOX.id)).where(leased, redraw).group_by(_OUTBOX.card_copy_id)
    return (
        update(OutboxMessage.__table__)
        .where(
            redraw,
            _OUTBOX.status == OutboxStatus.PENDING,
            _OUTBOX.card_copy_id.in_(copies),
            _OUTBOX.id.not_in(keep),
            or_(_OUTBOX.locked_by.is_(None), leased),
        )
        .values(
            status=OutboxStatus.SENT, sent_at=bindparam("now"), locked_until=None, locked_by=None
        )
    )


DROP_SUPERSEDED = _superseded_redraws()


def free(session: Session, row_ids: Collection[int]) -> None:
    """Give leased rows back unsent, due again as they were (their lane waits out its pace)."""
    if row_ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(row_ids)))
            .values(locked_until=None, locked_by=None)
        )
