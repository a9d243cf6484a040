"""SQLite's write-ahead log copied back into the database file by a thread of its own.

By default the commit that takes the WAL past `wal_autocheckpoint` pages (1,000) does the copy,
fsync included, before it returns: whichever intake, click or sweep tick happens to cross it
waits for all the others' pages (bench/sweep_bench.py: a 100-due tick's p99 went 12–13 ms with
it, 8–9 ms without, at the same p50). `leadbot serve` and its worker (the long-running
processes) therefore raise their connections' `wal_autocheckpoint` to FALLBACK_PAGES, which a
commit reaches only if this thread has stopped keeping up, and run `PRAGMA
wal_checkpoint(PASSIVE)` every INTERVAL on a connection of their own. PASSIVE never waits for
readers or writers: it copies what it can, and the next writer restarts the WAL once all of it
was copied. Commands run from a terminal keep SQLite's default.
"""

from __future__ import annotations

import logging
import sqlite3

from storage.periodic import Periodic

log = logging.getLogger(__name__)

INTERVAL = 1.0  # seconds between checkpoints
FALLBACK_PAGES = 10_000  # about 40 MB of WAL: commits checkpoint again past it


class Checkpointer:
    def __init__(self, path: str, interval: float = INTERVAL) -> None:
        self.path = path
        self.interval = interval
        self.done = 0  # checkpoints run (tests look)
        self._warned = False
        self._connection: sqlite3.Connection | None = None  # the thread's own
        self._thread: Periodic | None = None

    def start(self) -> None:
        self._thread = Periodic("leadbot-sqlite-checkpoint", self.interval, self._step, self._close)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None

    def _step(self) -> None:
        try:
            self._connection = self._connection or sqlite3.connect(self.path, timeout=1)
            self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.done += 1
        except sqlite3.Error as err:  # the file busy or gone a moment: the next turn tries again
            if not self._warned:
                log.warning("SQLite checkpoint not run (%s); commits take over past %d pages",
                            type(err).__name__, FALLBACK_PAGES)  # fmt: skip
                self._warned = True

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
