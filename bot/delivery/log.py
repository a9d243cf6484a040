"""What the dispatcher writes back after each Slack call: the copy it posted, the row sent, or
the failure and when to try again. Each is one small write transaction, right after the call, so
the window in which a crash could repeat a message stays tiny (chat.postMessage has no
idempotency key)."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.clock import Clock, as_utc
from bot.delivery.outbox import (
    PERMANENT_ERRORS,
    DeliveryError,
    RenderedMessage,
    RetryPolicy,
    enqueue_card_updates,
)
from storage.db import Database
from storage.models import CardCopy, Lead, OutboxMessage, OutboxStatus

log = logging.getLogger("bot.dispatcher")


class DeliveryLog:
    def __init__(self, db: Database, clock: Clock, retry: RetryPolicy) -> None:
        self.db = db
        self.clock = clock
        self.retry = retry

    def record_post(
        self,
        row_id: int,
        lead_id: int,
        copy_kind: str,
        recipient: str | None,
        where: tuple[str, str],
        rendered: RenderedMessage,
    ) -> bool:
        """Store the posted copy; True when the lead changed meanwhile (an update is queued)."""
        channel, ts = where
        now = self.clock.now()
        with self.db.write() as session:
            # Lock the lead first: every change to a lead updates its row before it looks for
            # copies to refresh, so either that change sees this copy or we see its version.
            lead = session.get(Lead, lead_id, with_for_update=True, populate_existing=True)
            session.add(
                CardCopy(
                    lead_id=lead_id,
                    kind=copy_kind,
                    recipient=recipient if copy_kind == "dm" else None,
                    channel=channel,
                    ts=ts,
                    shown_version=rendered.lead_version,
                    posted_at=now,
                )
            )
            close(session, row_id, now)
            # The lead changed while its card was in flight: that change saw no copy to update.
            stale = lead is not None and lead.version != rendered.lead_version
            if stale:
                session.flush()
                enqueue_card_updates(session, lead_id, now)
        return stale

    def mark_sent(self, row_id: int, *, copy_id: int | None, version: int) -> None:
        now = self.clock.now()
        with self.db.write() as session:
            if copy_id is not None:
                session.execute(
                    update(CardCopy)
                    .where(CardCopy.id == copy_id, CardCopy.shown_version < version)
                    .values(shown_version=version)
                )
            close(session, row_id, now)

    def finish(self, row_id: int, *, status: str) -> None:
        with self.db.write() as session:
            close(session, row_id, self.clock.now(), status)

    def record_failure(self, row_id: int, err: DeliveryError, held: dict[str, datetime]) -> bool:
        """Schedule the retry (holding the channel on 429); True when the row is given up."""
        now = self.clock.now()
        with self.db.write() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None:
                return False
            if err.error != "held":
                row.attempts += 1
            row.locked_until = None
            row.last_error = err.error[:500]
            if err.permanent or now - as_utc(row.created_at) > self.retry.give_up_after:
                row.status = OutboxStatus.FAILED
                log.error("outbox row %s for lead %s failed: %s", row_id, row.lead_id, err.error)
                return True
            row.next_attempt_at = now + self.retry.delay(row.attempts, err.retry_after)
            if err.retry_after is not None and err.channel:
                held[err.channel] = row.next_attempt_at
            log.warning(
                "outbox row %s: %s; retry %s at %s",
                row_id,
                err.error,
                row.attempts,
                row.next_attempt_at.isoformat(),
            )
            return False


def close(session: Session, row_id: int, now: datetime, status: str = OutboxStatus.SENT) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=status, sent_at=now, locked_until=None, last_error=None)
    )


def delivery_error(err: SlackApiError) -> DeliveryError:
    """Slack's answer as a retry decision: outage (5xx), 429 with Retry-After, or permanent."""
    response = err.response
    status = getattr(response, "status_code", 200)
    error = str(response.get("error") if hasattr(response, "get") else "") or f"http_{status}"
    retry_after: float | None = None
    if status >= 500:
        error = f"http_{status}"  # an outage page, not a Slack error code
    if status == 429:
        headers = response.headers or {}
        header = headers.get("Retry-After") or headers.get("retry-after")
        retry_after = float(header) if header else 1.0
        error = "ratelimited"
    return DeliveryError(error, retry_after=retry_after, permanent=error in PERMANENT_ERRORS)
