"""The background work of a leadbot process (`Background`): the outbox dispatcher, the App Home
refresher and the scheduler's ticks (the escalation sweep, and an outbox wake for rows written
elsewhere). APScheduler only ticks; the timers live in the database (docs/architecture.md).

It runs inside the HTTP process (tests, the demo, `LEADBOT_DELIVERY_PROCESS=inline`) or, under
`leadbot serve`, in the delivery worker: a process of its own beside the one serving HTTP.

Why: one interpreter runs one thread at a time. Together, intake, Slack's clicks, drawing and
sending cards, recording every send and the sweep shared one core, and each slowed the others
(docs/architecture.md, "One process or two"). Apart, each has an interpreter to itself.

The wire between them is one pipe, server -> worker, read as a byte stream:
- `BEGIN`: the database is migrated; start the work.
- `WAKE`: a commit wrote outbox rows. Wakes read together are one wake; a full pipe already
  holds wakes the worker has not read, so a wake that does not fit loses nothing.
- end of file: the server is gone, stopped or killed (the kernel closes a dead process's end),
  so the worker finishes what is in flight and exits. A worker never outlives its server.
The server watches the worker: should it die, the server logs an ERROR, answers not ready on
`/healthz` and starts another (backing off while it keeps dying). A dead worker's leases lapse
like any dead process's (`bot/delivery/leases.py`), and the new one looks up what may have gone.
The worker's own side (its main) is bot/worker/process.py.

May import: the core (`bot.config`, `bot.delivery`, `bot.services`, `bot.settings`), `bot.ops`
and `storage`; never `handlers` (the worker's services come from `bot.app`, inside the worker).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler

from bot.config.schema import Config
from bot.delivery.alarm import WorkerAlarm
from bot.ops.ticks import Ticks
from bot.ops.worker_reports import WorkerTotals
from bot.services import Services
from bot.settings import Settings
from bot.worker.failing_jobs import FailingJobs
from bot.worker.process import BEGIN, WAKE, run_worker

log = logging.getLogger(__name__)

STOP_WAIT = 30.0  # the worker's own stop: 5 s for calls in flight, threads joined, and then some
FIRST_RESTART_DELAY, MAX_RESTART_DELAY = 0.5, 30.0
STEADY = 30.0  # a worker that lived this long died of something new: restart it at once
RECOVERED = 10.0  # a restarted worker that lived this long is running again (admins told)


class Background:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._scheduler: Any = None
        self.ticks = Ticks()  # when its jobs last ran: /readyz (bot/http/health.py)

    def start(self) -> None:
        freeze_the_heap()
        self.services.db.checkpoint_in_background()  # SQLite: not in the commits (storage/)
        self.services.dispatcher.start()
        self.services.homes.start()
        if self.services.crm_writer is not None:
            self.services.crm_writer.start()  # a writer stopped before writes again
        self._scheduler = create_scheduler(
            self.services.config.scheduler.tick,
            self.services.dispatcher.tick,
            self.services.escalator.sweep,
            self.services.task_sweeper.sweep,
            self.services.digest_sender.send_due,
            self.services.crm_writer.tick if self.services.crm_writer else None,
        )
        self.ticks.started()
        self._scheduler.add_listener(
            lambda _: self.ticks.beat(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
        )
        self._scheduler.add_listener(
            FailingJobs(self.services), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
        )
        self._scheduler.start()
        self.services.dispatcher.tick()  # rows left by a previous run, if any, go out now

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:  # stop() may come twice
            self._scheduler.shutdown(wait=False)
        if self.services.crm_writer is not None:
            self.services.crm_writer.stop()  # its tick hands back what it has not written
        self.services.dispatcher.stop()
        self.services.homes.stop()


def freeze_the_heap() -> None:
    """Everything alive now (modules, mappers, config) lives as long as the process: keep it out
    of the cyclic collector's full passes, which otherwise add tens of ms to a sweep."""
    gc.collect()
    gc.freeze()


def create_scheduler(
    tick: timedelta,
    outbox_tick: Callable[[], None],
    sweep: Callable[[], object],
    task_sweep: Callable[[], object],
    digests: Callable[[], object] | None = None,
    crm: Callable[[], object] | None = None,
) -> BackgroundScheduler:
    """Four ticks: the escalation sweep and the follow-up task sweep (due steps are found in
    the database, so a missed tick loses nothing; separate jobs, so one failing holds up
    nothing of the other), the weekly digests (reading a week of numbers per reader: never in
    a sweep's tick) and an outbox wake (retries, and rows written by another process; rows this
    process writes wake the dispatcher at once)."""
    scheduler = BackgroundScheduler(timezone="UTC")
    jobs = [("sweep", sweep), ("tasks", task_sweep), ("outbox", outbox_tick)]
    if digests is not None:
        jobs.append(("digests", digests))
    if crm is not None:  # owners written back to CRMs (bot/sources/writer.py)
        jobs.append(("crm", crm))
    for job_id, job in jobs:
        scheduler.add_job(
            job,
            "interval",
            seconds=tick.total_seconds(),
            id=job_id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
    return scheduler


class DeliveryWorker:
    """The server's side: starts the worker, tells it to begin, wakes it, watches it."""

    def __init__(
        self, settings: Settings, config: Config, setup_logging: Callable[[], None] | None = None
    ) -> None:
        """`setup_logging`: how a spawned worker (a restart) configures its logging, which a
        forked one inherits (a module-level function: it is pickled by name)."""
        self.settings, self.config = settings, config
        self.setup_logging = setup_logging
        self._process: Any = None  # multiprocessing's Process (its type depends on the context)
        self._writer: Connection | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self.running = False  # kept by the watcher: /healthz reads it, from any thread
        self.restarts = 0
        self.alarm = WorkerAlarm.for_settings(settings, config)  # the admins, in Slack
        self.reports = WorkerTotals()  # its counters and heartbeat: /metrics, /readyz

    def start(self, *, threads_running: bool = False) -> None:
        """Start the worker now, before this process starts a thread: forked, so it is up at
        once with every module it needs already imported (after a crash, those seconds are
        cards late). `leadbot serve` forks it before it loads the web stack (bot/serve.py).
        A restart later, or a worker for a reloaded leadbot.yml (`threads_running`), spawns a
        fresh interpreter: forking a process with threads can copy a lock some thread holds."""
        fork = not threads_running and "fork" in multiprocessing.get_all_start_methods()
        self._launch(multiprocessing.get_context("fork" if fork else "spawn"))

    def begin(self) -> None:
        """The database is migrated: start the work, and keep the worker alive from now on.
        Once: `leadbot serve` begins before it builds the web app, whose start asks again."""
        if self._watcher is not None:
            return
        self._send(BEGIN)
        self.reports.ticks.started()
        self._watcher = threading.Thread(target=self._watch, name="leadbot-worker", daemon=True)
        self._watcher.start()

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows (any thread; never blocks)."""
        self._send(WAKE)

    def expect_exit(self) -> None:
        """The server is stopping: a Ctrl-C or a `pkill` reaches the worker too, which then
        exits before the server stops it. That exit is no crash to restart and report."""
        self._stopping.set()

    def stop(self) -> None:
        self._stopping.set()
        self._close_writer()  # end of file: the worker finishes what is in flight and exits
        if self._watcher is not None:
            # The watcher first: it waits on the worker too, and two threads reaping one process
            # race (the loser's waitpid finds no child, the worker looks alive, and is "killed").
            self._watcher.join(timeout=5)
        self._close_writer()  # a worker the watcher started meanwhile
        process = self._process
        if process is not None:
            process.join(STOP_WAIT)
            if process.is_alive():
                # Nothing is lost: rows it held are looked up in Slack's history before they
                # are posted again (bot/delivery/history.py).
                log.warning("the delivery worker did not stop within %.0f s: killed", STOP_WAIT)
                process.kill()
                process.join(5)
        self.running = False

    # -- the pipe and the process ------------------------------------------------------------
    def _launch(self, context: BaseContext) -> None:
        reader, writer = context.Pipe(duplex=False)
        reports, reporter = context.Pipe(duplex=False)  # worker -> server: its counters
        process = context.Process(  # type: ignore[attr-defined]
            target=run_worker,
            args=(self.settings, self.config, reader, writer, self.setup_logging, reporter),
            name="leadbot-delivery",
        )
        process.start()
        reader.close()  # only the worker reads
        reporter.close()  # only the worker reports: its exit closes the pipe
        self.reports.follow(reports)
        self.reports.ticks.started()
        os.set_blocking(writer.fileno(), False)
        self._process, self._writer, self.running = process, writer, True

    def _send(self, signal_byte: bytes) -> None:
        writer = self._writer
        try:
            if writer is not None:
                os.write(writer.fileno(), signal_byte)
        except BlockingIOError:
            pass  # the pipe is full of wakes the worker has yet to read
        except OSError:
            pass  # the worker is gone: the watcher starts another, which reads every due row

    def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    def _watch(self) -> None:
        delay, started = FIRST_RESTART_DELAY, time.monotonic()
        while not self._stopping.is_set():
            self._process.join(0.5)
            if self._stopping.is_set():
                return
            lived = time.monotonic() - started
            if self._process.exitcode is None:
                if lived > RECOVERED:
                    self.alarm.up()  # only after an announced "down"
                continue
            self.running = False
            delay = FIRST_RESTART_DELAY if lived > STEADY else min(delay * 2, MAX_RESTART_DELAY)
            log.error(
                "the delivery worker exited (code %s) after %.0f s: starting another in %.1f s; "
                "no card goes out meanwhile",
                self._process.exitcode,
                lived,
                delay,
            )
            self.alarm.down(self._process.exitcode, delay)
            if self._stopping.wait(delay):
                return
            self._close_writer()
            self._launch(multiprocessing.get_context("spawn"))
            self.restarts += 1
            started = time.monotonic()
            self._send(BEGIN)
