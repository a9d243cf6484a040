"""The outbox dispatcher: sender threads that send due outbox rows, woken after every commit.

Each row goes one way: the planner decides what to send from the lead's state now
(`bot/delivery/plan.py`), `SlackSender` makes the call (`bot/delivery/slack.py`), and the
delivery log records what happened (`bot/delivery/log.py`).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.clock import Clock, as_utc
from bot.delivery.leases import Leases
from bot.delivery.log import DeliveryLog
from bot.delivery.outbox import CardRenderer, DeliveryError, MessageRenderer, RetryPolicy
from bot.delivery.plan import Planner, Send, Skip
from bot.delivery.slack import SlackSender
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

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
        self.clock = clock
        self.planner = Planner(db, render, render_message)
        self.sender = SlackSender(db, client)
        self.log = DeliveryLog(db, clock, retry or RetryPolicy())
        self.leases = Leases(db, clock)
        self.idle_wait = idle_wait
        # Each wake() lets one sender go: a burst of leads fans out, a single lead wakes one.
        self._signal = threading.Condition()
        self._pending_wakes = 0
        self._stop = threading.Event()
        self.workers = workers
        self._threads: list[threading.Thread] = []
        self.sent_count = 0
        self.failed_count = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Several senders: a slow Slack call for one channel does not hold up the others."""
        self._stop.clear()
        self.leases.start()
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
        self.leases.stop()

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
        while ids := self.leases.take(BATCH):
            held: dict[str, datetime] = {}  # channels Slack rate-limited during this batch
            for row_id in ids:
                self._deliver(row_id, held)
            handled += len(ids)
        return handled

    def _deliver(self, row_id: int, held: dict[str, datetime]) -> None:
        """Plan, send, record: one row, straight through."""
        try:
            step = self._plan(row_id)
            if step is None:
                return
            if isinstance(step, Skip):
                self.log.close(row_id, step.status)
                return
            if step.channel in held:
                raise DeliveryError("held", retry_after=self._seconds_until(held[step.channel]))
            sent = self.sender.send(step)
        except DeliveryError as err:
            self._failed(row_id, err, held)
            return
        if self.log.record_sent(step, sent):
            self.wake()  # the lead changed while its card was in flight: a redraw is queued
        self.sent_count += 1

    def _plan(self, row_id: int) -> Send | Skip | None:
        try:
            return self.planner.plan(row_id)
        except DeliveryError:
            raise
        except Exception as err:
            # Drawing it again would fail again: a poison row, given up at once, so it holds up
            # neither itself (retried for ever) nor the rest of its batch.
            log.exception("outbox row %s: the message could not be drawn", row_id)
            raise DeliveryError("render_error", permanent=True) from err

    def _failed(self, row_id: int, err: DeliveryError, held: dict[str, datetime]) -> None:
        retry_at = self.log.record_failure(row_id, err)
        if retry_at is None:
            self.failed_count += 1
            self.wake()  # giving up may have queued more: an alert, the lead's queue card
        elif err.retry_after is not None and err.channel:
            held[err.channel] = retry_at  # a 429 holds the rest of the batch for this channel

    def _seconds_until(self, moment: datetime) -> float:
        return max((moment - self.clock.now()).total_seconds(), 0.0)
