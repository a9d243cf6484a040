"""The outbox dispatcher: one asyncio loop on its own thread sends due outbox rows, many calls in
flight on kept-alive connections, woken after every commit.

Database work is batched and Slack calls are not: a pass leases a batch of rows (most urgent
first, none in a lane waiting out its pace) in one transaction, plans them in one read
(`bot/delivery/plan.py`), starts one task per call (`bot/delivery/slack.py`, paced by
`bot/delivery/pacing.py`), and the recorder writes every result that came back meanwhile in one
transaction (`bot/delivery/log.py`). So Slack's pace and latency, not leadbot, bound delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

import aiohttp
import uvloop
from slack_sdk import WebClient
from sqlalchemy import func, or_, select

from bot.clock import Clock, as_utc
from bot.config.delivery import DeliverySettings
from bot.delivery.leases import Leases
from bot.delivery.log import DeliveryLog
from bot.delivery.outbox import (
    CardRenderer,
    MessageRenderer,
    RetryPolicy,
    TaskRenderer,
    WordsRenderer,
)
from bot.delivery.pacing import Pacer
from bot.delivery.permalinks import Workspace
from bot.delivery.plan import Planner
from bot.delivery.recent import recent_posts
from bot.delivery.sending import SendLoop
from bot.delivery.slack import SlackSender
from bot.delivery.slack_calls import counted_async
from bot.delivery.summaries import Summaries
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

T = TypeVar("T")

STOP_GRACE = 5.0  # calls still in flight at stop get this long; the rest are looked up later


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
        delivery: DeliverySettings | None = None,
        render_task: TaskRenderer | None = None,
        render_words: WordsRenderer | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.client = client  # its token, base URL and timeout; the calls go through aiohttp
        self.settings = delivery or DeliverySettings()
        self.planner = Planner(
            db, render, render_message, render_task, render_words, Workspace(client).address
        )
        self.log = DeliveryLog(db, clock, retry or RetryPolicy())
        self.leases = Leases(db, clock)
        self.leases.on_takeover = self.wake  # a dead sender's rows are free: take them now
        self.pacer = Pacer(self.settings, senders=lambda: self.leases.senders)
        self.summaries = Summaries(db, clock, self.leases.holder, self.settings)
        self.idle_wait = idle_wait
        self._thread: threading.Thread | None = None
        self._run: SendLoop | None = None
        self._stop = threading.Event()
        self.sent_count = 0
        self.failed_count = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self.leases.start()
        self._thread = threading.Thread(target=self._serve, name="leadbot-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=STOP_GRACE + 5)
            self._thread = None
        self.leases.stop()

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows (from any thread): the next pass
        leases without looking first."""
        run = self._run
        if run is not None:
            run.wake_threadsafe(written=True)

    def tick(self) -> None:
        """The scheduler's outbox tick (retries come due, rows another process wrote): the
        next pass looks before it leases, as most ticks find nothing."""
        run = self._run
        if run is not None:
            run.wake_threadsafe()

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Block until no outbox row is pending (for the demo, tests and benchmarks). A row
        scheduled for later and never tried (a card held for quiet hours) is not waited for;
        a row waiting to be retried is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = select(OutboxMessage.id).where(
                OutboxMessage.status == OutboxStatus.PENDING,
                or_(
                    OutboxMessage.attempts > 0,
                    OutboxMessage.next_attempt_at <= self.clock.now(),
                ),
            )
            with self.db.read() as session:
                if session.scalar(pending.limit(1)) is None:
                    return True
            time.sleep(0.01)
        return False

    def run_once(self) -> int:
        """Send every due row now, on a loop of its own (tests, and a stopped dispatcher)."""
        return _run(self._drain())

    # -- the loop ----------------------------------------------------------------------------
    def _serve(self) -> None:
        _run(self._serve_async())

    async def _serve_async(self) -> None:
        async with self._connected() as run:
            self._run = run
            try:
                while not self._stop.is_set():
                    run.woken.clear()
                    try:
                        await run.fill()
                    except Exception:  # the delivery loop must outlive a bad moment
                        log.exception("outbox pass failed; retrying on the next wake")
                        run.took_all = True  # not again at once: at a wake or the next due
                    if run.full():  # a call finishing wakes the loop
                        await run.sleep(self.idle_wait)
                    elif run.took_all:
                        waiting = (list(run.busy), list(run.in_hand))
                        due = await asyncio.to_thread(self._seconds_to_next_due, *waiting)
                        await run.sleep(due)
            finally:
                self._run = None
                await run.finish(STOP_GRACE)

    async def _drain(self) -> int:
        handled = 0
        async with self._connected(recorder=False) as run:
            while True:
                leased = await run.fill()
                await run.finish(None)
                handled += leased
                if leased == 0 and not run.busy:
                    return handled
                if leased == 0:  # only lanes waiting out their pace are left: wait for them
                    await asyncio.sleep(max(min(run.busy.values()) - time.monotonic(), 0))

    @contextlib.asynccontextmanager
    async def _connected(self, *, recorder: bool = True) -> AsyncIterator[SendLoop]:
        limit = self.settings.in_flight + 4
        connector = aiohttp.TCPConnector(limit=limit, keepalive_timeout=30)
        async with aiohttp.ClientSession(connector=connector) as session:
            client = counted_async(
                self.client,
                session=session,
                retry_handlers=[],  # a retried post could be a doubled post: leadbot decides
            )
            sender = SlackSender(self.db, client, self.pacer)
            await sender.load_known_dms()
            recent = await asyncio.to_thread(recent_posts, self.db, self.clock, self.settings)
            if recent is not None:
                self.pacer.seed(recent)
            run = SendLoop(self, sender)
            if recorder:
                run.start_recorder()
            yield run

    def _seconds_to_next_due(self, busy: list[str], in_hand: list[int]) -> float:
        """Sleep until the earliest row this loop could take is due (or a wake, a lane's pace,
        or the idle wait): not one in a lane waiting out its pace, nor one already in hand,
        which would wake the loop every few milliseconds for nothing."""
        # Not a row another sender holds: it would wake this loop every few ms while that
        # sender's calls are in flight. Its rows, if it dies, come with a wake (on_takeover).
        now = self.clock.now()
        query = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
        )
        if busy:
            lane = OutboxMessage.lane
            query = query.where(or_(lane.is_(None), lane.not_in(busy)))
        if in_hand:
            query = query.where(OutboxMessage.id.not_in(in_hand))
        try:
            with self.db.read() as session:
                due = session.scalar(query)
        except Exception:  # an unreachable database is retried on the idle wait
            log.exception("outbox: could not read the next due time")
            return self.idle_wait
        if due is None:
            return self.idle_wait
        wait = (as_utc(due) - now).total_seconds()
        return min(max(wait, 0.005), self.idle_wait)


def _run(main: Coroutine[Any, Any, T]) -> T:
    """`main` on an event loop of its own: uvloop's, as uvicorn's server runs (its loop
    and aiohttp's transports on it cost less of each call's time than asyncio's own)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
