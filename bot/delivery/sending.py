"""One event loop's sending state for the dispatcher (`bot/delivery/dispatcher.py`): the calls
in flight, the results waiting to be recorded, the lanes waiting out their pace.

A pass (`fill`) leases and plans what there is room for in one worker-thread hop, books each
call's moment in the pace and starts it as a task; the recorder writes what came back in
batches. Rows whose lane is busy go back to the table (or, for a channel's backlog, into a
summary), and whatever is still in hand at stop is handed back, to be looked up before it is
posted again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.delivery.lanes import URGENT_DM_CARD
from bot.delivery.log import Closed, Delivered, Failed, Released, Result
from bot.delivery.outbox import DeliveryError
from bot.delivery.pacing import POST
from bot.delivery.plan import Plan, Send, Skip
from bot.delivery.slack import SlackSender
from bot.vocabulary import CopyKind

if TYPE_CHECKING:
    from bot.delivery.dispatcher import Dispatcher

log = logging.getLogger(__name__)

# A row whose lane is free within this long waits in memory for its moment; a later one goes
# back to the table, and its lane is left out of leases until then. Measured before `Booking`
# let an urgent post take a booked moment (bench/burst_bench.py): with 1 s, a rep's DM held a
# second of warm cards ahead of a hot one (hot DM p50 1.05 s, p99 2.17 s); with 0.2 s, rows went
# back and forth (drain 1.27x the ideal); 0.5 s: hot p50 0.57-0.64 s, drain 1.14-1.15x.
HORIZON = 0.5
RECORD_GATHER = 0.01  # seconds the recorder waits for more results before it writes


@dataclass(eq=False)
class Booking:
    """A moment booked in a channel's pace for a post, and the post that will use it. Until the
    moment comes, a more urgent post leased later takes it from a less urgent one: the same
    moments, used in a better order, so Slack sees the same pace. Without this, a hot lead's
    card went out after the warm cards booked on the rep's DM before it was leased (up to
    HORIZON's worth; tests/delivery/test_delivery_core.py shows the order)."""

    send: Send


class SendLoop:
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
        self.tried_here: set[int] = set()  # rows this loop's own post may have reached
        self.booked: dict[str, list[Booking]] = {}  # lane -> posts yet to leave, by moment
        self.last_in_lane: dict[str, asyncio.Task[None]] = {}  # lane -> its latest call
        self.recorder: asyncio.Task[None] | None = None
        # The last pass took fewer rows than it had room for: nothing else was due then, and
        # what comes due later comes with a wake (intake, the recorder) or is timed by the
        # next-due read. Leasing again at once only found nothing, three times a card
        # (PostgreSQL's log, bench/intake_bench.py): the loop sleeps instead.
        self.took_all = False
        # Woken by a commit that wrote rows: the next pass leases at once, without SQLite's
        # look first (`Leases.take`), a read transaction on the way of every card.
        self.written = False

    def wake_threadsafe(self, *, written: bool = False) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to wake
            self.loop.call_soon_threadsafe(self._wake, written)

    def _wake(self, written: bool) -> None:
        self.written = self.written or written
        self.woken.set()

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
        self.took_all = False
        if room <= 0:
            return 0
        written, self.written = self.written, False
        now = time.monotonic()
        self.busy = {lane: until for lane, until in self.busy.items() if until > now}
        # A busy lane with a less urgent post booked: an urgent DM card may still take its moment.
        urgent = [lane for lane in self.busy if self._least_urgent(lane) > URGENT_DM_CARD]
        closed = [lane for lane in self.busy if lane not in urgent]
        taking = (room, closed, list(self.in_hand), urgent, not written)
        ids, plans = await asyncio.to_thread(self._lease_and_plan, *taking)
        self.took_all = len(ids) < room
        if not ids:
            return 0
        deferred: dict[str, list[int]] = {}
        for row_id in start_order(ids, plans):
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
        self, room: int, busy: list[str], in_hand: list[int], urgent: list[str], look: bool
    ) -> tuple[list[int], dict[int, Plan]]:
        """One hop to a worker thread for both: each hop is latency a lone lead's card pays."""
        ids = self.d.leases.take(room, busy, in_hand, urgent, look_first=look)
        if not ids:
            return [], {}
        self.in_hand.update(ids)  # before planning: a failed plan leaves them in hand, leased
        plans = self.d.planner.plan(ids)
        for row_id, plan in plans.items():
            since = self.d.leases.unsure_since(row_id)  # asked of every row: the lease forgets
            if since is None or row_id in self.tried_here:
                continue
            if isinstance(plan, Send) and plan.looked_up_first:
                plans[row_id] = replace(plan, unsure_since=since)
        return ids, plans

    def _start(self, send: Send, deferred: dict[str, list[int]]) -> None:
        method = "chat.update" if send.ts else POST
        # A post that may have gone out already waits for its channel's history read (Tier 3:
        # seconds, after a crash) before it books its moment, so its lane's pace does not hold
        # it back: handed back, its read would start only when it returned, behind every other
        # channel's (one crash_bench run's last card came 22 s after the restart so).
        if not send.looked_up_first and self._deferred_or_displaced(send, method, deferred):
            return
        booked = self.sender.direct(send)
        delay = self.d.pacer.reserve(method, send.lane) if booked else 0.0
        booking = Booking(send)
        if booked and method == POST and delay > 0:
            line = self.booked.setdefault(send.lane, [])
            line.append(booking)
            _in_order(line)
        # A file shared after a message (the digest's chart) waits for the lane's call before
        # it: both may leave in one lease, and Slack shows them in the order they arrive.
        before = self.last_in_lane.get(send.lane) if send.file is not None else None
        task = asyncio.create_task(self._send(booking, delay, booked, before))
        self.tasks.add(task)
        self.last_in_lane[send.lane] = task
        task.add_done_callback(lambda done, lane=send.lane: self._done(done, lane))

    def _deferred_or_displaced(
        self, send: Send, method: str, deferred: dict[str, list[int]]
    ) -> bool:
        """True when the lane waits out its pace beyond HORIZON: the row then takes a less
        urgent post's booked moment, or goes back (a channel copy maybe into a summary)."""
        wait = self.d.pacer.wait_for(method, send.lane)
        if wait > HORIZON and send.lane not in self.busy:
            self.busy[send.lane] = time.monotonic() + wait
        if send.lane not in self.busy:
            return False
        if method == POST and self._displace(send):
            return True
        key = send.lane if send.ts is None and send.copy_kind != CopyKind.DM else ""
        deferred.setdefault(key, []).append(send.row_id)
        return True

    def _displace(self, send: Send) -> bool:
        """The lane waits out its pace: `send` takes the moment of its least urgent booked post,
        if that is less urgent, and that post goes back to the table (due again as it was)."""
        line = self.booked.get(send.lane)
        if not line or line[-1].send.priority <= send.priority or not self.sender.direct(send):
            return False
        displaced, line[-1].send = line[-1].send, send
        _in_order(line)
        self.results.put_nowait(Released(displaced.row_id))
        return True

    def _least_urgent(self, lane: str) -> int:
        line = self.booked.get(lane)
        return line[-1].send.priority if line else URGENT_DM_CARD

    def _leave(self, booking: Booking) -> Send:
        """The booked moment has come: the post that holds it now is the one that leaves."""
        line = self.booked.get(booking.send.lane)
        if line and booking in line:
            line.remove(booking)
            if not line:
                del self.booked[booking.send.lane]
        return booking.send

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

    async def _send(self, booking: Booking, delay: float, booked: bool,
                    before: asyncio.Task[None] | None = None) -> None:  # fmt: skip
        if before is not None:
            await asyncio.wait({before})  # its outcome is its own: only the order matters here
        await asyncio.sleep(delay)
        send = self._leave(booking)
        try:
            result: Result = Delivered(send, await self.sender.send(send, booked=booked))
        except DeliveryError as err:
            result = Failed(send.row_id, err)
        except Exception as err:  # a bug must not leave the row leased until restart
            log.exception("outbox row %s: the send failed", send.row_id)
            result = Failed(send.row_id, DeliveryError(type(err).__name__, maybe_sent=True))
        self.results.put_nowait(result)

    def _done(self, task: asyncio.Task[None], lane: str) -> None:
        was_full = self.full()
        self.tasks.discard(task)
        if self.last_in_lane.get(lane) is task:
            del self.last_in_lane[lane]
        if was_full:
            self.woken.set()  # room for another call: before, the loop was not waiting on it

    def start_recorder(self) -> None:
        self.recorder = asyncio.create_task(self._record_forever())

    async def _record_forever(self) -> None:
        while True:
            batch = [await self.results.get()]
            # A moment for the calls answering alongside it: one write transaction for them all,
            # not one each (on SQLite, intake waits for the same write lock). With none in
            # flight, nothing is coming: waiting would only push the write into the next lead's.
            if any(not task.done() for task in self.tasks):
                await asyncio.sleep(RECORD_GATHER)
            while not self.results.empty():
                batch.append(self.results.get_nowait())
            await self._record(batch)

    async def _record(self, batch: list[Result]) -> None:
        # Before the write: if it fails, the row goes again once its lease runs out, and a
        # history read older than this post must not answer for it then.
        self.tried_here.update(_row_id(result) for result in batch if _may_have_posted(result))
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
            if isinstance(result, Delivered | Closed):  # done: never leased again
                self.tried_here.discard(_row_id(result))
        # A failed row is due again after its backoff: the loop, asleep since its last pass
        # looked at what was due, must look again (a lane's pace, the other reason a row comes
        # back, wakes it by itself: `sleep`).
        if more or any(isinstance(result, Failed) for result in batch):
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
        self.booked.clear()
        if self.in_hand:  # cut off mid-call: handed back, to be looked up before a new post
            await asyncio.to_thread(self.d.leases.release, list(self.in_hand))
            self.in_hand.clear()


def start_order(ids: list[int], plans: dict[int, Plan]) -> list[int]:
    """Lease order, except that the posts that may have gone out already start newest first.
    Each of those waits for its channel's history read, and the reads go at Tier 3's pace
    (after a kill mid-burst, 20 channels' reads take about 25 s). The rows a dead sender leased
    last are the ones most likely never sent (leased, then killed before the request left),
    so their cards are the late ones; the older rows were posted before the kill, and their
    reads only confirm it (bench/README.md, crash_bench at Slack's own pace)."""
    by_lane: dict[str, list[int]] = {}
    for row_id in ids:
        plan = plans[row_id]
        if isinstance(plan, Send) and plan.looked_up_first:
            by_lane.setdefault(plan.lane, []).append(row_id)
    if not by_lane:
        return ids
    looked_up = {i for rows in by_lane.values() for i in rows}
    # Within a channel, oldest first: the first row's read reaches back far enough for the rest.
    lanes = sorted(by_lane.values(), key=max, reverse=True)
    return [i for i in ids if i not in looked_up] + [i for rows in lanes for i in sorted(rows)]


def _in_order(line: list[Booking]) -> None:
    """The most urgent posts of a lane get its earliest moments (lease order among equals)."""
    ordered = sorted((booking.send for booking in line), key=lambda send: send.priority)
    for booking, send in zip(line, ordered, strict=True):
        booking.send = send


def _may_have_posted(result: Result) -> bool:
    return isinstance(result, Delivered) or (isinstance(result, Failed) and result.error.maybe_sent)


def _row_id(result: Result) -> int:
    return result.send.row_id if isinstance(result, Delivered) else result.row_id
