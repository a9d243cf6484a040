"""What the dispatcher writes back after its Slack calls: the copies it posted, rows sent or
skipped, failures and when to try again, rows handed back unsent. The one place that records a
result.

Results are recorded in batches, one small write transaction for every call that finished
meanwhile (chat.postMessage has no idempotency key, so the window between Slack's answer and the
record stays short; a row that may have been sent is checked against Slack before it is sent
again, see `delivery.history`). Should a batch fail, each result is recorded on its own,
so one bad result holds up no other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot.clock import Clock, as_utc
from bot.delivery.lease_statements import free
from bot.delivery.outbox import (
    POST_CARD,
    DeliveryError,
    RetryPolicy,
    enqueue_card_updates_for,
    enqueue_task_redraws,
)
from bot.delivery.plan import Send
from bot.delivery.slack import Sent
from bot.leads.events import LEADBOT, add_event_for
from bot.vocabulary import CopyKind, EventKind
from storage.bulk import add_row, collected
from storage.db import Database
from storage.followup import Task
from storage.models import CardCopy, Lead, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


# What follows a row given up, in the same transaction: (session, row, error, now).
GiveUp = Callable[[Session, OutboxMessage, DeliveryError, datetime], None]
# (session, lead id, task id, problem, now)
TemplateProblem = Callable[[Session, int, int, str, datetime], None]
# (session, lead id, the admins' alert, now)
WordsProblem = Callable[[Session, int | None, str, datetime], None]


@dataclass(frozen=True)
class Delivered:
    send: Send
    sent: Sent


@dataclass(frozen=True)
class Closed:
    row_id: int
    status: str
    reason: str | None = None  # a nudge dropped at send time: why (the card stops claiming it)


@dataclass(frozen=True)
class Failed:
    row_id: int
    error: DeliveryError


@dataclass(frozen=True)
class Released:
    row_id: int


Result = Delivered | Closed | Failed | Released


class DeliveryLog:
    def __init__(self, db: Database, clock: Clock, retry: RetryPolicy) -> None:
        self.db = db
        self.clock = clock
        self.retry = retry
        self.on_give_up: GiveUp | None = None  # delivery/failures: tell, and move the lead on
        # followup/template_alert: a task card posted without its template; tell the admins
        self.on_template_problem: TemplateProblem | None = None
        # A step message's words fell back to the built-in ones: (session, lead id, alert, now).
        self.on_words_problem: WordsProblem | None = None

    def record(self, results: Sequence[Result]) -> bool:
        """True when more rows were queued meanwhile (a redraw of a card that changed while it
        was in flight, what follows a row given up): the dispatcher should look again."""
        try:
            with self.db.write() as session:
                return self._record(session, results)
        except Exception:
            if len(results) == 1:
                raise
            log.warning("outbox: recording %d results failed; one by one", len(results))
        more = False
        for result in results:
            try:
                with self.db.write() as session:
                    more = self._record(session, [result]) or more
            except Exception:  # this row stays leased and goes out again after its lease
                log.exception("outbox: could not record the result of %s", result)
        return more

    def _record(self, session: Session, results: Sequence[Result]) -> bool:
        now = self.clock.now()
        more = False
        # Lock the leads of new posts first, in id order (no deadlock between two instances):
        # every change to a lead updates its row before it looks for copies to refresh, so
        # either that change sees the new copy or we see its version.
        posts = [r for r in results if isinstance(r, Delivered) and _is_post(r.send)]
        lead_ids = sorted({r.send.lead_id for r in posts if r.send.lead_id is not None})
        versions = dict(session.execute(_VERSIONS, {"ids": lead_ids}).all()) if lead_ids else {}
        # Rows closed in one statement per status; a row someone else recorded first (its lease
        # ran out and another sender found it in Slack) is left alone, and so is its copy.
        closing: dict[str, list[int]] = {}
        for result in results:
            if isinstance(result, Delivered):
                closing.setdefault(OutboxStatus.SENT, []).append(result.send.row_id)
            elif isinstance(result, Closed):
                closing.setdefault(result.status, []).append(result.row_id)
        closed = {
            row_id
            for status, row_ids in closing.items()
            for row_id in _close_all(session, row_ids, now, status)
        }
        free(session, [r.row_id for r in results if isinstance(r, Released)])
        stale: set[int] = set()
        with collected(session):  # the new copies: one INSERT
            for result in results:
                delivered = isinstance(result, Delivered) and result.send.row_id in closed
                if delivered and self._delivered(session, result, versions, now):
                    stale.add(result.send.lead_id or 0)
                if delivered and result.send.redraw:  # a step's message is out: say so
                    stale.add(result.send.lead_id or 0)
                if delivered:
                    self._words_problem(session, result.send, now)
        # Their lead changed while these cards were in flight: that change saw no copy to update.
        enqueue_card_updates_for(session, sorted(stale), now)
        more = bool(stale)
        # Failures after every copy of this batch is stored: giving a row up can change its
        # lead (queued, reassigned), and the copies that change redraws must include those.
        for result in results:
            if isinstance(result, Failed):
                more = self._failed(session, result.row_id, result.error, now) or more
        # Last, so the copies posted in this batch are among those redrawn without the nudge.
        dropped = {r.row_id: r.reason for r in results if isinstance(r, Closed) and r.reason}
        noted = _note_dropped(session, {i: why for i, why in dropped.items() if i in closed}, now)
        return more or noted

    def _words_problem(self, session: Session, send: Send, now: datetime) -> None:
        problem = send.rendered.problem
        if problem and send.task_id is None and self.on_words_problem is not None:
            self.on_words_problem(session, send.lead_id, problem, now)

    def _delivered(
        self, session: Session, result: Delivered, versions: dict[int, int], now: datetime
    ) -> bool:
        """What a sent row leaves behind: the copy it posted, or the version a redraw shows.
        True when the lead changed while its card was in flight (the copy needs a redraw)."""
        send, sent = result.send, result.sent
        if send.task_id is not None:
            return self._task_drawn(session, send, sent, now)
        if not _is_post(send):
            if send.copy_id is not None:
                session.execute(
                    update(CardCopy)
                    .where(CardCopy.id == send.copy_id)
                    .where(CardCopy.shown_version < send.rendered.lead_version)
                    .values(shown_version=send.rendered.lead_version)
                )
            return False
        assert send.lead_id is not None
        add_row(
            session,
            CardCopy,
            lead_id=send.lead_id,
            kind=send.copy_kind,
            recipient=send.recipient if send.copy_kind == CopyKind.DM else None,
            channel=sent.channel,
            ts=sent.ts,
            shown_version=send.rendered.lead_version,
            posted_at=now,
        )
        return versions.get(send.lead_id, send.rendered.lead_version) != send.rendered.lead_version

    def _task_drawn(self, session: Session, send: Send, sent: Sent, now: datetime) -> bool:
        """A task card posted or redrawn: where it is and which task version it shows. A task
        that changed while its card was in flight gets a redraw (nothing else would)."""
        shown = send.rendered.lead_version  # the task's version, for a task card
        values: dict[str, object] = {"shown_version": shown}
        if send.ts is None:
            values.update(card_channel=sent.channel, card_ts=sent.ts)
        session.execute(
            update(Task).where(Task.id == send.task_id, Task.shown_version < shown).values(**values)
        )
        row = session.execute(
            select(Task.version, Task.step).where(Task.id == send.task_id)
        ).one_or_none()
        if send.ts is not None or row is None:
            return False
        version, step = row
        if send.lead_id is not None:
            add_event_for(session, send.lead_id, LEADBOT, EventKind.TASK_DUE, now,
                          task=send.task_id, step=step)  # fmt: skip
            problem = send.rendered.problem
            if problem and send.task_id and self.on_template_problem is not None:
                self.on_template_problem(session, send.lead_id, send.task_id, problem, now)
        if version != shown:
            enqueue_task_redraws(session, [send.task_id or 0], now)
            return True
        return False

    def _failed(self, session: Session, row_id: int, err: DeliveryError, now: datetime) -> bool:
        """Schedule the retry, or give the row up; True when giving up queued more."""
        row = session.get(OutboxMessage, row_id)
        if row is None:
            return False
        if err.retry_after is None:
            row.attempts += 1  # a 429 is pacing, not a failed attempt
        row.locked_until, row.locked_by = None, None
        row.maybe_sent = row.maybe_sent or err.maybe_sent
        row.last_error = err.error[:500]
        if err.permanent or now - as_utc(row.created_at) > self.retry.give_up_after:
            row.status = OutboxStatus.FAILED
            log.error("outbox row %s for lead %s failed: %s", row_id, row.lead_id, err.error)
            if self.on_give_up is not None:
                # One transaction: nobody sees the row failed without what follows from it.
                self.on_give_up(session, row, err, now)
            if (row.payload or {}).get("redraw") and row.lead_id is not None:
                # The step's card redraw waited for this message, which will not go out.
                enqueue_card_updates_for(session, [row.lead_id], now)
            return True
        row.next_attempt_at = now + self.retry.delay(row.attempts, err.retry_after)
        log.warning(
            "outbox row %s: %s; retry %s at %s",
            row_id,
            err.error,
            row.attempts,
            row.next_attempt_at.isoformat(),
        )
        return False


def _is_post(send: Send) -> bool:
    return send.kind == POST_CARD and send.lead_id is not None


# Built once: every recorded batch runs them.
_OUTBOX = OutboxMessage.__table__.c
_VERSIONS = (
    select(Lead.id, Lead.version)
    .where(Lead.id.in_(bindparam("ids", expanding=True)))
    .order_by(Lead.id)
    .with_for_update()
)
_CLOSE = (
    update(OutboxMessage.__table__)
    .where(
        _OUTBOX.id.in_(bindparam("ids", expanding=True)),
        _OUTBOX.status == OutboxStatus.PENDING,
    )
    .values(
        status=bindparam("status"),
        sent_at=bindparam("now"),
        locked_until=None,
        locked_by=None,
        last_error=None,
    )
    .returning(_OUTBOX.id)
)


def _close_all(session: Session, row_ids: list[int], now: datetime, status: str) -> list[int]:
    """Close the rows still pending; returns those it closed."""
    closed = session.execute(_CLOSE, {"ids": row_ids, "now": now, "status": status})
    return list(closed.scalars())


def _note_dropped(session: Session, reasons: dict[int, str], now: datetime) -> bool:
    """A nudge the step wrote but that was not sent (the lead was claimed or moved on before it
    went out): its event says so, and the card is redrawn without it. True if so."""
    if not reasons:
        return False
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.lead_id, OutboxMessage.target).where(
            OutboxMessage.id.in_(list(reasons)), OutboxMessage.lead_id.is_not(None)
        )
    ).all()
    for row_id, lead_id, target in rows:
        add_event_for(
            session,
            lead_id,
            LEADBOT,
            EventKind.NUDGE_DROPPED,
            now,
            to=target,
            reason=reasons[row_id],
        )
    leads = sorted({lead_id for _, lead_id, _ in rows})
    # A new version: the redraw must not be skipped as "this version is already shown".
    session.execute(update(Lead).where(Lead.id.in_(leads)).values(version=Lead.version + 1))
    session.flush()
    enqueue_card_updates_for(session, leads, now)
    return bool(rows)
