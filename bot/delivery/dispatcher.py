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
from collections.abc import AsyncIterator

import aiohttp
from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from bot.clock import Clock, as_utc
from bot.config.delivery import DeliverySettings
from bot.delivery.leases import Leases
from bot.delivery.log import Closed, Delivered, DeliveryLog, Failed, Released, Result
from bot.delivery.outbox import CardRenderer, DeliveryError, MessageRenderer, RetryPolicy
from bot.delivery.pacing import POST, Pacer
from bot.delivery.plan import Plan, Planner, Send, Skip
from bot.delivery.slack import SlackSender
from bot.delivery.summaries import Summaries
from bot.vocabulary import CopyKind
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

# A row whose lane is free within this long waits in memory for its moment; a later one goes
# back to the table, and its lane is left out of leases until then.
HORIZON = 1.0
RECORD_GATHER = 0.01  # seconds the recorder waits for more results before it writes
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
    ) -> None:
        self.db = db
        self.clock = clock
        self.client = client  # its token, base URL and timeout; the calls go through aiohttp
        self.settings = delivery or DeliverySettings()
        self.planner = Planner(db, render, render_message)
        self.log = DeliveryLog(db, clock, retry or RetryPolicy())
        self.leases = Leases(db, clock)
        self.pacer = Pacer(self.settings)
        self.summaries = Summaries(db, clock, self.leases.holder, self.settings)
        self.idle_wait = idle_wait
        self._thread: threading.Thread | None = None
        self._run: _Run | None = None
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
        """Called after a commit that wrote outbox rows (from any thread)."""
        run = self._run
        if run is not None:
            run.wake_threadsafe()

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

    def run_once(self) -> int:
        """Send every due row now, on a loop of its own (tests, and a stopped dispatcher)."""
        return asyncio.run(self._drain())

    # -- the loop ----------------------------------------------------------------------------
    def _serve(self) -> None:
        asyncio.run(self._serve_async())

    async def _serve_async(self) -> None:
        async with self._connected() as run:
            self._run = run
            try:
                while not self._stop.is_set():
                    run.woken.clear()
                    try:
                        leased = await run.fill()
                    except Exception:  # the delivery loop must outlive a bad moment
                        log.exception("outbox pass failed; retrying on the next wake")
                        leased = 0
                    if leased == 0 or run.full():
                        await run.sleep(await asyncio.to_thread(self._seconds_to_next_due))
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
    async def _connected(self, *, recorder: bool = True) -> AsyncIterator[_Run]:
        limit = self.settings.in_flight + 4
        connector = aiohttp.TCPConnector(limit=limit, keepalive_timeout=30)
        async with aiohttp.ClientSession(connector=connector) as session:
            client = AsyncWebClient(
                token=self.client.token,
                base_url=self.client.base_url,
                timeout=self.client.timeout,
                session=session,
                retry_handlers=[],  # a retried post could be a doubled post: leadbot decides
            )
            run = _Run(self, SlackSender(self.db, client, self.pacer))
            if recorder:
                run.start_recorder()
            yield run

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
        wait = (as_utc(due) - self.clock.now()).total_seconds()
        return min(max(wait, 0.005), self.idle_wait)


class _Run:
    """One event loop's sending state: calls in flight, results to record, lanes waiting."""

    def __init__(self, dispatcher: Dispatcher, sender: SlackSender) -> None:
        self.d = dispatcher
        self.sender = sender
        self.loop = asyncio.get_running_loop()
        self.woken = asyncio.Event()
        self.results: asyncio.Queue[Result] = asyncio.Queue()
        self.tasks: set[asyncio.Task[None]] = set()
        self.busy: dict[str, float] = {}  # lane -> monotonic moment its pace frees it
        self.in_hand: set[int] = set()  # leased here, result not recorded yet
        self.recorder: asyncio.Task[None] | None = None

    def wake_threadsafe(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to wake
            self.loop.call_soon_threadsafe(self.woken.set)

    def full(self) -> bool:
        return len(self.tasks) >= self.d.settings.in_flight

    async def sleep(self, seconds: float) -> None:
        now = time.monotonic()
        frees = [until - now for until in self.busy.values()]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.woken.wait(), min([seconds, *frees]))

    async def fill(self) -> int:
        """Lease what there is room for, and start each call."""
        room = self.d.settings.in_flight - len(self.tasks)
        if room <= 0:
            return 0
        now = time.monotonic()
        self.busy = {lane: until for lane, until in self.busy.items() if until > now}
        taking = (room, list(self.busy), list(self.in_hand))
        ids, plans = await asyncio.to_thread(self._lease_and_plan, *taking)
        if not ids:
            return 0
        deferred: dict[str, list[int]] = {}
        for row_id in ids:
            plan = plans[row_id]
            if isinstance(plan, Skip):
                self.results.put_nowait(Closed(row_id, plan.status, plan.reason))
            elif isinstance(plan, DeliveryError):
                self.results.put_nowait(Failed(row_id, plan))
            elif isinstance(plan, Send):
                self._start(plan, deferred)
        await self._defer(deferred)
        return len(ids)

    def _lease_and_plan(
        self, room: int, busy: list[str], in_hand: list[int]
    ) -> tuple[list[int], dict[int, Plan]]:
        """One hop to a worker thread for both: each hop is latency a lone lead's card pays."""
        ids = self.d.leases.take(room, busy, in_hand)
        if not ids:
            return [], {}
        self.in_hand.update(ids)  # before planning: a failed plan leaves them in hand, leased
        return ids, self.d.planner.plan(ids)

    def _start(self, send: Send, deferred: dict[str, list[int]]) -> None:
        method = "chat.update" if send.ts else POST
        wait = self.d.pacer.wait_for(method, send.lane)
        if wait > HORIZON and send.lane not in self.busy:
            self.busy[send.lane] = time.monotonic() + wait
        if send.lane in self.busy:
            key = send.lane if send.ts is None and send.copy_kind != CopyKind.DM else ""
            deferred.setdefault(key, []).append(send.row_id)
            return
        # Booked now, in lease order: the most urgent row of a lane gets its earliest moment.
        booked = self.sender.direct(send)
        delay = self.d.pacer.reserve(method, send.lane) if booked else 0.0
        task = asyncio.create_task(self._send(send, delay, booked))
        self.tasks.add(task)
        task.add_done_callback(self._done)

    async def _defer(self, deferred: dict[str, list[int]]) -> None:
        """Rows whose lane is waiting go back; a channel whose backlog would take too long at
        its pace gets a summary instead (`bot/delivery/summaries.py`)."""
        for lane, row_ids in deferred.items():
            if lane:
                await asyncio.to_thread(self.d.summaries.defer, lane, row_ids)
                self.in_hand.difference_update(row_ids)
            else:
                for row_id in row_ids:
                    self.results.put_nowait(Released(row_id))

    async def _send(self, send: Send, delay: float, booked: bool) -> None:
        try:
            await asyncio.sleep(delay)
            result: Result = Delivered(send, await self.sender.send(send, booked=booked))
        except DeliveryError as err:
            result = Failed(send.row_id, err)
        except Exception as err:  # a bug must not leave the row leased until restart
            log.exception("outbox row %s: the send failed", send.row_id)
            result = Failed(send.row_id, DeliveryError(type(err).__name__, maybe_sent=True))
        self.results.put_nowait(result)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self.woken.set()  # room for another call

    def start_recorder(self) -> None:
        self.recorder = asyncio.create_task(self._record_forever())

    async def _record_forever(self) -> None:
        while True:
            batch = [await self.results.get()]
            # A moment for the calls answering alongside it: one write transaction for them all,
            # not one each (on SQLite, intake waits for the same write lock).
            await asyncio.sleep(RECORD_GATHER)
            while not self.results.empty():
                batch.append(self.results.get_nowait())
            await self._record(batch)

    async def _record(self, batch: list[Result]) -> None:
        try:
            more = await asyncio.to_thread(self.d.log.record, batch)
        except Exception:  # the rows stay leased; their lease runs out and they go again
            log.exception("outbox: %d results could not be recorded", len(batch))
            self.in_hand.difference_update(_row_id(result) for result in batch)
            return
        self.in_hand.difference_update(_row_id(result) for result in batch)
        for result in batch:
            if isinstance(result, Delivered):
                self.d.sent_count += 1
            elif isinstance(result, Failed) and result.error.retry_after is None:
                self.d.failed_count += 1
        if more:
            self.woken.set()

    async def finish(self, grace: float | None) -> None:
        """Wait for the calls in flight (up to `grace`), then record what came back."""
        if self.tasks:
            _, pending = await asyncio.wait(set(self.tasks), timeout=grace)
            for task in pending:  # their rows stay leased: looked up in Slack's history later
                task.cancel()
        if self.recorder is not None:
            self.recorder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.recorder
            self.recorder = None
        batch = []
        while not self.results.empty():
            batch.append(self.results.get_nowait())
        if batch:
            await self._record(batch)
        if self.in_hand:  # cut off mid-call: handed back, to be looked up before a new post
            await asyncio.to_thread(self.d.leases.release, list(self.in_hand))
            self.in_hand.clear()


def _row_id(result: Result) -> int:
    return result.send.row_id if isinstance(result, Delivered) else result.row_id
