"""The delivery worker's side (bot/worker/__init__.py is the server's): the process's main,
which builds its own services, waits for the server's BEGIN and runs the background work until
the server is gone (end of file on the pipe) or a signal asks it to stop.

May import: what bot/worker may (the core, `bot.ops`, `bot.assemble`), never the web stack.
Light at import (`launch` imports it): `leadbot serve` forks the worker as soon as leadbot.yml is
loaded (bot/serve/), and the worker loads SQLAlchemy, the Slack client and the rest of what
it runs on itself, on one core while the server loads its own on the other. It builds its own
services: no object crosses the fork.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import FrameType

from bot.config.schema import Config
from bot.ops.heap import freeze_the_heap, loading
from bot.settings import Settings

log = logging.getLogger(__name__)

BEGIN, WAKE = b"g", b"w"


def run_worker(
    settings: Settings,
    config: Config,
    reader: Connection,
    writer: Connection,
    setup_logging: Callable[[], None] | None,
    reports: Connection | None = None,
) -> None:
    """The worker process's main: build the services, wait for BEGIN, run the background work
    until the server is gone or a signal asks it to stop. `reports`: where its counters go (to
    /metrics)."""
    writer.close()  # the server's end: while a copy lived here, its death would not show
    if setup_logging is not None and not logging.getLogger().handlers:  # spawned, not forked
        setup_logging()
    stop, begun = threading.Event(), threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # Ctrl-C reaches the whole process group
        signal.signal(signum, _setter(stop))
    # SIGHUP is the server's (reload leadbot.yml, which replaces this worker): one sent to the
    # whole group must not kill the worker first, which would be reported as a crash.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    relay = _Relay(reader.fileno(), begun, stop)
    threading.Thread(target=relay.run, name="leadbot-worker-pipe", daemon=True).start()
    # Loaded, built and frozen while the server migrates and checks the token (neither
    # touches what these do): after a crash, this is the time before the first card.
    with loading():
        from bot.assemble import create_services
        from bot.ops.worker_reports import Reporter
        from bot.worker.background import Background

        services = create_services(settings, config)
    freeze_the_heap(collect=False)
    while not (begun.is_set() or stop.is_set()):
        begun.wait(0.05)  # BEGIN wakes it at once; a stop is seen within 50 ms
    if stop.is_set() or not _sole_sender(settings.database_url, stop):
        services.db.dispose()
        return
    background = Background(services)
    relay.wake = services.dispatcher.wake
    background.start()  # its own freeze finds only what was made since: a few ms
    log.info("delivery worker started (pid %s)", os.getpid())
    reporter = Reporter(reports, services.metrics.registry, background.ticks) if reports else None
    while not stop.wait(0.5):
        if reporter is not None:
            reporter.send_due()
    stopping = time.monotonic()
    background.stop()
    if reporter is not None:
        reporter.send()  # the last counts: the server keeps them
    services.db.dispose()
    log.info("delivery worker stopped in %.1f s", time.monotonic() - stopping)


def _sole_sender(database_url: str, stop: threading.Event) -> bool:
    """On SQLite, wait until no other process sends from the file: a server killed -9 leaves
    its worker finishing what it had in flight, and the new worker frees every lease it finds
    at start (bot/delivery/leases.py), which is right only once the old one is gone. The kernel
    drops the lock with the process that held it. False: stopped while waiting."""
    from storage.db import sqlite_sender_lock  # loaded by now (create_services)

    path = sqlite_sender_lock(database_url)
    if path is None:
        return True
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)  # held until exit
    except OSError as err:  # a read-only directory: nothing can be written there anyway
        log.warning("cannot open %s (%s): not waiting for other senders", path, err.strerror)
        return True
    warned = False
    while not stop.is_set():
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if not warned:
                log.warning("another leadbot process sends from this SQLite file: waiting for it")
                warned = True
            stop.wait(0.05)
    return False


def _setter(event: threading.Event) -> Callable[[int, FrameType | None], None]:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        event.set()

    return handler


class _Relay:
    """Reads the pipe: BEGIN once, then WAKEs for the dispatcher; end of file stops the worker."""

    def __init__(self, fd: int, begun: threading.Event, stop: threading.Event) -> None:
        self.fd, self.begun, self.stop = fd, begun, stop
        self.wake: Callable[[], None] | None = None  # the dispatcher's, once it runs

    def run(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                data = b""
            if not data:
                self.stop.set()
                return
            if BEGIN in data:
                self.begun.set()
            if WAKE in data and self.wake is not None:
                self.wake()
