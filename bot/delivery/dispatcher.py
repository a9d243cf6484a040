"""The outbox dispatcher: a thread that sends due outbox rows, woken after every commit."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, or_, select, update

from bot.clock import Clock, as_utc
from bot.delivery.log import DeliveryLog, delivery_error
from bot.delivery.outbox import (
    CardRenderer,
    DeliveryError,
    MessageRenderer,
    RenderedMessage,
    RetryPolicy,
)
from bot.vocabulary import LeadStatus
from storage.db import Database
from storage.models import CardCopy, DmChannel, Lead, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class _Job:
    kind: str  # post_card | update_card | message
    rendered: RenderedMessage
    channel: str  # a channel id, or a user id for DM copies not yet resolved
    ts: str | None  # set for updates
    copy_kind: str
    recipient: str | None
    lead_id: int | None
    copy_id: int | None


def _new_post(row: OutboxMessage, rendered: RenderedMessage) -> _Job:
    """A chat.postMessage job: to a channel, or to a user whose DM channel is looked up."""
    target = row.target or ""
    return _Job(
        row.kind, rendered, target, None, row.copy_kind or "dm", row.target, row.lead_id, None
    )


BATCH = 10  # small leases, so parallel workers share a burst


class Dispatcher:
    def __init__(
        self,
        db: Database,
        client: WebClient,
        clock: Clock,
        render: CardRenderer,
        render_message: MessageRenderer,
        *,
        retry: RetryPolicy | None = None,
        idle_wait: float = 5.0,
        workers: int = 2,
    ) -> None:
        self.db = db
        self.client = client
        self.clock = clock
        self.render = render
        self.render_message = render_message
        self.retry = retry or RetryPolicy()
        self.log = DeliveryLog(db, clock, self.retry)
        self.idle_wait = idle_wait
        # Each wake() lets one sender go: a burst of leads fans out, a single lead wakes one.
        self._signal = threading.Condition()
        self._pending_wakes = 0
        self._stop = threading.Event()
        self.workers = workers
        self._threads: list[threading.Thread] = []
        # conversations.open is Tier 3: remember DM channels here too, not only in the database.
        self._dm_cache: dict[str, str] = {}
        self.sent_count = 0
        self.failed_count = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Several senders: a slow Slack call for one channel does not hold up the others."""
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._loop, name=f"leadbot-outbox-{n}", daemon=True)
            for n in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._signal:
            self._signal.notify_all()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []

    def wake(self) -> None:
        with self._signal:
            self._pending_wakes += 1
            self._signal.notify()

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Block until no outbox row is pending (for the demo, tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        pending = select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
        while time.monotonic() < deadline:
            with self.db.read() as session:
                if session.scalar(pending.limit(1)) is None:
                    return True
            time.sleep(0.01)
        return False

    def _wait(self, timeout: float) -> None:
        with self._signal:
            if self._pending_wakes == 0 and not self._stop.is_set():
                self._signal.wait(timeout)
            self._pending_wakes = max(self._pending_wakes - 1, 0)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._signal:
                self._pending_wakes = 0  # this pass sees every row committed before it began
            try:
                sent = self.run_once()
            except Exception:  # the delivery thread must outlive a bad moment in the database
                log.exception("outbox pass failed; retrying on the next wake")
                sent = 0
            if sent == 0:
                self._wait(self._seconds_to_next_due())

    def _seconds_to_next_due(self) -> float:
        """Sleep until the earliest retry is due (or a wake, or the idle wait)."""
        try:
            with self.db.read() as session:
                due = session.scalar(
                    select(func.min(OutboxMessage.next_attempt_at)).where(
                        OutboxMessage.status == OutboxStatus.PENDING
                    )
                )
        except Exception:  # an unreachable database is retried on the idle wait
            log.exception("outbox: could not read the next due time")
            return self.idle_wait
        if due is None:
            return self.idle_wait
        return min(max(self._seconds_until(as_utc(due)), 0.005), self.idle_wait)

    # -- one pass --------------------------------------------------------------------------
    def run_once(self) -> int:
        """Send every due row once; returns how many rows were handled."""
        handled = 0
        while ids := self._lease_due():
            held: dict[str, datetime] = {}
            for row_id in ids:
                self._deliver(row_id, held)
            handled += len(ids)
        return handled

    def _lease_due(self) -> list[int]:
        now = self.clock.now()
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .where(OutboxMessage.next_attempt_at <= now)
            .where(or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
            .order_by(OutboxMessage.id)
            .limit(BATCH)
        )
        # Look before taking SQLite's single write lock: most passes find nothing to do.
        with self.db.read() as session:
            if session.scalar(due.limit(1)) is None:
                return []
        with self.db.write() as session:
            if not self.db.is_sqlite:
                due = due.with_for_update(skip_locked=True)
            ids = list(session.scalars(due))
            if ids:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(ids))
                    .values(locked_until=now + LEASE)
                )
        return ids

    def _deliver(self, row_id: int, held: dict[str, datetime]) -> None:
        try:
            self._send(row_id, held)
        except DeliveryError as err:
            if self.log.record_failure(row_id, err, held):
                self.failed_count += 1

    def _send(self, row_id: int, held: dict[str, datetime]) -> None:
        job = self._prepare(row_id)
        if job is None:
            return
        if job.channel in held:
            raise DeliveryError("held", retry_after=self._seconds_until(held[job.channel]))
        channel = job.channel
        try:
            if job.ts is None:
                channel = self._resolve_channel(job.copy_kind, job.channel)
                posted_ts = self._call("chat_postMessage", channel, None, job.rendered)
            else:
                self._call("chat_update", channel, job.ts, job.rendered)
        except DeliveryError as err:
            err.channel = channel
            raise
        if job.kind == "post_card" and job.lead_id is not None:
            where = (channel, posted_ts)
            if self.log.record_post(
                row_id, job.lead_id, job.copy_kind, job.recipient, where, job.rendered
            ):
                self.wake()
        else:
            self.log.mark_sent(row_id, copy_id=job.copy_id, version=job.rendered.lead_version)
        self.sent_count += 1

    def _prepare(self, row_id: int) -> _Job | None:
        """Read what to send, drawn from the lead's state now; None when nothing is left to do."""
        with self.db.read() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None or row.status != OutboxStatus.PENDING:
                return None
            lead = session.get(Lead, row.lead_id) if row.lead_id else None
            if row.kind == "message":
                return self._prepare_message(row, lead)
            if lead is None:
                raise DeliveryError("lead_gone", permanent=True)
            if row.kind == "post_card":
                rendered = self.render(session, lead, row.copy_kind or "dm", row.target)
                return _new_post(row, rendered)
            copy = session.get(CardCopy, row.card_copy_id) if row.card_copy_id else None
            if copy is None:
                raise DeliveryError("card_copy_gone", permanent=True)
            if copy.shown_version >= lead.version:
                self.log.mark_sent(row_id, copy_id=copy.id, version=copy.shown_version)
                return None
            rendered = self.render(session, lead, copy.kind, copy.recipient)
            return _Job(
                row.kind,
                rendered,
                copy.channel,
                copy.ts,
                copy.kind,
                copy.recipient,
                lead.id,
                copy.id,
            )

    def _prepare_message(self, row: OutboxMessage, lead: Lead | None) -> _Job | None:
        payload = row.payload or {}
        guard = payload.get("guard") or {}
        stale = lead is not None and (
            (guard.get("open") and lead.status not in LeadStatus.OPEN)
            or (guard.get("owner") and lead.owner_id != guard["owner"])
        )
        if stale:
            # Claimed (or moved on) since the step ran: the nudge would be wrong now.
            self.log.finish(row.id, status=OutboxStatus.CANCELLED)
            return None
        blocks = self.render_message(payload, row.lead_id)
        rendered = RenderedMessage(str(payload.get("text", "")), blocks, 0)
        return _new_post(row, rendered)

    def _seconds_until(self, moment: datetime) -> float:
        return max((moment - self.clock.now()).total_seconds(), 0.0)

    def _call(self, method: str, channel: str, ts: str | None, msg: RenderedMessage) -> str:
        kwargs = {"channel": channel, "text": msg.text, "blocks": msg.blocks}
        if ts is not None:
            kwargs["ts"] = ts
        try:
            response = getattr(self.client, method)(**kwargs)
        except SlackApiError as err:
            raise delivery_error(err) from err
        except Exception as err:  # connection refused, timeouts, garbage from a proxy
            raise DeliveryError(f"{type(err).__name__}: {err}"[:300]) from err
        return str(response.get("ts") or ts)

    def _resolve_channel(self, copy_kind: str, target: str) -> str:
        """DM copies are addressed to a user; Slack needs the DM channel id (cached)."""
        if copy_kind != "dm":
            return target
        if target in self._dm_cache:
            return self._dm_cache[target]
        with self.db.read() as session:
            cached = session.get(DmChannel, target)
            if cached:
                self._dm_cache[target] = cached.channel_id
                return cached.channel_id
        try:
            response = self.client.conversations_open(users=target)
        except SlackApiError as err:
            raise delivery_error(err) from err
        except Exception as err:
            raise DeliveryError(f"{type(err).__name__}: {err}"[:300]) from err
        channel_id = str(response["channel"]["id"])
        with self.db.write() as session:
            session.merge(DmChannel(user_id=target, channel_id=channel_id))
        self._dm_cache[target] = channel_id
        return channel_id
