"""What the dispatcher writes back after each row: the copy it posted, the row sent or skipped,
or the failure and when to try again. The one place that records a result.

Each record is one small write transaction right after the Slack call, so the window in which a
crash could repeat a message stays tiny (chat.postMessage has no idempotency key).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.clock import Clock, as_utc
from bot.delivery.outbox import POST_CARD, DeliveryError, RetryPolicy, enqueue_card_updates
from bot.delivery.plan import Send
from bot.delivery.slack import Sent
from bot.vocabulary import CopyKind
from storage.db import Database
from storage.models import CardCopy, Lead, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)


# What follows a row given up, in the same transaction: (session, row, error, now).
GiveUp = Callable[[Session, OutboxMessage, DeliveryError, datetime], None]


class DeliveryLog:
    def __init__(self, db: Database, clock: Clock, retry: RetryPolicy) -> None:
        self.db = db
        self.clock = clock
        self.retry = retry
        self.on_give_up: GiveUp | None = None  # delivery/failures: tell, and move the lead on

    def record_sent(self, send: Send, sent: Sent) -> bool:
        """True when a redraw was queued: the lead changed while its new card was in flight."""
        if send.kind == POST_CARD and send.lead_id is not None:
            return self._record_post(send, sent)
        self._mark_sent(send.row_id, copy_id=send.copy_id, version=send.rendered.lead_version)
        return False

    def close(self, row_id: int, status: str) -> None:
        with self.db.write() as session:
            _close(session, row_id, self.clock.now(), status)

    def record_failure(self, row_id: int, err: DeliveryError) -> datetime | None:
        """Schedule the retry and return when it is due; None when the row is given up."""
        now = self.clock.now()
        with self.db.write() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None:
                return now
            if err.error != "held":
                row.attempts += 1
            row.locked_until = None
            row.last_error = err.error[:500]
            if err.permanent or now - as_utc(row.created_at) > self.retry.give_up_after:
                row.status = OutboxStatus.FAILED
                log.error("outbox row %s for lead %s failed: %s", row_id, row.lead_id, err.error)
                if self.on_give_up is not None:
                    # One transaction: nobody sees the row failed without what follows from it.
                    self.on_give_up(session, row, err, now)
                return None
            row.next_attempt_at = now + self.retry.delay(row.attempts, err.retry_after)
            log.warning(
                "outbox row %s: %s; retry %s at %s",
                row_id,
                err.error,
                row.attempts,
                row.next_attempt_at.isoformat(),
            )
            return row.next_attempt_at

    def _record_post(self, send: Send, sent: Sent) -> bool:
        assert send.lead_id is not None
        now = self.clock.now()
        with self.db.write() as session:
            # Lock the lead first: every change to a lead updates its row before it looks for
            # copies to refresh, so either that change sees this copy or we see its version.
            lead = session.get(Lead, send.lead_id, with_for_update=True, populate_existing=True)
            session.add(
                CardCopy(
                    lead_id=send.lead_id,
                    kind=send.copy_kind,
                    recipient=send.recipient if send.copy_kind == CopyKind.DM else None,
                    channel=sent.channel,
                    ts=sent.ts,
                    shown_version=send.rendered.lead_version,
                    posted_at=now,
                )
            )
            _close(session, send.row_id, now)
            # The lead changed while its card was in flight: that change saw no copy to update.
            stale = lead is not None and lead.version != send.rendered.lead_version
            if stale:
                session.flush()
                enqueue_card_updates(session, send.lead_id, now)
        return stale

    def _mark_sent(self, row_id: int, *, copy_id: int | None, version: int) -> None:
        now = self.clock.now()
        with self.db.write() as session:
            if copy_id is not None:
                session.execute(
                    update(CardCopy)
                    .where(CardCopy.id == copy_id, CardCopy.shown_version < version)
                    .values(shown_version=version)
                )
            _close(session, row_id, now)


def _close(session: Session, row_id: int, now: datetime, status: str = OutboxStatus.SENT) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=status, sent_at=now, locked_until=None, last_error=None)
    )
