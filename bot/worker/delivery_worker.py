"""`DeliveryWorker`: the server's side of the delivery worker (bot/worker/__init__.py): it
starts the worker, tells it to begin, wakes it and watches it."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from bot.config.schema import Config
from bot.delivery.alarm import WorkerAlarm
from bot.ops.worker_reports import WorkerTotals
from bot.settings import Settings
from bot.worker.launch import Launched, launch
from bot.worker.process import BEGIN, WAKE

log = logging.getLogger("bot.worker")  # the name its lines had (and log filters may know)

STOP_WAIT = 30.0  # the worker's own stop: 5 s for calls in flight, threads joined, and then some
FIRST_RESTART_DELAY, MAX_RESTART_DELAY = 0.5, 30.0
STEADY = 30.0  # a worker that lived this long died of something new: restart it at once
RECOVERED = 10.0  # a restarted worker that lived this long is running again (admins told)


class DeliveryWorker:
    """The server's side: starts the worker, tells it to begin, wakes it, watches it."""

    def __init__(
        self,
        settings: Settings,
        config: Config,
        setup_logging: Callable[[], None] | None = None,
        launched: Launched | None = None,
    ) -> None:
        """`setup_logging`: how a spawned worker (a restart) configures its logging, which a
        forked one inherits (a module-level function: it is pickled by name). `launched`: a
        worker already started (`launch`), which this one watches from now on."""
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
        if launched is not None:
            self._adopt(launched)

    def start(self, *, threads_running: bool = False) -> None:
        """Start the worker now. `leadbot serve`'s first is forked earlier (`launch`) and
        given to the constructor. One started later, for a reloaded leadbot.yml
        (`threads_running`), is spawned: forking a process with threads can copy a lock some
        thread holds."""
        self._adopt(
            launch(self.settings, self.config, self.setup_logging, fork=not threads_running)
        )

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
    def _adopt(self, launched: Launched) -> None:
        self.reports.follow(launched.reports)
        self.reports.ticks.started()
        self._process, self._writer, self.running = launched.process, launched.writer, True

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
            self._adopt(launch(self.settings, self.config, self.setup_logging, fork=False))
            self.restarts += 1
            started = time.monotonic()
            self._send(BEGIN)
